package io.syncline.streams.snapshot;

import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MariaDbServer;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.mysql.MySqlCaptureSource;
import io.syncline.streams.mysql.MySqlSourceSettings;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The parallel, chunked, resumable initial snapshot of the MariaDB source against a real server. */
class MariaDbParallelSnapshotIT {

  private static final String DB = "psnap";
  private static MariaDbServer server;
  private static ActorSystem system;
  private static SnapshotChecks.Db db;

  @BeforeAll
  static void setUp() {
    server = MariaDbServer.shared();
    server.createDatabase(DB);
    system = ActorSystem.create("mariadb-parallel-snapshot-it");
    db = new SnapshotChecks.Db(() -> server.connect(DB),
        (table, rows) -> server.execute(DB, "DROP TABLE IF EXISTS " + table,
            "CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, v INT, s VARCHAR(10))",
            "INSERT INTO " + table + " SELECT seq, seq % 1000, 'init' FROM seq_1_to_" + rows),
        (name, table) -> new MySqlCaptureSource(MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of(
                "name", name, "host", "localhost", "port", server.port(), "user", "root",
                "include-tables", List.of(DB + "." + table), "max-batch-size", 500,
                "snapshot-chunk-size", SnapshotChecks.CHUNK, "snapshot-parallelism", 3)),
            ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql"))),
        table -> new TableRef("mysql", table, DB, DB, table));
  }

  @AfterAll
  static void tearDown() {
    system.terminate();
  }

  @Test
  void shouldReadEveryRowOnceInParallelChunksWhileWritersRun() throws Exception {
    SnapshotChecks.shouldReadEveryRowOnceWhileWritersRun(system, db, "msnap_live");
  }

  @Test
  void shouldResumeAnInterruptedSnapshotWithTheChunksLeftAtANewView() throws Exception {
    SnapshotChecks.shouldReadOnlyTheChunksLeftAfterAnInterruption(system, db, "msnap_resume");
  }
}
