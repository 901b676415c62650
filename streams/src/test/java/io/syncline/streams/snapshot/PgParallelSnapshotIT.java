package io.syncline.streams.snapshot;

import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.PgServer;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.postgres.PgCaptureSource;
import io.syncline.streams.postgres.PgSourceSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The parallel, chunked, resumable initial snapshot of the PostgreSQL source against a real server. */
class PgParallelSnapshotIT {

  private static final String DB = "psnap";
  private static PgServer pg;
  private static ActorSystem system;
  private static SnapshotChecks.Db db;

  @BeforeAll
  static void setUp() {
    pg = PgServer.shared();
    pg.createDatabase(DB);
    system = ActorSystem.create("pg-parallel-snapshot-it");
    db = new SnapshotChecks.Db(() -> pg.connect(DB),
        (table, rows) -> pg.execute(DB, "DROP TABLE IF EXISTS " + table,
            "CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, v INT, s VARCHAR(10))",
            "INSERT INTO " + table + " SELECT g, g % 1000, 'init' FROM generate_series(1, " + rows + ") g"),
        (name, table) -> new PgCaptureSource(settings(name, table)),
        table -> new TableRef("postgresql", table, DB, "public", table));
  }

  @AfterAll
  static void tearDown() {
    system.terminate();
  }

  private static PgSourceSettings settings(String name, String table) {
    Map<String, Object> m = new HashMap<>(Map.of(
        "name", name, "host", "localhost", "port", pg.port(), "database", DB, "user", "postgres",
        "include-tables", List.of("public." + table), "slot-name", name + "_slot", "publication-name", name + "_pub"));
    m.putAll(Map.of("max-batch-size", 500, "snapshot-chunk-size", SnapshotChecks.CHUNK, "snapshot-parallelism", 3));
    return PgSourceSettings.create(ConfigFactory.parseMap(m),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.postgres"));
  }

  @Test
  void shouldReadEveryRowOnceInParallelChunksWhileWritersRun() throws Exception {
    try {
      SnapshotChecks.shouldReadEveryRowOnceWhileWritersRun(system, db, "psnap_live");
    } finally {
      pg.dropSlotWhenReleased(DB, "psnap_live_slot", Duration.ofSeconds(60));
    }
  }

  @Test
  void shouldResumeAnInterruptedSnapshotWithTheChunksLeftAtANewView() throws Exception {
    try {
      SnapshotChecks.shouldReadOnlyTheChunksLeftAfterAnInterruption(system, db, "psnap_resume");
    } finally {
      pg.dropSlotWhenReleased(DB, "psnap_resume_slot", Duration.ofSeconds(60));
    }
  }
}
