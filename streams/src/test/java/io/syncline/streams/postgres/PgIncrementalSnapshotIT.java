package io.syncline.streams.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.embedded.PgServer;
import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.streams.capture.SourceRun;
import io.syncline.streams.postgres.CaptureHarness.Delivered;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshots;
import io.syncline.streams.snapshot.incremental.KeyBounds;
import io.syncline.streams.testing.CollectingTransport;
import io.syncline.streams.transport.OutRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Incremental snapshots of the PostgreSQL source against a real server: a table re-read in chunks
 * while the stream runs and writers change it, de-duplicated so that replaying every delivered
 * event gives the table exactly; key ranges; signals kept from the sink; continuing after a restart.
 */
class PgIncrementalSnapshotIT {

  private static final String DB = "incsnap";
  private static final String SIGNALS = "public.syncline_signals";
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static PgServer pg;
  private static ActorSystem system;
  private final List<SourceRun> runs = new ArrayList<>();
  private final List<String> slots = new ArrayList<>();

  @BeforeAll
  static void setUp() {
    pg = PgServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "CREATE TABLE " + SIGNALS + " (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)");
    system = ActorSystem.create("pg-incsnap-it");
  }

  @AfterAll
  static void tearDown() {
    system.terminate();
  }

  @AfterEach
  void stop() throws Exception {
    for (SourceRun r : runs) {
      r.close();
    }
    for (String s : slots) {
      pg.dropSlotWhenReleased(DB, s, Duration.ofSeconds(60));
    }
  }

  private PgCaptureSource source(String name, String table) {
    slots.add(name.replace('-', '_') + "_slot");
    return new PgCaptureSource(CaptureHarness.settings(pg, DB, name, List.of(table), Map.of(
        "snapshot-mode", "never", "signal-table", SIGNALS, "incremental-snapshot.chunk-size", 500)));
  }

  private SourceRun start(PgCaptureSource source, IncrementalSnapshotState resume) {
    SourceRun run = new SourceRun(system, source, Map.of(), new CollectingTransport(), resume);
    runs.add(run);
    await(() -> slotActive(source.settings().slotName()), "slot streaming");
    return run;
  }

  @Test
  void shouldReadTheTableWhileWritersChangeItAndReplayToExactlyTheTable() throws Exception {
    pg.execute(DB, "CREATE TABLE public.items (id int PRIMARY KEY, v int NOT NULL, note text)",
        "INSERT INTO public.items SELECT g, 0, 'row ' || g FROM generate_series(1, 20000) g");
    PgCaptureSource source = source("inc-items", "public.items");
    SourceRun run = start(source, IncrementalSnapshotState.EMPTY);

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong writes = new AtomicLong();
    Thread writers = new Thread(() -> write(stop, writes), "items-writer");
    writers.start();
    await(() -> writes.get() > 50, "writers under way");
    String signal = IncrementalSnapshots.request(source, List.of("public.items"), KeyBounds.ALL);
    await(() -> finished(run, signal), "incremental snapshot of public.items finished");
    stop.set(true);
    writers.join();

    Map<Object, String> table = tableState("public.items");
    await(() -> replay(run, "items").equals(table), "delivered events replay to the table");

    List<Delivered> items = delivered(run).stream().filter(d -> d.table().table().equals("items")).toList();
    int firstRead = indexOf(items, "r", true);
    int lastRead = indexOf(items, "r", false);
    assertThat(firstRead).isGreaterThanOrEqualTo(0);
    List<Long> readKeys = items.stream().filter(d -> d.op().equals("r")).map(d -> d.key().get("id").asLong()).toList();
    long streamedDuring = items.subList(firstRead, lastRead).stream().filter(d -> !d.op().equals("r")).count();
    assertThat(streamedDuring).as("streamed changes delivered while the snapshot ran").isPositive();
    // rows the writers changed during their chunk's window come from the stream instead; some rows read
    // were deleted later (so the count may exceed the final table's)
    assertThat(readKeys).as("rows read, each once").hasSizeGreaterThan(15000).doesNotHaveDuplicates();
    assertThat(items.stream().filter(d -> d.op().equals("r")).map(d -> d.value().get("source").get("snapshot").asText()))
        .containsOnly("true");
    assertThat(run.records).noneMatch(r -> r.table().table().equals("syncline_signals"));
    assertThat(run.lastIncremental().isEmpty()).isTrue();
  }

  @Test
  void shouldReadOnlyTheRequestedKeyRange() throws Exception {
    pg.execute(DB, "CREATE TABLE public.ranged (id bigint PRIMARY KEY, v text)",
        "INSERT INTO public.ranged SELECT g, 'v' || g FROM generate_series(1, 5000) g");
    PgCaptureSource source = source("inc-ranged", "public.ranged");
    SourceRun run = start(source, IncrementalSnapshotState.EMPTY);
    String signal = IncrementalSnapshots.request(source, List.of("public.ranged"), new KeyBounds("1000", "2499"));
    await(() -> finished(run, signal), "range snapshot finished");
    List<Long> keys = delivered(run).stream().filter(d -> d.op().equals("r")).map(d -> d.key().get("id").asLong()).toList();
    assertThat(keys).hasSize(1500).doesNotHaveDuplicates().allMatch(k -> k >= 1000 && k <= 2499);
    assertThat(run.records).noneMatch(r -> r.table().table().equals("syncline_signals"));
  }

  @Test
  void shouldContinueAfterTheRecordedKeyWhenRestartedMidSnapshot() throws Exception {
    pg.execute(DB, "CREATE TABLE public.resumed (id int PRIMARY KEY, v int)",
        "INSERT INTO public.resumed SELECT g, g FROM generate_series(1, 6000) g");
    PgCaptureSource source = source("inc-resumed", "public.resumed");
    SourceRun first = start(source, IncrementalSnapshotState.EMPTY);
    String signal = IncrementalSnapshots.request(source, List.of("public.resumed"), KeyBounds.ALL);
    // the run stops (crashes) once a state in the middle of the table was recorded
    await(() -> midway(first) != null, "a recorded state in the middle of the table");
    IncrementalSnapshotState recorded = midway(first);
    first.close();
    runs.remove(first);
    int lastKey = Integer.parseInt(recorded.current().lastKey().get(0));
    assertThat(lastKey).isBetween(1000, 5500);

    SourceRun second = start(new PgCaptureSource(source.settings()), recorded);
    await(() -> finished(second, signal), "the snapshot finished after the restart");
    List<Integer> keys = delivered(second).stream().filter(d -> d.op().equals("r")).map(d -> d.key().get("id").asInt())
        .toList();
    assertThat(keys).as("rows read after the restart: from the recorded key on, not from the start")
        .hasSize(6000 - lastKey).doesNotHaveDuplicates().allMatch(k -> k > lastKey);
    assertThat(second.lastIncremental().current()).isNull();
  }

  @Test
  void shouldRefuseRequestsItCannotServe() {
    pg.execute(DB, "CREATE TABLE public.other (id int PRIMARY KEY)", "CREATE TABLE public.pairs (a int, b int, PRIMARY KEY (a, b))");
    PgCaptureSource source = source("inc-refuse", "public.pairs");
    assertThatThrownBy(() -> IncrementalSnapshots.request(source, List.of("public.other"), KeyBounds.ALL))
        .hasMessageContaining("does not capture table 'public.other'");
    assertThatThrownBy(() -> IncrementalSnapshots.request(source, List.of("public.pairs"), new KeyBounds("1", "2")))
        .hasMessageContaining("single-column key");
    PgCaptureSource missing = new PgCaptureSource(CaptureHarness.settings(pg, DB, "inc-missing", List.of("public.pairs"),
        Map.of("signal-table", "public.no_such_signals")));
    assertThatThrownBy(missing::prepare).hasMessageContaining("CREATE TABLE \"public\".\"no_such_signals\"");
    PgCaptureSource off = new PgCaptureSource(CaptureHarness.settings(pg, DB, "inc-off", List.of("public.pairs"), Map.of()));
    assertThatThrownBy(() -> IncrementalSnapshots.request(off, List.of("public.pairs"), KeyBounds.ALL))
        .hasMessageContaining("has no signal table");
    pg.execute(DB, "CREATE ROLE incsnap_reader LOGIN PASSWORD 'pw' REPLICATION",
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO incsnap_reader");
    PgCaptureSource readOnly = new PgCaptureSource(CaptureHarness.settings(pg, DB, "inc-ro", List.of("public.pairs"),
        Map.of("signal-table", SIGNALS, "user", "incsnap_reader", "password", "pw", "create-publication", false)));
    assertThatThrownBy(() -> IncrementalSnapshots.request(readOnly, List.of("public.pairs"), KeyBounds.ALL))
        .hasMessageContaining("GRANT SELECT, INSERT, UPDATE ON \"public\".\"syncline_signals\" TO \"incsnap_reader\"");
  }

  // ------------------------------------------------------------------------------------------

  private static IncrementalSnapshotState midway(SourceRun run) {
    for (IncrementalSnapshotState s : run.incrementalRecorded) {
      if (s.current() != null && s.current().rows() >= 1000) {
        return s;
      }
    }
    return null;
  }

  private static boolean finished(SourceRun run, String signal) {
    run.ended(); // surfaces a failure
    IncrementalSnapshotState s = run.lastIncremental();
    return s != null && s.finishedSignals().contains(signal);
  }

  private static void write(AtomicBoolean stop, AtomicLong writes) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int next = 20001;
    try (Connection c = pg.connect(DB);
        PreparedStatement insert = c.prepareStatement("INSERT INTO public.items VALUES (?, 1, 'new')");
        PreparedStatement update = c.prepareStatement("UPDATE public.items SET v = v + 1, note = 'upd' WHERE id = ?");
        PreparedStatement delete = c.prepareStatement("DELETE FROM public.items WHERE id = ?")) {
      while (!stop.get()) {
        int op = random.nextInt(10);
        if (op < 3) {
          insert.setInt(1, next++);
          insert.executeUpdate();
        } else if (op < 8) {
          update.setInt(1, 1 + random.nextInt(next - 1));
          update.executeUpdate();
        } else {
          delete.setInt(1, 1 + random.nextInt(next - 1));
          delete.executeUpdate();
        }
        writes.incrementAndGet();
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<Object, String> tableState(String table) throws SQLException {
    Map<Object, String> m = new HashMap<>();
    try (Connection c = pg.connect(DB); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, v, note FROM " + table)) {
      while (rs.next()) {
        m.put((long) rs.getInt(1), rs.getInt(2) + "|" + rs.getString(3));
      }
    }
    return m;
  }

  /** Upserts by key in delivery order: the table as the sink would hold it. */
  private static Map<Object, String> replay(SourceRun run, String table) {
    Map<Object, String> m = new HashMap<>();
    for (Delivered d : delivered(run)) {
      if (!d.table().table().equals(table)) {
        continue;
      }
      long id = d.key().get("id").asLong();
      if (d.op().equals("d")) {
        m.remove(id);
      } else {
        m.put(id, d.after().get("v").asInt() + "|" + d.after().get("note").asText());
      }
    }
    return m;
  }

  private static List<Delivered> delivered(SourceRun run) {
    List<Delivered> out = new ArrayList<>();
    for (OutRecord r : run.records) {
      out.add(CaptureHarness.parse(r));
    }
    return out;
  }

  private static int indexOf(List<Delivered> d, String op, boolean first) {
    int found = -1;
    for (int i = 0; i < d.size(); i++) {
      if (d.get(i).op().equals(op)) {
        found = i;
        if (first) {
          return i;
        }
      }
    }
    return found;
  }

  private static boolean slotActive(String slot) {
    try (Connection c = pg.connect(DB);
        PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + WAIT + " waiting for: " + what);
      }
      LockSupport.parkNanos(50_000_000L);
    }
  }
}
