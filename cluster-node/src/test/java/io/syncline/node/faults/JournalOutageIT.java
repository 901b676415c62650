package io.syncline.node.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.Journal;
import io.syncline.node.testing.Load;
import io.syncline.node.testing.NodeConfig;
import io.syncline.node.testing.NodeProcess;
import io.syncline.node.testing.SqlDatabase;
import io.syncline.persistence.Lsn;
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
 * Fault suite, the journal database stopped mid-stream: a node whose journal is PostgreSQL
 * ({@code syncline.journal.kind = postgres}, a server of its own) captures the shared PostgreSQL
 * under a write load; the journal server is stopped for a while and started again. While it is
 * down the source is not acknowledged (the slot's confirmed position stays); the node recovers by
 * itself, without a restart; the replay of what was delivered equals each table, every change is
 * present, positions (read from the PostgreSQL journal) never went backwards.
 */
class JournalOutageIT {

  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String DB = "fault_journal";
  private static final String SOURCE = "jrn";
  private static final List<String> TABLES = List.of("a", "b");

  @TempDir
  Path dir;

  @Test
  void shouldStopAcknowledgingButLoseNothingWhileTheJournalIsDown() throws Exception {
    PgServer source = PgServer.shared();
    SqlDatabase db = SqlDatabase.postgres(source);
    db.createTables(DB, TABLES.toArray(String[]::new));
    try (PgServer journal = PgServer.start(Map.of(), dir.resolve("journal-data"))) {
      journal.createDatabase("journal");
      Path config = NodeConfig.write(dir, List.of(db.sourceEntry(SOURCE, DB, TABLES, "max-batch-size = 200")),
          "syncline.journal.kind = postgres",
          "syncline.journal.url = \"jdbc:postgresql://localhost:" + journal.port() + "/journal\"",
          "syncline.journal.user = postgres",
          "syncline.reader.ask-timeout = 5s");
      try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"))) {
        node.awaitLog("': capturing ", WAIT);
        try (Load load = Load.start("journal", () -> db.connect(DB), TABLES, 100)) {
          node.await(() -> delivered(db) >= 300, "300 changes delivered", WAIT);

          int mark = node.logMark();
          journal.stop();
          awaitSeconds(node, 1); // a batch recorded just before the stop has been acknowledged by now
          long acknowledged = confirmedFlush(source);
          // down for longer than two ask-timeouts while the load goes on: nothing may be acknowledged
          awaitSeconds(node, 12);
          assertThat(confirmedFlush(source)).as("the slot's confirmed position while the journal is down")
              .isEqualTo(acknowledged);
          // the capture failed (its positions could not be recorded) and a retry failed too (they cannot be read)
          node.awaitLogSince(mark, "failed (", 2, WAIT);
          journal.startAgain();
          load.awaitMoreChanges(300, WAIT);
          load.stop();
          for (String t : TABLES) {
            Delivered.awaitReplayEquals(node, () -> file(db, t), db.rows(DB, t), WAIT);
            Delivered.Tally tally = Delivered.assertEveryChangePresent(file(db, t), load.committed(t));
            System.out.println("journal outage " + t + ": " + tally);
          }
          node.await(() -> confirmedFlush(source) > acknowledged, "the source acknowledged again", WAIT);
        }
        node.stop(Duration.ofSeconds(60));
      }
      Journal.assertPositionsNeverWentBackwards(config, 2,
          TABLES.stream().map(t -> db.entityId(SOURCE, DB, t)).toArray(String[]::new));
    }
  }

  /** A fault window: {@code seconds} pass while the node keeps running. */
  private static void awaitSeconds(NodeProcess node, int seconds) {
    long until = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    node.await(() -> System.nanoTime() >= until, seconds + " s with the journal down", Duration.ofSeconds(seconds + 30));
  }

  private Path file(SqlDatabase db, String table) {
    return NodeConfig.output(dir, SOURCE, db.schemaTable(DB, table));
  }

  private long delivered(SqlDatabase db) {
    return TABLES.stream().mapToLong(t -> Delivered.count(file(db, t))).sum();
  }

  /** The node's slot's confirmed flush LSN: how far the source was acknowledged. */
  private static long confirmedFlush(PgServer server) {
    try (Connection c = server.connect(DB); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'syncline_" + SOURCE + "'")) {
      return rs.next() ? Lsn.parse(rs.getString(1)).value() : 0;
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
