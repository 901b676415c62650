package io.syncline.streams.mysql;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.network.SSLMode;
import io.syncline.streams.TlsSettings;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * TLS of the binlog connection, from the source's {@code tls} settings (the same as its JDBC
 * connections'): the client's SSL mode, and a socket factory on the settings' TLS context that
 * checks the certificate names the configured {@code host} (verify-full) during the handshake.
 */
final class BinlogTls {

  private BinlogTls() {}

  static void configure(BinaryLogClient client, MySqlSourceSettings settings) {
    TlsSettings tls = settings.tls();
    client.setSSLMode(switch (tls.mode()) {
      case DISABLE -> SSLMode.DISABLED;
      case PREFER -> SSLMode.PREFERRED;
      case REQUIRE -> SSLMode.REQUIRED;
      case VERIFY_CA -> SSLMode.VERIFY_CA;
      case VERIFY_FULL -> SSLMode.VERIFY_IDENTITY;
    });
    if (tls.mode() == TlsSettings.Mode.DISABLE) {
      return;
    }
    client.setSslSocketFactory(socket -> upgrade(socket, settings));
  }

  private static SSLSocket upgrade(Socket socket, MySqlSourceSettings settings) throws SocketException {
    TlsSettings tls = settings.tls();
    try {
      SSLContext context = tls.sslContext();
      SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(socket, settings.host(), socket.getPort(), true);
      if (tls.mode() == TlsSettings.Mode.VERIFY_FULL) {
        SSLParameters p = ssl.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name 'host', as configured
        ssl.setSSLParameters(p);
      }
      return ssl;
    } catch (GeneralSecurityException | IOException e) {
      SocketException s = new SocketException("TLS set-up failed: " + e.getMessage());
      s.initCause(e);
      throw s;
    }
  }

  /** {@code failure} itself, or an error naming the TLS setting to fix when TLS is what failed. */
  static Exception explain(MySqlSourceSettings settings, Exception failure) {
    if (failure instanceof MySqlSourceException || settings.tls().mode() == TlsSettings.Mode.DISABLE) {
      return failure;
    }
    return settings.tls().explain(failure, settings.host())
        .<Exception>map(why -> new MySqlSourceException(MySqlSourceException.Reason.TLS, "source '" + settings.name()
            + "' (binlog of " + settings.host() + ":" + settings.port() + "): " + why, failure))
        .orElse(failure);
  }
}
