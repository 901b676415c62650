package io.syncline.node.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.MariaDbServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.Journal;
import io.syncline.node.testing.Load;
import io.syncline.node.testing.NodeConfig;
import io.syncline.node.testing.NodeProcess;
import io.syncline.node.testing.SqlDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault suite, the MariaDB source server: under a write load the binlog connection is killed
 * ({@code KILL} of the binlog dump thread), then the server is stopped and started again (the
 * shared server: starting one costs 10–15 s, starting it again a few). The node reconnects by
 * itself each time; the replay of what was delivered equals each table, every change is present,
 * positions never went backwards.
 */
class MariaDbServerFaultsIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String DB = "fault_maria";
  private static final String SOURCE = "maf";
  private static final List<String> TABLES = List.of("a", "b");

  @TempDir
  Path dir;

  @Test
  void shouldReconnectAndLoseNothingWhenTheBinlogConnectionIsKilledAndTheServerRestarts() throws Exception {
    MariaDbServer server = MariaDbServer.shared();
    SqlDatabase db = SqlDatabase.mariadb(server);
    db.createTables(DB, TABLES.toArray(String[]::new));
    Path config = NodeConfig.write(dir, List.of(db.sourceEntry(SOURCE, DB, TABLES,
        "heartbeat-interval = 1s, max-batch-size = 200")));
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"))) {
      node.awaitLog("': capturing ", WAIT);
      try (Load load = Load.start("maria", () -> db.connect(DB), TABLES, 100)) {
        awaitDelivered(node, db, 300);

        // 1. the binlog connection killed by the server
        List<Long> dumps = binlogDumpThreads(server);
        assertThat(dumps).as("binlog dump threads").hasSize(1);
        int mark = node.logMark();
        server.execute("", "KILL " + dumps.get(0));
        // the reader sees its stream end (the binlog client reports the closed connection as an end, not
        // a failure) and starts capturing again from the recorded positions
        node.awaitLogSince(mark, "': capturing ", 1, WAIT);
        node.await(() -> binlogDumpThreads(server).stream().anyMatch(id -> !id.equals(dumps.get(0))),
            "a new binlog connection", WAIT);
        awaitDelivered(node, db, delivered(db) + 300);

        // 2. the server stopped and started again
        int mark2 = node.logMark();
        server.stop();
        // the capture fails, then a retry fails while the server is down
        node.awaitLogSince(mark2, "failed (", 2, WAIT);
        server.startAgain();
        load.awaitMoreChanges(500, WAIT);
        load.stop();
        for (String t : TABLES) {
          Delivered.awaitReplayEquals(node, () -> file(db, t), db.rows(DB, t), WAIT);
          Delivered.Tally tally = Delivered.assertEveryChangePresent(file(db, t), load.committed(t));
          System.out.println("MariaDB faults " + t + ": " + tally + ", load reconnects " + load.reconnects());
        }
        assertThat(load.reconnects()).as("the load lost its connection with the server's stop").isPositive();
      }
      node.stop(Duration.ofSeconds(60));
    }
    Journal.assertPositionsNeverWentBackwards(config, 2,
        TABLES.stream().map(t -> db.entityId(SOURCE, DB, t)).toArray(String[]::new));
  }

  private Path file(SqlDatabase db, String table) {
    return NodeConfig.output(dir, SOURCE, db.schemaTable(DB, table));
  }

  private long delivered(SqlDatabase db) {
    return TABLES.stream().mapToLong(t -> Delivered.count(file(db, t))).sum();
  }

  private void awaitDelivered(NodeProcess node, SqlDatabase db, long n) {
    node.await(() -> delivered(db) >= n, n + " changes delivered", WAIT);
  }

  /** Ids of the server's binlog dump threads (one per binlog reader); empty when the server is away. */
  private static List<Long> binlogDumpThreads(MariaDbServer server) {
    List<Long> ids = new ArrayList<>();
    try (Connection c = server.connect(""); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    } catch (java.sql.SQLException e) {
      return List.of();
    }
    return ids;
  }
}
