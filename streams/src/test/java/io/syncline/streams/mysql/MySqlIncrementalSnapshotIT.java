package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MariaDbServer;
import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.streams.capture.SourceRun;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshots;
import io.syncline.streams.snapshot.incremental.KeyBounds;
import io.syncline.streams.testing.CollectingTransport;
import io.syncline.streams.transport.OutRecord;
import java.io.IOException;
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
 * Incremental snapshots of the binlog source against a real MariaDB: a table re-read in chunks while
 * the binlog streams and writers change it, replaying to exactly the table; key ranges; signals kept
 * from the sink; continuing after a restart.
 */
class MySqlIncrementalSnapshotIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DB = "incsnap";
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static MariaDbServer server;
  private static ActorSystem system;
  private final List<SourceRun> runs = new ArrayList<>();

  /** A delivered record, parsed. */
  record Delivered(String table, JsonNode key, JsonNode value) {
    String op() {
      return value.get("op").asText();
    }
  }

  @BeforeAll
  static void setUp() {
    server = MariaDbServer.shared();
    server.createDatabase(DB);
    server.execute(DB, "CREATE TABLE syncline_signals (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)");
    system = ActorSystem.create("mysql-incsnap-it");
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
  }

  private static MySqlCaptureSource source(String name, String table, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(Map.of("name", name, "host", "localhost", "port", server.port(), "user", "root",
        "include-tables", List.of(DB + "." + table), "snapshot-mode", "never", "heartbeat-interval", "1s",
        "signal-table", DB + ".syncline_signals", "incremental-snapshot.chunk-size", 500));
    m.putAll(extra);
    return new MySqlCaptureSource(MySqlSourceSettings.create(ConfigFactory.parseMap(m),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql")));
  }

  private SourceRun start(MySqlCaptureSource source, IncrementalSnapshotState resume) {
    SourceRun run = new SourceRun(system, source, Map.of(), new CollectingTransport(), resume);
    runs.add(run);
    return run;
  }

  /** Writes {@code probe} until the run delivers something: the binlog reader is connected and reading. */
  private static void awaitStreaming(SourceRun run, String probe) {
    await(() -> {
      server.execute(DB, probe);
      long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (run.records.isEmpty() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(50_000_000L);
      }
      return !run.records.isEmpty();
    }, "binlog streaming");
  }

  @Test
  void shouldReadTheTableWhileWritersChangeItAndReplayToExactlyTheTable() throws Exception {
    server.execute(DB, "CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL, note varchar(40))",
        "INSERT INTO items SELECT seq, 0, CONCAT('row ', seq) FROM seq_1_to_20000");
    MySqlCaptureSource source = source("my-items", "items", Map.of());
    SourceRun run = start(source, IncrementalSnapshotState.EMPTY);
    awaitStreaming(run, "UPDATE items SET v = v + 1 WHERE id = 1");

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong writes = new AtomicLong();
    Thread writers = new Thread(() -> write(stop, writes), "items-writer");
    writers.start();
    await(() -> writes.get() > 50, "writers under way");
    String signal = IncrementalSnapshots.request(source, List.of(DB + ".items"), KeyBounds.ALL);
    await(() -> finished(run, signal), "incremental snapshot of items finished");
    stop.set(true);
    writers.join();

    Map<Long, String> table = tableState();
    await(() -> replay(run).equals(table), "delivered events replay to the table");

    List<Delivered> items = delivered(run).stream().filter(d -> d.table().equals("items")).toList();
    List<String> ops = items.stream().map(Delivered::op).toList();
    int firstRead = ops.indexOf("r");
    int lastRead = ops.lastIndexOf("r");
    assertThat(ops.subList(firstRead, lastRead).stream().filter(o -> !o.equals("r")).count())
        .as("streamed changes delivered while the snapshot ran").isPositive();
    List<Long> readKeys = items.stream().filter(d -> d.op().equals("r")).map(d -> d.key().get("id").asLong()).toList();
    assertThat(readKeys).as("rows read, each once").hasSizeGreaterThan(15000).doesNotHaveDuplicates();
    assertThat(run.records).noneMatch(r -> r.table().table().equals("syncline_signals"));
  }

  @Test
  void shouldReadOnlyTheRequestedKeyRange() throws Exception {
    server.execute(DB, "CREATE TABLE ranged (id bigint PRIMARY KEY, v varchar(20))",
        "INSERT INTO ranged SELECT seq, CONCAT('v', seq) FROM seq_1_to_5000");
    MySqlCaptureSource source = source("my-ranged", "ranged", Map.of());
    SourceRun run = start(source, IncrementalSnapshotState.EMPTY);
    awaitStreaming(run, "INSERT INTO ranged VALUES (1000000 + FLOOR(RAND() * 1000000), 'probe')");
    String signal = IncrementalSnapshots.request(source, List.of(DB + ".ranged"), new KeyBounds("1000", "2499"));
    await(() -> finished(run, signal), "range snapshot finished");
    List<Long> keys = delivered(run).stream().filter(d -> d.op().equals("r")).map(d -> d.key().get("id").asLong())
        .toList();
    assertThat(keys).hasSize(1500).doesNotHaveDuplicates().allMatch(k -> k >= 1000 && k <= 2499);
  }

  @Test
  void shouldContinueAfterTheRecordedKeyWhenRestartedMidSnapshot() throws Exception {
    server.execute(DB, "CREATE TABLE resumed (id int PRIMARY KEY, v int)",
        "INSERT INTO resumed SELECT seq, seq FROM seq_1_to_6000");
    MySqlCaptureSource source = source("my-resumed", "resumed", Map.of());
    SourceRun first = start(source, IncrementalSnapshotState.EMPTY);
    awaitStreaming(first, "UPDATE resumed SET v = v + 1 WHERE id = 6000");
    String signal = IncrementalSnapshots.request(source, List.of(DB + ".resumed"), KeyBounds.ALL);
    await(() -> midway(first) != null, "a recorded state in the middle of the table");
    IncrementalSnapshotState recorded = midway(first);
    first.close();
    runs.remove(first);
    int lastKey = Integer.parseInt(recorded.current().lastKey().get(0));
    assertThat(lastKey).isBetween(1000, 5500);

    MySqlCaptureSource again = source("my-resumed", "resumed", Map.of());
    SourceRun second = start(again, recorded);
    await(() -> finished(second, signal), "the snapshot finished after the restart");
    List<Integer> keys = delivered(second).stream().filter(d -> d.op().equals("r")).map(d -> d.key().get("id").asInt())
        .toList();
    assertThat(keys).as("rows read after the restart: from the recorded key on, not from the start")
        .hasSize(6000 - lastKey).doesNotHaveDuplicates().allMatch(k -> k > lastKey);
  }

  @Test
  void shouldRefuseRequestsItCannotServe() {
    server.execute(DB, "CREATE TABLE other (id int PRIMARY KEY)", "CREATE TABLE pairs (a int, b int, PRIMARY KEY (a, b))");
    MySqlCaptureSource source = source("my-refuse", "pairs", Map.of());
    assertThatThrownBy(() -> IncrementalSnapshots.request(source, List.of(DB + ".other"), KeyBounds.ALL))
        .hasMessageContaining("does not capture table 'incsnap.other'");
    assertThatThrownBy(() -> IncrementalSnapshots.request(source, List.of(DB + ".pairs"), new KeyBounds("1", "2")))
        .hasMessageContaining("single-column key");
    MySqlCaptureSource missing = source("my-missing", "pairs", Map.of("signal-table", DB + ".no_such_signals"));
    assertThatThrownBy(missing::prepare).hasMessageContaining("CREATE TABLE `incsnap`.`no_such_signals`");

    server.createUser("incsnap_ro", "pw", "SELECT ON incsnap.*", "REPLICATION SLAVE, REPLICATION CLIENT ON *.*");
    MySqlCaptureSource readOnly = source("my-ro", "pairs", Map.of("user", "incsnap_ro", "password", "pw"));
    assertThatThrownBy(() -> IncrementalSnapshots.request(readOnly, List.of(DB + ".pairs"), KeyBounds.ALL))
        .hasMessageContaining("GRANT SELECT, INSERT, UPDATE ON `incsnap`.`syncline_signals` TO 'incsnap_ro'@'%'");
    server.createUser("incsnap_rw", "pw", "SELECT ON incsnap.*", "REPLICATION SLAVE, REPLICATION CLIENT ON *.*",
        "INSERT, UPDATE ON incsnap.syncline_signals");
    MySqlCaptureSource writer = source("my-rw", "pairs", Map.of("user", "incsnap_rw", "password", "pw"));
    assertThat(IncrementalSnapshots.stop(writer, List.of(DB + ".pairs"))).as("the signal is written").isNotBlank();
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
    try (Connection c = server.connect(DB);
        PreparedStatement insert = c.prepareStatement("INSERT INTO items VALUES (?, 1, 'new')");
        PreparedStatement update = c.prepareStatement("UPDATE items SET v = v + 1, note = 'upd' WHERE id = ?");
        PreparedStatement delete = c.prepareStatement("DELETE FROM items WHERE id = ?")) {
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

  private static Map<Long, String> tableState() throws SQLException {
    Map<Long, String> m = new HashMap<>();
    try (Connection c = server.connect(DB); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, v, note FROM items")) {
      while (rs.next()) {
        m.put(rs.getLong(1), rs.getInt(2) + "|" + rs.getString(3));
      }
    }
    return m;
  }

  /** Upserts by key in delivery order: the table as the sink would hold it. */
  private static Map<Long, String> replay(SourceRun run) {
    Map<Long, String> m = new HashMap<>();
    for (Delivered d : delivered(run)) {
      if (!d.table().equals("items")) {
        continue;
      }
      long id = d.key().get("id").asLong();
      if (d.op().equals("d")) {
        m.remove(id);
      } else {
        JsonNode after = d.value().get("after");
        m.put(id, after.get("v").asInt() + "|" + after.get("note").asText());
      }
    }
    return m;
  }

  private static List<Delivered> delivered(SourceRun run) {
    List<Delivered> out = new ArrayList<>();
    for (OutRecord r : run.records) {
      try {
        out.add(new Delivered(r.table().table(), JSON.readTree(r.key()), JSON.readTree(r.value())));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
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
