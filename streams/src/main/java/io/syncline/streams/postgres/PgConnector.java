package io.syncline.streams.postgres;

import io.syncline.streams.TlsSettings;
import io.syncline.streams.capture.Failures;
import io.syncline.streams.postgres.PgSourceException.Reason;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;

/**
 * Opens JDBC and replication connections to a PostgreSQL source and turns connection failures into
 * {@link PgSourceException}s that name the fix. Every connection uses the same session settings, so
 * values come out in one text form whichever path (snapshot or stream) reads them.
 */
public final class PgConnector {

  /** Session settings of every connection: the text forms the type converters parse. */
  public static final String SESSION_OPTIONS =
      "-c DateStyle=ISO,MDY -c IntervalStyle=iso_8601 -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex"
          + " -c lc_monetary=C";

  private final PgSourceSettings settings;

  public PgConnector(PgSourceSettings settings) {
    this.settings = settings;
  }

  /** A plain connection (catalog queries, snapshot reads, heartbeats). */
  public Connection connect() {
    return open(false);
  }

  /** A logical replication connection ({@code replication=database}); unwrap {@link PGConnection} to stream. */
  public Connection connectForReplication() {
    return open(true);
  }

  private Connection open(boolean replication) {
    Properties p = new Properties();
    PGProperty.USER.set(p, settings.user());
    if (!settings.password().isEmpty()) {
      PGProperty.PASSWORD.set(p, settings.password().value());
    }
    PGProperty.OPTIONS.set(p, SESSION_OPTIONS);
    PGProperty.CONNECT_TIMEOUT.set(p, (int) Math.max(1, settings.connectTimeout().toSeconds()));
    PGProperty.APPLICATION_NAME.set(p, "syncline-" + settings.name());
    PGProperty.TCP_KEEP_ALIVE.set(p, true);
    // snapshot reads take ResultSet.getString: it must be the server's text form, never pgjdbc's
    // rendering of a binary value, so both paths feed the same converters
    PGProperty.BINARY_TRANSFER.set(p, false);
    TlsSettings tls = settings.tls();
    PGProperty.SSL_MODE.set(p, tls.mode().setting());
    if (tls.mode() != TlsSettings.Mode.DISABLE) {
      if (tls.caFile() != null) {
        PGProperty.SSL_ROOT_CERT.set(p, tls.caFile().toString());
      } else if (tls.verifies()) {
        PGProperty.SSL_FACTORY.set(p, "org.postgresql.ssl.DefaultJavaSSLFactory"); // the JVM's trust store
      }
      if (tls.keyStore() != null) {
        PGProperty.SSL_KEY.set(p, tls.keyStore().toString()); // *.p12/*.pfx: pgjdbc reads it as PKCS#12
        PGProperty.SSL_PASSWORD.set(p, tls.keyStorePassword().value());
      }
    }
    if (!replication && !settings.serverTimeout().isZero()) {
      // a query without an answer (a dead network, a frozen peer) fails instead of waiting forever; not on
      // replication connections: creating a slot waits for running transactions, and the stream is watched
      // by the session (server-timeout while reading)
      PGProperty.SOCKET_TIMEOUT.set(p, (int) Math.max(1, (settings.serverTimeout().toMillis() + 999) / 1000));
    }
    if (replication) {
      PGProperty.REPLICATION.set(p, "database");
      PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
      PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    }
    try {
      return DriverManager.getConnection(settings.jdbcUrl(), p);
    } catch (SQLException e) {
      throw translate(e, replication);
    }
  }

  /** Maps a connection-time {@link SQLException} to an error that names the fix. */
  PgSourceException translate(SQLException e, boolean replication) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String where = "source '" + settings.name() + "' (" + settings.user() + "@" + settings.host() + ":"
        + settings.port() + "/" + settings.database() + ")";
    String msg = e.getMessage() == null ? "" : e.getMessage();
    java.util.Optional<String> tls = settings.tls().explain(e, settings.host());
    if (tls.isPresent()) {
      return new PgSourceException(Reason.TLS, where + ": " + tls.get(), e);
    }
    if (Failures.timedOut(e)) {
      return new PgSourceException(Reason.UNREACHABLE, where + ": no answer from PostgreSQL at " + settings.host() + ":"
          + settings.port() + " within server-timeout (" + settings.serverTimeout().toSeconds()
          + " s): the network or the server is gone. Reconnecting.", e);
    }
    if (state.equals("08004") && settings.password().isEmpty() && msg.contains("password")) {
      return new PgSourceException(Reason.NO_PASSWORD, where + ": PostgreSQL asks for the password of user '"
          + settings.user() + "' and the source sets none. Fix: set the source's 'password' setting (e.g."
          + " password = ${?SYNCLINE_PG_PASSWORD}).", e);
    }
    if (Failures.unknownHost(e)) {
      return new PgSourceException(Reason.UNREACHABLE, where + ": host '" + settings.host()
          + "' is not known (no address found for it). Fix: correct the source's 'host' setting.", e);
    }
    return switch (state) {
      case "28P01" -> new PgSourceException(Reason.WRONG_PASSWORD, where
          + ": PostgreSQL rejected the password of user '" + settings.user()
          + "'. Fix: set the right password in the source's 'password' setting (or its environment variable).", e);
      case "28000" -> new PgSourceException(Reason.NOT_ALLOWED, where + ": the server does not let user '"
          + settings.user() + "' connect" + (replication ? " for replication" : "")
          + ". Fix: add a matching line to pg_hba.conf" + (replication ? " for the 'replication' database" : "")
          + " and reload. Server said: " + msg, e);
      case "3D000" -> new PgSourceException(Reason.NO_SUCH_DATABASE, where + ": database '"
          + settings.database() + "' does not exist. Fix: correct the source's 'database' setting.", e);
      case "42501" -> replication
          ? new PgSourceException(Reason.NO_REPLICATION_PRIVILEGE, where + ": user '" + settings.user()
              + "' lacks the REPLICATION privilege needed for logical replication. Fix: ALTER ROLE "
              + settings.user() + " REPLICATION; (or use a superuser).", e)
          : new PgSourceException(Reason.NOT_ALLOWED, where + ": permission denied: " + msg, e);
      default -> state.startsWith("08")
          ? new PgSourceException(Reason.UNREACHABLE, where + ": cannot reach PostgreSQL at " + settings.host()
              + ":" + settings.port() + " (" + msg + "). Fix: check 'host'/'port' and that the server is running.", e)
          : new PgSourceException(Reason.OTHER, where + ": " + msg, e);
    };
  }

  public PgSourceSettings settings() {
    return settings;
  }
}
