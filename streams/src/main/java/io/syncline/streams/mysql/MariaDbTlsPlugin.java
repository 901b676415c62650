package io.syncline.streams.mysql;

import io.syncline.streams.Secret;
import io.syncline.streams.TlsSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.sql.SQLException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import org.mariadb.jdbc.Configuration;
import org.mariadb.jdbc.HostAddress;
import org.mariadb.jdbc.export.ExceptionFactory;
import org.mariadb.jdbc.export.SslMode;
import org.mariadb.jdbc.plugin.TlsSocketPlugin;
import org.mariadb.jdbc.plugin.tls.main.DefaultTlsSocketPlugin;

/**
 * The TLS of MariaDB Connector/J connections ({@code tlsSocketType=syncline}, registered through
 * {@code META-INF/services}): the trust and key managers of the source's {@link TlsSettings}, the
 * same as the binlog connection's. The driver's own plugin accepts a certificate it cannot verify
 * when the server proves it knows the password's hash (MariaDB 11.4's certificate fingerprint
 * check); a source set to {@code verify-ca}/{@code verify-full} wants the authority of
 * {@code tls.ca-file}, so these trust managers are strict. Host names are checked by the driver's
 * verifier, as with its own plugin.
 */
public final class MariaDbTlsPlugin implements TlsSocketPlugin {

  /** The value of the driver's {@code tlsSocketType} option that selects this plugin. */
  public static final String TYPE = "syncline";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public TrustManager[] getTrustManager(Configuration conf, ExceptionFactory exceptions, HostAddress host)
      throws SQLException {
    try {
      return settings(conf).trustManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw exceptions.create("tls.ca-file: " + e.getMessage(), "08000", e);
    }
  }

  @Override
  public KeyManager[] getKeyManager(Configuration conf, ExceptionFactory exceptions) throws SQLException {
    try {
      return settings(conf).keyManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw exceptions.create("tls.key-store: " + e.getMessage(), "08000", e);
    }
  }

  @Override
  public void verify(String host, SSLSession session, long threadId) throws SSLException {
    new DefaultTlsSocketPlugin().verify(host, session, threadId);
  }

  /** The source's TLS settings, as {@link MySqlCatalog#connect} handed them to the driver. */
  private static TlsSettings settings(Configuration conf) {
    TlsSettings.Mode mode = conf.sslMode() == SslMode.VERIFY_FULL ? TlsSettings.Mode.VERIFY_FULL
        : conf.sslMode() == SslMode.VERIFY_CA ? TlsSettings.Mode.VERIFY_CA : TlsSettings.Mode.REQUIRE;
    return new TlsSettings(mode, conf.serverSslCert() == null ? null : Path.of(conf.serverSslCert()),
        conf.keyStore() == null ? null : Path.of(conf.keyStore()),
        new Secret(conf.keyStorePassword() == null ? "" : conf.keyStorePassword()));
  }
}
