package io.syncline.streams.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.PgServer;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The replication connection under conditions the server and the network impose: a sink slower
 * than the server's {@code wal_sender_timeout}.
 */
class PgConnectionIT {

  private static final String DB = "connection";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static PgServer pg;
  private static ActorSystem system;

  @BeforeAll
  static void setUp() {
    pg = PgServer.shared();
    pg.createDatabase(DB);
    system = ActorSystem.create("pg-connection-it");
    // a role whose walsenders give up after 2 s without a status from the reader
    pg.execute(DB,
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'impatient') THEN"
            + " CREATE ROLE impatient LOGIN REPLICATION PASSWORD 'imp-pass'; END IF; END $$",
        "ALTER ROLE impatient SET wal_sender_timeout = '2s'",
        "GRANT CREATE ON DATABASE " + DB + " TO impatient");
  }

  @AfterAll
  static void tearDown() {
    system.terminate();
  }

  @Test
  void shouldKeepTheConnectionWhileTheSinkBlocksLongerThanTheSendersTimeout() throws Exception {
    pg.execute(DB, "DROP TABLE IF EXISTS slow_sink", "CREATE TABLE slow_sink (id int PRIMARY KEY)",
        "ALTER TABLE slow_sink OWNER TO impatient");
    PgSourceSettings settings = CaptureHarness.settings(pg, DB, "slowsink", List.of("public.slow_sink"),
        Map.of("user", "impatient", "password", "imp-pass", "snapshot-mode", "never"));
    List<PgTable> tables = PgCapture.prepare(settings);
    AtomicBoolean blockNext = new AtomicBoolean();
    Set<Integer> ids = ConcurrentHashMap.newKeySet();
    Pair<CaptureControl, Source<List<CaptureRecord>, NotUsed>> pre =
        PgCapture.source(settings, new PgStart(tables, Map.of())).preMaterialize(system);
    CaptureControl control = pre.first();
    Pair<UniqueKillSwitch, CompletionStage<Done>> run = pre.second()
        .viaMat(KillSwitches.single(), Keep.right())
        // the sink: a chunk with a change waits 6 s when asked to, three times the sender's timeout
        .mapAsync(1, chunk -> chunk.stream().anyMatch(r -> r instanceof CaptureRecord.Change) && blockNext.getAndSet(false)
            ? CompletableFuture.supplyAsync(() -> chunk, CompletableFuture.delayedExecutor(6, TimeUnit.SECONDS))
            : CompletableFuture.completedFuture(chunk))
        .map(chunk -> {
          for (CaptureRecord r : chunk) {
            if (r instanceof CaptureRecord.Change c) {
              ids.add(((Number) c.event().after().get(0)).intValue());
            } else if (r instanceof CaptureRecord.Checkpoint cp) {
              control.acknowledge(cp.boundary());
            }
          }
          return chunk;
        })
        .toMat(Sink.ignore(), Keep.both())
        .addAttributes(Attributes.inputBuffer(1, 1)) // backpressure reaches the reader at once
        .run(system);
    try {
      int pid = awaitWalsenderPid(settings.slotName());
      blockNext.set(true);
      for (int i = 1; i <= 20; i++) {
        pg.execute(DB, "INSERT INTO slow_sink VALUES (" + i + ")");
      }
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (ids.size() < 20 && !run.second().toCompletableFuture().isDone() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(50_000_000L);
      }
      assertThat(run.second().toCompletableFuture().isDone())
          .as(() -> "the capture stream ended: " + describe(run.second())).isFalse();
      assertThat(ids).as("every row delivered").hasSize(20);
      assertThat(walsenderPid(settings.slotName())).as("the same replication connection served throughout").isEqualTo(pid);
    } finally {
      run.first().shutdown();
      run.second().toCompletableFuture().handle((d, e) -> d).get(30, TimeUnit.SECONDS);
      pg.dropSlotWhenReleased(DB, settings.slotName(), WAIT);
    }
  }

  @Test
  void shouldIdentifyTheServerWithTheReplicationPrivilegeAlone() throws Exception {
    PgSourceSettings settings = CaptureHarness.settings(pg, DB, "identity", List.of("public.slow_sink"),
        Map.of("user", "impatient", "password", "imp-pass"));
    PgCatalog.ServerIdentity identity;
    try (Connection r = new PgConnector(settings).connectForReplication()) {
      identity = PgCatalog.identifySystem(r);
    }
    try (Connection c = pg.connect(DB); ResultSet rs = c.createStatement().executeQuery(
        "SELECT system_identifier::text, (SELECT timeline_id FROM pg_control_checkpoint()) FROM pg_control_system()")) {
      rs.next();
      assertThat(identity.systemIdentifier()).isEqualTo(rs.getString(1));
      assertThat(identity.timeline()).isEqualTo(rs.getInt(2));
    }
    assertThat(identity.walPosition()).matches("[0-9A-F]+/[0-9A-F]+");
  }

  private static String describe(CompletionStage<Done> done) {
    return done.toCompletableFuture().handle((d, e) -> e == null ? "completed" : e.toString()).join();
  }

  /** The pid of the walsender serving {@code slot}, once it is active. */
  static int awaitWalsenderPid(String slot) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    int pid;
    while ((pid = walsenderPid(slot)) == 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("slot " + slot + " not active after " + WAIT);
      }
      LockSupport.parkNanos(50_000_000L);
    }
    return pid;
  }

  static int walsenderPid(String slot) throws Exception {
    try (Connection c = pg.connect(DB); PreparedStatement ps = c.prepareStatement(
        "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
  }
}
