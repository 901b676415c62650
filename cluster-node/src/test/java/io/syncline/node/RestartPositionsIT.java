package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a table records while it has no changes, and where a source starts, must never make a
 * restart skip a change (docs/positions-and-recovery.md, "Positions"). Node processes as a user runs
 * them, against the real servers; each case ends with "replay of what was delivered equals the table".
 */
class RestartPositionsIT {

  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir
  Path dir;

  /** The two SQL sources: the same table, the same statements. */
  private interface Db {
    String sourceEntry(String name, String database, String extra);

    void create(String database);

    Connection connect(String database) throws SQLException;

    /** {@code schema.table} as in output file names. */
    String table(String database);
  }

  private static final Db MARIADB = new Db() {
    @Override
    public String sourceEntry(String name, String database, String extra) {
      MariaDbServer m = MariaDbServer.shared();
      return "{ kind = mariadb, name = " + name + ", host = localhost, port = " + m.port() + ", user = root,"
          + " include-tables = [\"" + database + ".t\"], heartbeat-interval = 1s, " + extra + " }";
    }

    @Override
    public void create(String database) {
      MariaDbServer m = MariaDbServer.shared();
      m.createDatabase(database);
      m.execute(database, "DROP TABLE IF EXISTS t", "CREATE TABLE t (id BIGINT PRIMARY KEY, v INT NOT NULL)");
    }

    @Override
    public Connection connect(String database) throws SQLException {
      return MariaDbServer.shared().connect(database);
    }

    @Override
    public String table(String database) {
      return database + ".t";
    }
  };

  private static final Db POSTGRES = new Db() {
    @Override
    public String sourceEntry(String name, String database, String extra) {
      return "{ kind = postgres, name = " + name + ", host = localhost, port = " + PgServer.shared().port()
          + ", database = " + database + ", user = postgres, include-tables = [\"public.t\"],"
          + " heartbeat-interval = 1s, " + extra + " }";
    }

    @Override
    public void create(String database) {
      PgServer pg = PgServer.shared();
      pg.createDatabase(database);
      pg.execute(database, "DROP TABLE IF EXISTS t", "CREATE TABLE t (id bigint PRIMARY KEY, v int NOT NULL)");
    }

    @Override
    public Connection connect(String database) throws SQLException {
      return PgServer.shared().connect(database);
    }

    @Override
    public String table(String database) {
      return "public.t";
    }
  };

  private static Db db(String kind) {
    return kind.startsWith("mariadb") ? MARIADB : POSTGRES;
  }

  private Path config(String source, String sourceEntry) throws Exception {
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.reader.idle-table-commit = 1s",
        "syncline.sources = [" + sourceEntry + "]",
        "pekko.remote.artery.canonical.port = 0"));
    return config;
  }

  /**
   * Finding 1 of issue 10: a table idle for {@code idle-table-commit} recorded the source's
   * acknowledged position, which is where the next transaction starts (MariaDB: the offset after
   * the XID or heartbeat); a restart then dropped that transaction's changes as delivered. Here: one
   * transaction delivered, the table idle until it records the boundary, the node killed (or
   * stopped), one transaction of 5 inserts and an update written while it is down, and started
   * again: all 6 must arrive.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mariadb kill -9", "mariadb SIGTERM", "postgres kill -9"})
  void shouldDeliverTheFirstTransactionAfterATableWasIdleAcrossARestart(String kind) throws Exception {
    Db db = db(kind);
    String database = "idle_" + kind.replaceAll("[^a-z0-9]", "");
    db.create(database);
    Path config = config("idl", db.sourceEntry("idl", database, "snapshot-mode = initial"));
    Path file = dir.resolve("out").resolve("idl." + db.table(database) + ".jsonl");

    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node1.log"), "-Dsyncline.log.reader=DEBUG")) {
      node.awaitLog("': capturing ", WAIT);
      write(db, database, "INSERT INTO t VALUES (1, 0)");
      node.await(() -> Delivered.count(file) == 1, "the first change delivered", WAIT);
      int logged = node.logText().length();
      // the table is idle now: after idle-table-commit it records the boundary of a later heartbeat
      node.await(() -> node.logText().substring(logged).contains("recorded the boundary for tables without changes: ["
          + db.table(database) + " at"), "an idle commit of the table after its change", WAIT);
      if (kind.endsWith("SIGTERM")) {
        assertThat(node.stop(Duration.ofSeconds(60))).as("exit status after SIGTERM").isIn(0, 143);
      } else {
        node.kill();
      }
    }
    write(db, database, "INSERT INTO t VALUES (2, 0)", "INSERT INTO t VALUES (3, 0)", "INSERT INTO t VALUES (4, 0)",
        "INSERT INTO t VALUES (5, 0)", "INSERT INTO t VALUES (6, 0)", "UPDATE t SET v = 7 WHERE id = 1");

    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node2.log"))) {
      awaitReplayEqualsTable(node, db, database, file);
    }
  }

  /**
   * Finding 7a of issue 10: with {@code snapshot-mode = never} a MariaDB table recorded no position
   * until its first change or first idle commit, so a node stopped soon after it reported capturing
   * started again at the end of the binlog and lost what was written meanwhile. The position a
   * source starts from is recorded before the node reports that it captures.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mariadb", "postgres"})
  void shouldRecordWhereCaptureStartsBeforeReportingCapturing(String kind) throws Exception {
    Db db = db(kind);
    String database = "start_" + kind;
    db.create(database);
    Path config = config("stp", db.sourceEntry("stp", database, "snapshot-mode = never"));
    Path file = dir.resolve("out").resolve("stp." + db.table(database) + ".jsonl");

    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node1.log"))) {
      node.awaitLog("': capturing ", WAIT);
      assertThat(node.stop(Duration.ofSeconds(60))).as("exit status after SIGTERM").isIn(0, 143);
    }
    try (Connection c = db.connect(database); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (int tx = 0; tx < 20; tx++) {
        for (int i = 1; i <= 100; i++) {
          s.executeUpdate("INSERT INTO t VALUES (" + (tx * 100 + i) + ", " + tx + ")");
        }
        c.commit();
      }
    }
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node2.log"))) {
      awaitReplayEqualsTable(node, db, database, file);
      assertThat(Delivered.count(file)).as("each of the 2,000 inserts delivered once").isEqualTo(2000);
    }
  }

  private static void write(Db db, String database, String... statements) throws SQLException {
    try (Connection c = db.connect(database); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (String sql : statements) {
        s.executeUpdate(sql);
      }
      c.commit();
    }
  }

  private static void awaitReplayEqualsTable(NodeProcess node, Db db, String database, Path file) throws Exception {
    Map<String, Map<String, String>> expected = Delivered.rows(db.connect(database), "SELECT id, v FROM t", "id");
    try {
      node.await(() -> Delivered.replay(file, "id").equals(expected), "the delivered changes to replay into the table",
          Duration.ofSeconds(60));
    } catch (AssertionError e) {
      throw new AssertionError(Delivered.difference(expected, Delivered.replay(file, "id")) + "\n" + e.getMessage(), e);
    }
  }
}
