package io.syncline.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server from the zonky binaries in the Maven repository, set up for logical
 * replication. The major version comes from the Maven property {@code pg.version} (system property
 * {@code syncline.pg.version} in tests). Authentication: the {@code postgres} superuser is trusted
 * from loopback; every other role must give its password (SCRAM), so wrong-password errors are real.
 */
public final class PgServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PgServer.class);
  private static PgServer shared;

  private EmbeddedPostgres pg;
  private final Map<String, String> settings;
  private final Path dataDirectory;
  private final int port;
  private boolean running = true;

  private PgServer(EmbeddedPostgres pg, Map<String, String> settings, Path dataDirectory) {
    this.pg = pg;
    this.settings = settings;
    this.dataDirectory = dataDirectory;
    this.port = pg.getPort();
  }

  /** The server every test in this JVM shares: started on first use, stopped when the JVM exits. */
  public static synchronized PgServer shared() {
    if (shared == null) {
      shared = start(Map.of());
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "pg-server-shutdown"));
    }
    return shared;
  }

  /** Starts a new server with {@code wal_level=logical} unless {@code config} overrides it. */
  public static PgServer start(Map<String, String> config) {
    return start(config, null);
  }

  /**
   * Starts a new server.
   *
   * @param dataDirectory where the cluster lives (kept between starts), or null for a fresh temporary one
   */
  public static PgServer start(Map<String, String> config, Path dataDirectory) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("wal_level", "logical");
    settings.put("max_replication_slots", "20");
    settings.put("max_wal_senders", "20");
    settings.put("wal_sender_timeout", "60s");
    settings.put("max_connections", "100");
    settings.put("fsync", "off");
    settings.put("full_page_writes", "off");
    // two-phase commit (PREPARE TRANSACTION), what application servers' XA uses
    settings.put("max_prepared_transactions", "10");
    // the logical walsender sends a commit at the WAL writer's next cycle: 200 ms by default,
    // which would be most of the capture latency (measured: p50 183 ms -> 7 ms)
    settings.put("wal_writer_delay", "10ms");
    settings.putAll(config);
    long t0 = System.nanoTime();
    PgServer server = new PgServer(startPostgres(settings, dataDirectory, 0), settings, dataDirectory);
    log.info("PostgreSQL {} started on port {} in {} ms", server.version(), server.port(),
        (System.nanoTime() - t0) / 1_000_000);
    return server;
  }

  private static EmbeddedPostgres startPostgres(Map<String, String> settings, Path dataDirectory, int port) {
    try {
      EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
          .setPGStartupWait(java.time.Duration.ofSeconds(60))
          .setDataDirectoryCustomizer(PgServer::writeHba);
      if (dataDirectory != null) {
        Files.createDirectories(dataDirectory);
        b.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
      }
      if (port > 0) {
        b.setPort(port);
      }
      settings.forEach(b::setServerConfig);
      return b.start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the embedded PostgreSQL server", e);
    }
  }

  /**
   * Stops the server (a fast shutdown: sessions are ended, walsenders too), keeping its data
   * directory, until {@link #startAgain()}. Only for a server started with a data directory of its
   * own ({@link #start(Map, Path)}). For fault tests.
   */
  public synchronized void stop() {
    if (dataDirectory == null) {
      throw new IllegalStateException("only a server started on a data directory of its own can be stopped and"
          + " started again: use PgServer.start(config, dataDirectory)");
    }
    if (!running) {
      return;
    }
    running = false;
    long t0 = System.nanoTime();
    try {
      pg.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    }
    log.info("PostgreSQL on port {} stopped in {} ms (data directory kept)", port, (System.nanoTime() - t0) / 1_000_000);
  }

  /** Starts the server stopped by {@link #stop()} again on the same port and data directory. */
  public synchronized void startAgain() {
    if (running) {
      return;
    }
    long t0 = System.nanoTime();
    pg = startPostgres(settings, dataDirectory, port);
    running = true;
    log.info("PostgreSQL started again on port {} in {} ms", port, (System.nanoTime() - t0) / 1_000_000);
  }

  private static void writeHba(File dataDir) {
    String hba = String.join("\n",
        "# written by Syncline's embedded server: postgres is trusted, every other role uses its password",
        "local   all          postgres                 trust",
        "host    all          postgres  127.0.0.1/32   trust",
        "host    all          postgres  ::1/128        trust",
        "host    replication  postgres  127.0.0.1/32   trust",
        "host    replication  postgres  ::1/128        trust",
        "local   all          all                      scram-sha-256",
        "host    all          all       127.0.0.1/32   scram-sha-256",
        "host    all          all       ::1/128        scram-sha-256",
        "host    replication  all       127.0.0.1/32   scram-sha-256",
        "host    replication  all       ::1/128        scram-sha-256",
        "");
    try {
      Files.writeString(dataDir.toPath().resolve("pg_hba.conf"), hba);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  public String host() {
    return "localhost";
  }

  /** JDBC URL of {@code database} on this server. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + port() + "/" + database;
  }

  /** A superuser connection to {@code database}. */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), "postgres", "");
  }

  /** Runs statements as the superuser in {@code database}, each in its own auto-committed transaction. */
  public void execute(String database, String... sql) {
    try (Connection c = connect(database); Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("SQL failed on embedded PostgreSQL: " + e.getMessage(), e);
    }
  }

  /** Creates a database if it does not exist yet. */
  public void createDatabase(String name) {
    try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
      var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name.replace("'", "''") + "'");
      if (!rs.next()) {
        s.execute("CREATE DATABASE \"" + name.replace("\"", "\"\"") + "\"");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Drops a replication slot once its walsender has let go of it (the server releases a slot a
   * moment after the reader's connection closes). Fails if it is still in use after {@code patience}.
   */
  public void dropSlotWhenReleased(String database, String slot, java.time.Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    try (Connection c = connect(database);
        java.sql.PreparedStatement active = c.prepareStatement(
            "SELECT active FROM pg_replication_slots WHERE slot_name = ?");
        java.sql.PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
      active.setString(1, slot);
      while (true) {
        try (var rs = active.executeQuery()) {
          if (!rs.next()) {
            return; // no such slot
          }
          if (!rs.getBoolean(1)) {
            break;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("replication slot " + slot + " still in use after " + patience);
        }
        java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
      }
      drop.setString(1, slot);
      drop.execute();
    } catch (SQLException e) {
      throw new IllegalStateException("could not drop replication slot " + slot + ": " + e.getMessage(), e);
    }
  }

  /** The server's version string, e.g. {@code 18.1}. */
  public String version() {
    try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
      var rs = s.executeQuery("SHOW server_version");
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The major version number, e.g. 18. */
  public int majorVersion() {
    String v = version();
    return Integer.parseInt(v.split("[.\\s]")[0]);
  }

  @Override
  public synchronized void close() {
    if (!running) {
      return;
    }
    running = false;
    try {
      pg.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    }
  }
}
