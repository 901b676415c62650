package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.MariaDbServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Findings 2, 3 and 14 of issue 10, as a user meets them: a node process against the real MariaDB
 * while applications use savepoints (ORMs' nested transactions), XA transactions, TRUNCATE, and
 * valid DDL that stopped capture (an index named {@code date}; {@code CREATE TABLE … SELECT}, which
 * the server logs inside the transaction of its rows).
 * Rows rolled back (to a savepoint, or with a prepared XA transaction) must never be delivered;
 * an XA transaction prepared before a {@code kill -9} and committed while the node is down must
 * arrive after the restart; TRUNCATE arrives as {@code op = t}. Ends with "replay of what was
 * delivered equals the table".
 */
class BinlogTransactionsIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String DB = "txshape";

  @TempDir
  Path dir;

  @Test
  void shouldDeliverSavepointXaAndTruncateTransactionsAsCommittedAcrossAKill9() throws Exception {
    MariaDbServer maria = MariaDbServer.shared();
    maria.createDatabase(DB);
    maria.execute(DB, "DROP TABLE IF EXISTS items", "DROP TABLE IF EXISTS side", "DROP TABLE IF EXISTS items_copy",
        "CREATE TABLE items (id BIGINT PRIMARY KEY, v INT NOT NULL)",
        // a non-transactional table: a transaction that wrote it must log ROLLBACK TO with the rolled-back rows
        "CREATE TABLE side (id INT PRIMARY KEY) ENGINE=MyISAM",
        "CREATE TABLE items_copy (id BIGINT PRIMARY KEY)",
        "INSERT INTO items SELECT seq, 0 FROM seq_1_to_20");
    String run = Long.toString(System.nanoTime(), 36); // XA ids unique on the shared server
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.reader.idle-table-commit = 1s",
        "syncline.sources = [{ kind = mariadb, name = txs, host = localhost, port = " + maria.port() + ", user = root,"
            + " include-tables = [\"" + DB + ".items\", \"" + DB + ".items_copy\"], heartbeat-interval = 1s }]",
        "pekko.remote.artery.canonical.port = 0"));
    Path file = dir.resolve("out").resolve("txs." + DB + ".items.jsonl");

    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node1.log"), "-Dsyncline.log.reader=DEBUG")) {
      node.await(() -> Delivered.count(file) == 20, "the 20 seed rows snapshotted", WAIT);
      try (Connection c = maria.connect(DB); Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        // an ORM's nested transactions: savepoints, one rolled back after a non-transactional write
        s.execute("INSERT INTO items VALUES (101, 1)");
        s.execute("SAVEPOINT a");
        s.execute("INSERT INTO items VALUES (102, 1)");
        s.execute("UPDATE items SET v = 99 WHERE id = 1");
        s.execute("DELETE FROM items WHERE id = 2");
        s.execute("INSERT INTO side VALUES (1)");
        s.execute("ROLLBACK TO SAVEPOINT a");
        s.execute("INSERT INTO items VALUES (103, 1)");
        s.execute("savepoint `b b`");
        s.execute("INSERT INTO items VALUES (104, 1)");
        s.execute("SAVEPOINT c");
        s.execute("UPDATE items SET v = 5 WHERE id = 104");
        s.execute("RELEASE SAVEPOINT `b b`");
        c.commit();
        // rolled back without a non-transactional write: the server drops the rows before logging
        s.execute("INSERT INTO items VALUES (110, 1)");
        s.execute("SAVEPOINT d");
        s.execute("INSERT INTO items VALUES (111, 1)");
        s.execute("ROLLBACK TO d");
        c.commit();
        c.setAutoCommit(true);
        // XA: two-phase committed (with a transaction committed between prepare and commit), rolled back, one phase
        xa("c1" + run, "INSERT INTO items VALUES (120, 1)", "UPDATE items SET v = 7 WHERE id = 3");
        s.execute("INSERT INTO items VALUES (121, 1)");
        s.execute("XA COMMIT 'c1" + run + "'");
        xa("r1" + run, "INSERT INTO items VALUES (130, 1)", "DELETE FROM items WHERE id = 4");
        s.execute("XA ROLLBACK 'r1" + run + "'");
        s.execute("XA START 'o1" + run + "'");
        s.execute("INSERT INTO items VALUES (140, 1)");
        s.execute("XA END 'o1" + run + "'");
        s.execute("XA COMMIT 'o1" + run + "' ONE PHASE");
        s.execute("TRUNCATE TABLE items");
        s.execute("INSERT INTO items VALUES (150, 1), (151, 1)");
        // DDL that stopped capture: keys named by keywords; CREATE TABLE … SELECT of a captured table
        s.execute("ALTER TABLE items ADD INDEX date (v), ADD KEY year (id, v)");
        s.execute("CREATE OR REPLACE TABLE items_copy (PRIMARY KEY (id)) SELECT id, v FROM items");
        s.execute("INSERT INTO items_copy VALUES (900, 9)");
        s.execute("INSERT INTO items VALUES (152, 1)");
      }
      awaitReplayEqualsTable(node, file);
      Path copy = dir.resolve("out").resolve("txs." + DB + ".items_copy.jsonl");
      Map<String, Map<String, String>> copied = Delivered.rows(maria.connect(DB), "SELECT id, v FROM items_copy", "id");
      node.await(() -> Delivered.replay(copy, "id").equals(copied), "the CREATE TABLE … SELECT rows delivered", WAIT);

      // XA transactions prepared, then a transaction delivered and recorded after them, then kill -9
      xa("k1" + run, "INSERT INTO items VALUES (160, 1)", "UPDATE items SET v = 8 WHERE id = 150");
      xa("k2" + run, "INSERT INTO items VALUES (170, 1)", "DELETE FROM items WHERE id = 151");
      maria.execute(DB, "INSERT INTO items VALUES (161, 1)");
      node.await(() -> Delivered.ids(file, "id").contains("161"), "the change after the prepared XA transactions delivered", WAIT);
      int logged = node.logText().length();
      // "recorded the boundary for tables without changes: [..., txshape.items at before <file>:<offset>, ...]"
      node.await(() -> node.logText().substring(logged).contains(" " + DB + ".items at before ")
          || node.logText().substring(logged).contains("[" + DB + ".items at before "),
          "the table's position recorded past the prepared XA transactions", WAIT);
      assertThat(Delivered.ids(file, "id")).as("rows of prepared, uncommitted XA transactions are not delivered").doesNotContain("160", "170");
      node.kill();
    }
    maria.execute(DB, "XA COMMIT 'k1" + run + "'", "XA ROLLBACK 'k2" + run + "'", "INSERT INTO items VALUES (162, 1)");

    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node2.log"))) {
      awaitReplayEqualsTable(node, file);
      assertThat(Delivered.ids(file, "id")).as("rolled-back rows never delivered").doesNotContain("102", "111", "130", "170");
      assertThat(Delivered.envelopes(file).stream().filter(e -> e.path("op").asText().equals("t")).count())
          .as("one truncate event").isEqualTo(1);
      assertThat(node.isAlive()).isTrue();
    }
  }

  /**
   * Runs {@code statements} as XA transaction {@code xid} up to XA PREPARE, on a connection of its
   * own (which can do nothing else until the commit): the prepared transaction outlives it.
   */
  private static void xa(String xid, String... statements) throws SQLException {
    try (Connection c = MariaDbServer.shared().connect(DB); Statement s = c.createStatement()) {
      s.execute("XA START '" + xid + "'");
      for (String sql : statements) {
        s.execute(sql);
      }
      s.execute("XA END '" + xid + "'");
      s.execute("XA PREPARE '" + xid + "'");
    }
  }

  private static void awaitReplayEqualsTable(NodeProcess node, Path file) throws Exception {
    Delivered.awaitReplayEquals(node, () -> file,
        Delivered.rows(MariaDbServer.shared().connect(DB), "SELECT id, v FROM items", "id"), WAIT);
  }
}
