package io.syncline.node.faults;

import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.Journal;
import io.syncline.node.testing.Load;
import io.syncline.node.testing.NodeConfig;
import io.syncline.node.testing.NodeProcess;
import io.syncline.node.testing.SqlDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fault suite, node {@code kill -9} with idle tables (issue 10, finding 1's path): two tables under
 * a write load, two idle for longer than {@code idle-table-commit} (so they record the source's
 * boundary), the node killed, the load going on and the idle tables written while it is down, the
 * node started again; then everything quiet until every table recorded the boundary at the end of
 * the log, the node killed again, and the first transaction after it an idle table's. Ends as every fault test: the replay of what was delivered equals each table,
 * every committed change is present, and no table's position went backwards.
 */
class NodeKillIdleTablesIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String DB = "fault_kill";
  private static final String SOURCE = "kil";
  private static final List<String> BUSY = List.of("busy1", "busy2");
  private static final List<String> IDLE = List.of("idle1", "idle2");

  /** The reader logs each boundary it records for tables without changes at DEBUG. */
  private static final String DEBUG = "-Dsyncline.log.reader=DEBUG";

  @TempDir
  Path dir;

  static Stream<SqlDatabase> databases() {
    return Stream.of(SqlDatabase.postgres(PgServer.shared()), SqlDatabase.mariadb(MariaDbServer.shared()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void shouldLoseNothingWhenKilledWhileSomeTablesAreIdle(SqlDatabase db) throws Exception {
    List<String> tables = new ArrayList<>(BUSY);
    tables.addAll(IDLE);
    db.createTables(DB, tables.toArray(String[]::new));
    db.transaction(DB, "INSERT INTO idle1 VALUES (1000000, 0)", "INSERT INTO idle2 VALUES (2000000, 0)");
    Path config = NodeConfig.write(dir, List.of(db.sourceEntry(SOURCE, DB, tables,
        "heartbeat-interval = 1s, max-batch-size = 500")), "syncline.reader.idle-table-commit = 2s");

    Load load = null;
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node1.log"), DEBUG)) {
      node.awaitLog("': capturing ", WAIT);
      load = Load.start("busy", () -> db.connect(DB), BUSY, 100); // streamed changes only, after the snapshot
      // one change on each idle table, then nothing more until the node is down
      db.transaction(DB, "UPDATE idle1 SET v = 1 WHERE id = 1000000");
      db.transaction(DB, "UPDATE idle2 SET v = 1 WHERE id = 2000000");
      node.await(() -> Delivered.changes(file(db, "idle1"), "id", "v").contains("u:1000000:1")
          && Delivered.changes(file(db, "idle2"), "id", "v").contains("u:2000000:1"), "the idle tables' one change", WAIT);
      // idle for idle-table-commit: both record the boundary of a later batch of the busy tables
      awaitBoundaryRecorded(node, db, IDLE);
      load.awaitMoreChanges(300, WAIT);
      node.kill(); // 1: under load
    }
    // while the node is down: the load goes on, and the idle tables change for the first time in a while
    db.transaction(DB, "INSERT INTO idle1 VALUES (1, 0)", "INSERT INTO idle1 VALUES (2, 0)",
        "INSERT INTO idle1 VALUES (3, 0)", "UPDATE idle1 SET v = 2 WHERE id = 1000000");
    db.transaction(DB, "INSERT INTO idle2 VALUES (1, 0)");
    load.awaitMoreChanges(300, WAIT);

    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node2.log"), DEBUG)) {
      node.awaitLog("': capturing ", WAIT);
      load.awaitMoreChanges(300, WAIT);
      // quiet: every table records the boundary at the end of the log, then the node is killed
      load.pause();
      awaitBoundaryRecorded(node, db, tables);
      node.kill(); // 2: after a quiet period (finding 1: the next transaction starts at the recorded boundary)
    }
    // the first transaction after the boundary is an idle table's; then the load again
    db.transaction(DB, "INSERT INTO idle1 VALUES (4, 0)", "INSERT INTO idle1 VALUES (5, 0)",
        "UPDATE idle1 SET v = 3 WHERE id = 1000000");
    db.transaction(DB, "INSERT INTO idle2 VALUES (2, 0)", "DELETE FROM idle2 WHERE id = 2000000");
    load.resume();
    load.awaitMoreChanges(300, WAIT);

    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node3.log"))) {
      load.awaitMoreChanges(300, WAIT);
      load.stop();
      for (String t : tables) {
        Delivered.awaitReplayEquals(node, () -> file(db, t), db.rows(DB, t), WAIT);
      }
      for (String t : BUSY) {
        Delivered.Tally tally = Delivered.assertEveryChangePresent(file(db, t), load.committed(t));
        System.out.println(db + " " + t + ": " + tally);
      }
      Delivered.assertEveryChangePresent(file(db, "idle1"), List.of("u:1000000:1", "c:1:0", "c:2:0", "c:3:0",
          "u:1000000:2", "c:4:0", "c:5:0", "u:1000000:3"));
      Delivered.assertEveryChangePresent(file(db, "idle2"), List.of("u:2000000:1", "c:1:0", "c:2:0", "d:2000000"));
      node.stop(Duration.ofSeconds(60));
    } finally {
      load.close();
    }
    Journal.assertPositionsNeverWentBackwards(config, 2,
        tables.stream().map(t -> db.entityId(SOURCE, DB, t)).toArray(String[]::new));
  }

  /** Waits until each of {@code tables} records the source's boundary as a table without changes. */
  private static void awaitBoundaryRecorded(NodeProcess node, SqlDatabase db, List<String> tables) {
    int mark = node.logText().length();
    node.await(() -> {
      String since = node.logText().substring(mark);
      return since.contains("recorded the boundary for tables without changes: [")
          && tables.stream().allMatch(t -> since.contains(db.schemaTable(DB, t) + " at "));
    }, "the boundary recorded for " + tables, WAIT);
  }

  private Path file(SqlDatabase db, String table) {
    return NodeConfig.output(dir, SOURCE, db.schemaTable(DB, table));
  }
}
