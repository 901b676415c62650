package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, finding 4: when the source's log goes back or is another server's (a replication slot
 * gone, another PostgreSQL cluster at the same address, RESET MASTER), the tables' recorded positions
 * mean nothing there and new changes below them would be dropped as delivered. The node must never
 * read from them: by default it stops the source with an error naming the fix; with
 * {@code on-position-lost = resnapshot} it forgets them, reads the tables again and streams from
 * there. Node processes against the real servers.
 */
class PositionsWentBackIT {

  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir
  Path dir;

  private Path config(String sourceEntry) throws Exception {
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.sources = [" + sourceEntry + "]",
        "pekko.remote.artery.canonical.port = 0"));
    return config;
  }

  /**
   * Runs the node until the source has delivered {@code lines} lines and recorded its positions
   * ("capturing" comes once they are), then kills it.
   */
  private void captureUntil(Path config, Path file, long lines, String log) throws Exception {
    try (NodeProcess node = NodeProcess.start(config, dir.resolve(log))) {
      node.awaitLog("': capturing ", WAIT);
      node.await(() -> Delivered.count(file) >= lines, lines + " lines delivered", WAIT);
      node.kill();
    }
  }

  /** Starts the node, which must refuse the positions: the source stops with the reason and the fix, and nothing is read. */
  private void expectRefusal(Path config, Path file, String reason) throws Exception {
    long before = Delivered.count(file);
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("refused.log"))) {
      node.awaitLog("stopped, not retried", WAIT);
      String log = node.logText();
      assertThat(log).contains(reason).contains("Fix: set on-position-lost = resnapshot");
      assertThat(Delivered.count(file)).as("nothing delivered from the invalid positions").isEqualTo(before);
      assertThat(log.split("stopped, not retried", -1)).as("not retried").hasSize(2);
    }
  }

  /** Starts the node with {@code on-position-lost = resnapshot}: the table is read again; replay = the table. */
  private void expectResnapshot(Path config, Path file, Connection table) throws Exception {
    Files.writeString(config, Files.readString(config).replace("on-position-lost = fail", "on-position-lost = resnapshot"));
    Map<String, Map<String, String>> expected = Delivered.rows(table, "SELECT id, v FROM t", "id");
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("resnapshot.log"))) {
      node.await(() -> Delivered.replay(file, "id").equals(expected), "the re-read table in the output", WAIT);
      assertThat(node.logText()).contains("on-position-lost = resnapshot: forgetting the positions");
    }
  }

  @Test
  void shouldRefuseThenResnapshotWhenTheMariaDbBinlogWasReset() throws Exception {
    MariaDbServer m = MariaDbServer.shared();
    m.createDatabase("wentback");
    m.execute("wentback", "DROP TABLE IF EXISTS t", "CREATE TABLE t (id BIGINT PRIMARY KEY, v INT NOT NULL)",
        "INSERT INTO t VALUES (1, 0), (2, 0)");
    Path config = config("{ kind = mariadb, name = wb, host = localhost, port = " + m.port() + ", user = root,"
        + " include-tables = [\"wentback.t\"], on-position-lost = fail }");
    Path file = dir.resolve("out/wb.wentback.t.jsonl");
    captureUntil(config, file, 2, "first.log");
    m.execute("wentback", "INSERT INTO t VALUES (3, 0)", "UPDATE t SET v = 1 WHERE id = 1");
    captureUntil(config, file, 4, "second.log");
    // the binlog starts over while the node is down: the recorded positions are now ahead of it
    m.execute("wentback", "RESET MASTER", "INSERT INTO t VALUES (4, 0)", "UPDATE t SET v = 2 WHERE id = 2");

    expectRefusal(config, file, "its binlog went back");
    expectResnapshot(config, file, m.connect("wentback"));
  }

  @Test
  void shouldRefuseThenResnapshotWhenTheSlotIsGone() throws Exception {
    PgServer pg = PgServer.shared();
    pg.createDatabase("wentback");
    pg.execute("wentback", "DROP TABLE IF EXISTS t", "CREATE TABLE t (id bigint PRIMARY KEY, v int NOT NULL)",
        "INSERT INTO t VALUES (1, 0), (2, 0)");
    Path config = config("{ kind = postgres, name = wbs, host = localhost, port = " + pg.port() + ", database = wentback,"
        + " user = postgres, include-tables = [\"public.t\"], on-position-lost = fail }");
    Path file = dir.resolve("out/wbs.public.t.jsonl");
    captureUntil(config, file, 2, "first.log");
    pg.dropSlotWhenReleased("wentback", "syncline_wbs", Duration.ofSeconds(30));
    pg.execute("wentback", "INSERT INTO t VALUES (3, 0)", "UPDATE t SET v = 1 WHERE id = 1");

    expectRefusal(config, file, "replication slot 'syncline_wbs' is gone");
    expectResnapshot(config, file, pg.connect("wentback"));
  }

  @Test
  void shouldRefuseThenResnapshotWhenAnotherPostgresClusterAnswersAtTheAddress() throws Exception {
    PgServer first = PgServer.shared();
    first.createDatabase("other");
    first.execute("other", "DROP TABLE IF EXISTS t", "CREATE TABLE t (id bigint PRIMARY KEY, v int NOT NULL)",
        "INSERT INTO t VALUES (1, 0), (2, 0)");
    String entry = "{ kind = postgres, name = wbo, host = localhost, port = %d, database = other, user = postgres,"
        + " slot-name = wbo_slot, include-tables = [\"public.t\"], on-position-lost = fail }";
    Path config = config(String.format(entry, first.port()));
    Path file = dir.resolve("out/wbo.public.t.jsonl");
    captureUntil(config, file, 2, "first.log");
    first.dropSlotWhenReleased("other", "wbo_slot", Duration.ofSeconds(30));

    // a new cluster (its own system identifier) with the same database, table and slot name
    try (PgServer second = PgServer.start(Map.of())) {
      second.createDatabase("other");
      second.execute("other", "CREATE TABLE t (id bigint PRIMARY KEY, v int NOT NULL)",
          "INSERT INTO t VALUES (1, 0), (2, 0), (3, 5)");
      try (Connection c = second.connect("other"); Statement s = c.createStatement()) {
        s.execute("SELECT pg_create_logical_replication_slot('wbo_slot', 'pgoutput')");
      }
      Files.writeString(config, Files.readString(config).replace("port = " + first.port(), "port = " + second.port()));

      expectRefusal(config, file, "another cluster");
      expectResnapshot(config, file, second.connect("other"));
    }
  }
}
