package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.FreezingProxy;
import io.syncline.node.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL source's faults as a user meets them: a node process ({@code syncline run}) against
 * the real server, each case ending with "replay of what was delivered equals the table", or with the
 * one clear error the user must act on.
 */
class PgSourceFaultsIT {

  private static final String DB = "pgfaults";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static PgServer pg;

  @TempDir
  Path dir;

  @BeforeAll
  static void server() {
    pg = PgServer.shared();
    pg.createDatabase(DB);
  }

  /** A node configuration with one PostgreSQL source {@code name} (slot and publication named after it). */
  private Path config(String name, String sourceKeys) throws Exception {
    return config(name, pg.port(), sourceKeys);
  }

  /** The same, reaching the server at {@code port} (a proxy, another server). */
  private Path config(String name, int port, String sourceKeys) throws Exception {
    Path config = dir.resolve(name + ".conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.sources = [{ kind = postgres, name = " + name + ", host = localhost, port = " + port
            + ", database = " + DB + ", user = postgres, slot-name = " + name + "_slot, publication-name = " + name
            + "_pub, " + sourceKeys + " }]",
        "pekko.remote.artery.canonical.port = 0"));
    return config;
  }

  private Path out(String source, String table) {
    return dir.resolve("out").resolve(source + ".public." + table + ".jsonl");
  }

  private static Map<String, Map<String, String>> table(String query) throws Exception {
    return Delivered.rows(pg.connect(DB), query, "id");
  }

  /** Waits until replaying {@code file} gives exactly the rows of {@code query}. */
  private static void awaitReplayEqualsTable(NodeProcess node, Path file, String query) throws Exception {
    Map<String, Map<String, String>> expected = table(query);
    node.await(() -> Delivered.replay(file, "id").equals(expected), "replay of " + file.getFileName()
        + " equal to the table", WAIT);
  }

  // ------------------------------------------------------------------ item 8a: publication flags

  @Test
  void shouldRefuseAPublicationThatDoesNotPublishUpdatesAndDeletes() throws Exception {
    pg.execute(DB, "DROP TABLE IF EXISTS ins_only", "CREATE TABLE ins_only (id int PRIMARY KEY, v int)",
        "DROP PUBLICATION IF EXISTS insonly_pub",
        "CREATE PUBLICATION insonly_pub FOR TABLE ins_only WITH (publish = 'insert')");
    Path config = config("insonly", "include-tables = [\"public.ins_only\"], create-publication = false");
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("insonly.log"))) {
      node.awaitLog("publication 'insonly_pub' does not publish update, delete, truncate", Duration.ofSeconds(30));
      assertThat(node.logText())
          .contains("ALTER PUBLICATION \"insonly_pub\" SET (publish = 'insert, update, delete, truncate')")
          .doesNotContain("capturing 1 tables");
    } finally {
      pg.dropSlotWhenReleased(DB, "insonly_slot", WAIT); // created only before the check existed
    }
  }

  // ------------------------------------------------------------------ item 5: tables created while running

  @Test
  void shouldCaptureATableCreatedWhileRunningFromItsCreation() throws Exception {
    pg.execute(DB, "DROP TABLE IF EXISTS grow_a, grow_b", "CREATE TABLE grow_a (id int PRIMARY KEY, v int)",
        "INSERT INTO grow_a VALUES (1, 1)");
    Path config = config("grow", "include-tables = [\"public.grow_*\"], table-discovery-interval = 1s,"
        + " heartbeat-interval = 1s");
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("grow.log"))) {
      node.awaitLog("capturing 1 tables", WAIT);
      // created while the node runs, and written to at once: before the source can know of it
      pg.execute(DB, "CREATE TABLE grow_b (id int PRIMARY KEY, v text)",
          "INSERT INTO grow_b SELECT g, 'x' || g FROM generate_series(1, 50) g",
          "UPDATE grow_b SET v = 'y' WHERE id <= 10", "DELETE FROM grow_b WHERE id > 45");
      // and while it is being taken in
      for (int i = 100; i < 130; i++) {
        pg.execute(DB, "INSERT INTO grow_b VALUES (" + i + ", 'z')", "UPDATE grow_b SET v = v || '+' WHERE id = " + (i - 95),
            "INSERT INTO grow_a VALUES (" + i + ", " + i + ")");
        java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
      }
      node.awaitLog("capturing 2 tables", WAIT);
      pg.execute(DB, "DELETE FROM grow_b WHERE id = 1", "UPDATE grow_b SET v = 'last' WHERE id = 2");
      awaitReplayEqualsTable(node, out("grow", "grow_b"), "SELECT id, v FROM grow_b");
      awaitReplayEqualsTable(node, out("grow", "grow_a"), "SELECT id, v FROM grow_a");
      assertThat(node.logText()).contains("new table matching include-tables: [public.grow_b]");
    } finally {
      pg.dropSlotWhenReleased(DB, "grow_slot", WAIT);
    }
  }

  // ------------------------------------------------------------------ item 10: half-open connections

  @Test
  void shouldReconnectWithinTheServerTimeoutWhenTheNetworkFreezes() throws Exception {
    pg.execute(DB, "DROP TABLE IF EXISTS frozen", "CREATE TABLE frozen (id int PRIMARY KEY, v int)",
        "INSERT INTO frozen SELECT g, 0 FROM generate_series(1, 100) g");
    try (FreezingProxy proxy = FreezingProxy.start("localhost", pg.port())) {
      Path config = config("frozen", proxy.port(), "include-tables = [\"public.frozen\"], heartbeat-interval = 1s,"
          + " server-timeout = 4s");
      try (NodeProcess node = NodeProcess.start(config, dir.resolve("frozen.log"))) {
        Path file = out("frozen", "frozen");
        node.awaitLog("capturing 1 tables", WAIT);
        node.await(() -> Delivered.count(file) >= 100, "the snapshot's 100 rows", WAIT);
        assertThat(proxy.freeze()).as("connections frozen").isGreaterThanOrEqualTo(2);
        long frozenAt = System.nanoTime();
        pg.execute(DB, "INSERT INTO frozen SELECT g, 1 FROM generate_series(101, 200) g",
            "UPDATE frozen SET v = 2 WHERE id <= 50", "DELETE FROM frozen WHERE id > 190");
        awaitReplayEqualsTable(node, file, "SELECT id, v FROM frozen");
        Duration took = Duration.ofNanos(System.nanoTime() - frozenAt);
        // 4 s server-timeout (+1 s until the next heartbeat), 1 s backoff, reconnect: well under 30 s
        assertThat(took).as("from the freeze to every change delivered").isLessThan(Duration.ofSeconds(30));
        assertThat(node.logText()).containsPattern("no (message|answer) from PostgreSQL at localhost:" + proxy.port());
      }
    } finally {
      pg.dropSlotWhenReleased(DB, "frozen_slot", WAIT);
    }
  }

  // ------------------------------------------------------------------ item 4: a slot the server invalidated

  @Test
  void shouldStopWithTheFixWhenTheServerInvalidatedTheSlot() throws Exception {
    // a server of its own: it removes WAL beyond 1 MB that slots still need
    try (PgServer small = PgServer.start(Map.of("max_slot_wal_keep_size", "1MB"))) {
      small.createDatabase(DB);
      small.execute(DB, "CREATE TABLE lossy (id int PRIMARY KEY, v text)", "INSERT INTO lossy VALUES (1, 'a')");
      Path config = config("lossy", small.port(), "include-tables = [\"public.lossy\"]");
      try (NodeProcess node = NodeProcess.start(config, dir.resolve("lossy-1.log"))) {
        node.awaitLog("capturing 1 tables", WAIT);
        node.kill();
      }
      // changes the slot would have sent, then more WAL than it may keep, then a checkpoint removes it
      for (int i = 0; i < 4; i++) {
        small.execute(DB, "INSERT INTO lossy SELECT g, repeat('x', 100) FROM generate_series(" + (i * 1000 + 2) + ", "
            + (i * 1000 + 1000) + ") g", "SELECT pg_switch_wal()");
      }
      small.execute(DB, "CHECKPOINT");
      try (var c = small.connect(DB); var rs = c.createStatement().executeQuery(
          "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'lossy_slot'")) {
        assertThat(rs.next() ? rs.getString(1) : null).as("the server invalidated the slot").isEqualTo("lost");
      }
      try (NodeProcess node = NodeProcess.start(config, dir.resolve("lossy-2.log"))) {
        node.awaitLog("replication slot 'lossy_slot' was invalidated by the server (wal_status = lost", WAIT);
        assertThat(node.logText())
            .contains("are lost and the slot can never stream again")
            .contains("SELECT pg_drop_replication_slot('lossy_slot');")
            .contains("stopped, not retried")
            .doesNotContain("capturing 1 tables");
      }
    }
  }
}
