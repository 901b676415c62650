package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.MariaDbServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.FreezingProxy;
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
 * Issue 10, finding 10: a network that silently stops carrying packets (no FIN, no RST) left the
 * binlog reader waiting forever, since its keep-alive was off and its socket had no read timeout. A
 * proxy between the node and MariaDB freezes its open connections (new ones still work); the
 * writes go on; the node must notice within {@code heartbeat-timeout}, reconnect, and deliver every
 * change (replay = table).
 */
class HalfOpenBinlogConnectionIT {

  private static final String DB = "halfopen";

  @TempDir
  Path dir;

  @Test
  void shouldReconnectWithinTheHeartbeatTimeoutWhenTheBinlogConnectionGoesSilent() throws Exception {
    MariaDbServer maria = MariaDbServer.shared();
    maria.createDatabase(DB);
    maria.execute(DB, "DROP TABLE IF EXISTS t", "CREATE TABLE t (id BIGINT PRIMARY KEY, v INT NOT NULL)");
    try (FreezingProxy proxy = FreezingProxy.start("localhost", maria.port())) {
      Path config = dir.resolve("node.conf");
      Files.writeString(config, String.join("\n",
          "syncline.data-dir = \"" + dir.resolve("state") + "\"",
          "syncline.transport.sinks = [jsonl]",
          "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
          "syncline.reader.min-backoff = 200ms",
          "syncline.sources = [{ kind = mariadb, name = hop, host = \"127.0.0.1\", port = " + proxy.port() + ","
              + " user = root, include-tables = [\"" + DB + ".t\"], snapshot-mode = never,"
              + " heartbeat-interval = 1s, heartbeat-timeout = 4s }]",
          "pekko.remote.artery.canonical.port = 0"));
      Path file = dir.resolve("out").resolve("hop." + DB + ".t.jsonl");
      try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"))) {
        node.awaitLog("': capturing ", Duration.ofSeconds(90));
        maria.execute(DB, "INSERT INTO t VALUES (1, 0)");
        node.await(() -> Delivered.count(file) == 1, "the first change delivered", Duration.ofSeconds(60));

        proxy.freeze(); // the binlog connection (and any other open one) now carries nothing, and stays open
        long frozen = System.nanoTime();
        try (Connection c = maria.connect(DB); Statement s = c.createStatement()) {
          for (int i = 2; i <= 200; i++) {
            s.executeUpdate("INSERT INTO t VALUES (" + i + ", " + i + ")");
          }
          s.executeUpdate("UPDATE t SET v = -1 WHERE id <= 10");
          s.executeUpdate("DELETE FROM t WHERE id BETWEEN 50 AND 60");
        }
        Map<String, Map<String, String>> expected = Delivered.rows(maria.connect(DB), "SELECT id, v FROM t", "id");
        // heartbeat-timeout 4 s, then a restart after 200 ms of backoff: well within 30 s
        node.await(() -> Delivered.replay(file, "id").equals(expected), "every change delivered after the reconnect",
            Duration.ofSeconds(30));
        long seconds = Duration.ofNanos(System.nanoTime() - frozen).toSeconds();
        System.out.println("half-open binlog connection: everything delivered " + seconds + " s after the freeze");
        assertThat(seconds).as("seconds from the freeze to everything delivered").isLessThan(30);
        assertThat(node.logText()).contains("heartbeat-timeout").contains("reconnecting");
        assertThat(proxy.connections()).as("the node connected again through the proxy").isGreaterThan(1);
      }
    }
  }
}
