package io.syncline.node.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.PgServer;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault suite, the PostgreSQL source server (one of its own): under a write load its walsender is
 * terminated mid-stream ({@code pg_terminate_backend} of the slot's {@code active_pid}), then the
 * whole server is stopped and started again. The node reconnects by itself each time; the replay
 * of what was delivered equals each table, every change is present, positions never went backwards.
 */
class PostgresServerFaultsIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String DB = "fault_pg";
  private static final String SOURCE = "pgf";
  private static final List<String> TABLES = List.of("a", "b");

  @TempDir
  Path dir;

  @Test
  void shouldReconnectAndLoseNothingWhenTheWalsenderIsKilledAndTheServerRestarts() throws Exception {
    try (PgServer server = PgServer.start(Map.of(), dir.resolve("pgdata"))) {
      SqlDatabase db = SqlDatabase.postgres(server);
      db.createTables(DB, TABLES.toArray(String[]::new));
      Path config = NodeConfig.write(dir, List.of(db.sourceEntry(SOURCE, DB, TABLES, "max-batch-size = 200")));
      try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"))) {
        node.awaitLog("': capturing ", WAIT);
        try (Load load = Load.start("pg", () -> db.connect(DB), TABLES, 100)) {
          awaitDelivered(node, db, 300);

          // 1. the walsender terminated mid-stream
          long walsender = activePid(server);
          int mark = node.logMark();
          server.execute(DB, "SELECT pg_terminate_backend(" + walsender + ")");
          node.awaitLogSince(mark, "': capture failed (", 1, WAIT);
          node.await(() -> activePid(server) > 0 && activePid(server) != walsender, "a new walsender on the slot", WAIT);
          awaitDelivered(node, db, delivered(db) + 300);

          // 2. the server stopped (a fast shutdown: every session ends) and started again a few seconds later
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
            System.out.println("PostgreSQL faults " + t + ": " + tally + ", load reconnects " + load.reconnects());
          }
          assertThat(load.reconnects()).as("the load lost its connection with the server's stop").isPositive();
        }
        node.stop(Duration.ofSeconds(60));
      }
      Journal.assertPositionsNeverWentBackwards(config, 2,
          TABLES.stream().map(t -> db.entityId(SOURCE, DB, t)).toArray(String[]::new));
    }
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

  /** The pid of the walsender serving the node's slot, 0 when none (or the server is away). */
  private static long activePid(PgServer server) {
    try (Connection c = server.connect(DB); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'syncline_" + SOURCE + "'")) {
      return rs.next() ? rs.getLong(1) : 0;
    } catch (java.sql.SQLException e) {
      return 0;
    }
  }
}
