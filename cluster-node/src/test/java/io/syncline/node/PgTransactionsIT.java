package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL half of the fault suite's transaction shapes (issue 10; the MariaDB half is
 * {@link BinlogTransactionsIT}), through a node process against the real server: savepoints rolled
 * back and released (ORMs' nested transactions), two-phase transactions (PREPARE TRANSACTION, what
 * XA uses) committed and rolled back, TRUNCATE, and updates that change the primary key; then a
 * transaction prepared before a {@code kill -9} while another table sits idle, committed while the
 * node is down, must arrive after the restart. Ends with "replay of what was delivered equals the
 * table" for both tables.
 */
class PgTransactionsIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String DB = "pgtxshape";

  @TempDir
  Path dir;

  @Test
  void shouldDeliverSavepointTwoPhaseTruncateAndKeyChangesAsCommittedAcrossAKill9() throws Exception {
    PgServer pg = PgServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "DROP TABLE IF EXISTS items", "DROP TABLE IF EXISTS quiet",
        "CREATE TABLE items (id BIGINT PRIMARY KEY, v INT NOT NULL)",
        "CREATE TABLE quiet (id BIGINT PRIMARY KEY, v INT NOT NULL)",
        "INSERT INTO items SELECT g, 0 FROM generate_series(1, 20) g",
        "INSERT INTO quiet VALUES (1, 1)");
    String run = Long.toString(System.nanoTime(), 36); // prepared transaction ids unique on the shared server
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.reader.idle-table-commit = 1s",
        "syncline.sources = [{ kind = postgres, name = pgtx, host = localhost, port = " + pg.port() + ", database = "
            + DB + ", user = postgres, slot-name = pgtx_slot, publication-name = pgtx_pub,"
            + " include-tables = [\"public.items\", \"public.quiet\"], heartbeat-interval = 1s }]",
        "pekko.remote.artery.canonical.port = 0"));
    Path items = dir.resolve("out").resolve("pgtx.public.items.jsonl");
    Path quiet = dir.resolve("out").resolve("pgtx.public.quiet.jsonl");

    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node1.log"), "-Dsyncline.log.reader=DEBUG")) {
      node.await(() -> Delivered.count(items) == 20 && Delivered.count(quiet) == 1, "the seed rows snapshotted", WAIT);
      try (Connection c = pg.connect(DB); Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        // an ORM's nested transactions: savepoints, one rolled back, one released
        s.execute("INSERT INTO items VALUES (101, 1)");
        s.execute("SAVEPOINT a");
        s.execute("INSERT INTO items VALUES (102, 1)");
        s.execute("UPDATE items SET v = 99 WHERE id = 1");
        s.execute("DELETE FROM items WHERE id = 2");
        s.execute("ROLLBACK TO SAVEPOINT a");
        s.execute("INSERT INTO items VALUES (103, 1)");
        s.execute("SAVEPOINT \"b b\"");
        s.execute("INSERT INTO items VALUES (104, 1)");
        s.execute("UPDATE items SET v = 5 WHERE id = 104");
        s.execute("RELEASE SAVEPOINT \"b b\"");
        c.commit();
        // primary-key changes: one row, then several in one statement
        s.execute("UPDATE items SET id = 1001 WHERE id = 3");
        s.execute("UPDATE items SET id = id + 2000 WHERE id BETWEEN 5 AND 7");
        c.commit();
        c.setAutoCommit(true);
        // two-phase: committed (with a transaction committed between prepare and commit), rolled back
        prepare(pg, "c1" + run, "INSERT INTO items VALUES (120, 1)", "UPDATE items SET v = 7 WHERE id = 8");
        s.execute("INSERT INTO items VALUES (121, 1)");
        s.execute("COMMIT PREPARED 'c1" + run + "'");
        prepare(pg, "r1" + run, "INSERT INTO items VALUES (130, 1)", "DELETE FROM items WHERE id = 9");
        s.execute("ROLLBACK PREPARED 'r1" + run + "'");
        s.execute("TRUNCATE TABLE items");
        s.execute("INSERT INTO items VALUES (150, 1), (151, 1), (152, 1)");
        s.execute("UPDATE items SET id = 153 WHERE id = 152");
      }
      awaitReplayEqualsTable(node, pg, items, "items");

      // prepared transactions, then a transaction delivered and recorded after them, then kill -9
      prepare(pg, "k1" + run, "INSERT INTO items VALUES (160, 1)", "UPDATE items SET v = 8 WHERE id = 150",
          "UPDATE quiet SET v = 2 WHERE id = 1");
      prepare(pg, "k2" + run, "INSERT INTO items VALUES (170, 1)", "DELETE FROM items WHERE id = 151");
      pg.execute(DB, "INSERT INTO items VALUES (161, 1)");
      node.await(() -> Delivered.ids(items, "id").contains("161"), "the change after the prepared transactions delivered", WAIT);
      int logged = node.logText().length();
      // the idle table's position recorded past the prepared transactions as well
      node.await(() -> node.logText().substring(logged).matches("(?s).*recorded the boundary for tables without"
          + " changes: \\[[^\\]]*public\\.quiet at .*"), "the idle table's position recorded", WAIT);
      assertThat(Delivered.ids(items, "id")).as("rows of prepared, uncommitted transactions are not delivered").doesNotContain("160", "170");
      node.kill();
    }
    pg.execute(DB, "COMMIT PREPARED 'k1" + run + "'", "ROLLBACK PREPARED 'k2" + run + "'",
        "INSERT INTO items VALUES (162, 1)");

    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node2.log"))) {
      awaitReplayEqualsTable(node, pg, items, "items");
      awaitReplayEqualsTable(node, pg, quiet, "quiet");
      assertThat(Delivered.ids(items, "id")).as("rolled-back rows never delivered").doesNotContain("102", "130", "170");
      assertThat(Delivered.envelopes(items).stream().filter(e -> e.path("op").asText().equals("t")).count())
          .as("one truncate event").isEqualTo(1);
      assertThat(node.isAlive()).isTrue();
    }
  }

  /** Runs {@code statements} as a transaction prepared for two-phase commit as {@code gid}. */
  private static void prepare(PgServer pg, String gid, String... statements) throws Exception {
    try (Connection c = pg.connect(DB); Statement s = c.createStatement()) {
      s.execute("BEGIN");
      for (String sql : statements) {
        s.execute(sql);
      }
      s.execute("PREPARE TRANSACTION '" + gid + "'");
    }
  }

  private static void awaitReplayEqualsTable(NodeProcess node, PgServer pg, Path file, String table) throws Exception {
    Delivered.awaitReplayEquals(node, () -> file, Delivered.rows(pg.connect(DB), "SELECT id, v FROM " + table, "id"),
        WAIT);
  }
}
