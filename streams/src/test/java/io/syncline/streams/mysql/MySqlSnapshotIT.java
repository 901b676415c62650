package io.syncline.streams.mysql;

import static io.syncline.streams.testing.GoldenRows.assertSameRows;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MariaDbServer;
import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.capture.SourceRun;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.testing.CollectingTransport;
import io.syncline.streams.transport.OutRecord;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The initial snapshot of the MariaDB source against a real server: every type as the binlog gives
 * it, the hand-over to the binlog with writers running (no gap, no duplicate), and the restart rules.
 */
class MySqlSnapshotIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static MariaDbServer server;
  private static ActorSystem system;

  @BeforeAll
  static void setUp() {
    server = MariaDbServer.shared();
    system = ActorSystem.create("mysql-snapshot-it");
  }

  @AfterAll
  static void tearDown() {
    system.terminate();
  }

  private static MySqlCaptureSource source(String name, List<String> include, int maxBatchSize) {
    return new MySqlCaptureSource(MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of(
            "name", name, "host", "localhost", "port", server.port(), "user", "root",
            "include-tables", include, "max-batch-size", maxBatchSize)),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql")));
  }

  private static List<JsonNode> parse(Iterable<OutRecord> records) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (OutRecord r : records) {
      out.add(JSON.readTree(r.value()));
    }
    return out;
  }

  /** Polls {@code condition} until it holds (90 s at most); fails at once when a run's stream ended. */
  private static void await(String what, BooleanSupplier condition, SourceRun... runs) {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!condition.getAsBoolean()) {
      for (SourceRun r : runs) {
        assertThat(r.ended()).as("capture ended while waiting for " + what).isFalse();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 90 s: " + what);
      }
      LockSupport.parkNanos(20_000_000L);
    }
  }

  private static boolean delivered(SourceRun run, String table, String op, int id) {
    for (OutRecord r : run.records) {
      if (r.table().table().equals(table)) {
        try {
          JsonNode n = JSON.readTree(r.value());
          JsonNode row = op.equals("d") ? n.get("before") : n.get("after");
          if (n.get("op").asText().equals(op) && row.get("id").asInt() == id) {
            return true;
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
    }
    return false;
  }

  private static TableRef ref(String source, String db, String table) {
    return new TableRef("mysql", source, db, db, table);
  }

  // ------------------------------------------------------------------ types

  @Test
  void shouldSnapshotEveryTypeAsTheBinlogGoldenFileSays() throws Exception {
    server.createDatabase("snap_types");
    server.execute("snap_types", "DROP TABLE IF EXISTS all_types", MySqlTypesGoldenIT.SCHEMA);
    List<String> statements = new ArrayList<>(List.of("SET SESSION sql_mode = ''", "SET SESSION time_zone = '+05:30'"));
    statements.addAll(List.of(MySqlTypesGoldenIT.ROWS));
    server.execute("snap_types", statements.toArray(String[]::new));

    try (SourceRun run = new SourceRun(system, source("types", List.of("snap_types.all_types"), 3), Map.of())) {
      List<JsonNode> rows = run.await(MySqlTypesGoldenIT.ROWS.length);
      assertThat(rows).allSatisfy(r -> {
        assertThat(r.get("op").asText()).isEqualTo("r");
        assertThat(r.at("/source/snapshot").asText()).isEqualTo("true");
      });
      ArrayNode afters = JSON.createArrayNode();
      rows.stream().map(r -> r.get("after")).sorted(Comparator.comparingInt(a -> a.get("id").asInt())).forEach(afters::add);
      assertSameRows(afters, JSON.readTree(MySqlTypesGoldenIT.GOLDEN.toFile()), "snapshot rows vs the binlog's golden file");
      io.syncline.streams.testing.GoldenRows.assertJsonNullColumns(rows, MySqlTypesGoldenIT.JSON_NULLS, "snapshot rows");
      TableRef table = ref("types", "snap_types", "all_types");
      await("the snapshot recorded as complete", () -> run.recorded().getOrDefault(table, TableStart.NEW).snapshotCompleted(), run);
    }
  }

  // ------------------------------------------------------------------ hand-over to the binlog

  /** Random inserts, updates and deletes on {@code tables} (id, v, s), alone or several per transaction. */
  private static final class Writer implements Runnable {
    private final String db;
    private final List<String> tables;
    private final AtomicInteger nextId;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger transactions = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread = new Thread(this, "snapshot-it-writer");

    Writer(String db, List<String> tables, int firstNewId) {
      this.db = db;
      this.tables = tables;
      this.nextId = new AtomicInteger(firstNewId);
    }

    @Override
    public void run() {
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      try (Connection c = server.connect(db); Statement s = c.createStatement()) {
        while (!stop.get()) {
          int changes = rnd.nextInt(4) == 0 ? 2 + rnd.nextInt(4) : 1;
          c.setAutoCommit(changes == 1);
          for (int i = 0; i < changes; i++) {
            String t = tables.get(rnd.nextInt(tables.size()));
            int id = 1 + rnd.nextInt(nextId.get() - 1);
            switch (rnd.nextInt(3)) {
              case 0 -> s.execute("INSERT INTO " + t + " VALUES (" + nextId.getAndIncrement() + ", " + rnd.nextInt(1000)
                  + ", 'new')");
              case 1 -> s.execute("UPDATE " + t + " SET v = v + 1, s = 'upd' WHERE id = " + id);
              default -> s.execute("DELETE FROM " + t + " WHERE id = " + id);
            }
          }
          if (changes > 1) {
            c.commit();
          }
          transactions.incrementAndGet();
        }
      } catch (Throwable e) {
        failure.set(e);
      }
    }

    void finish() throws InterruptedException {
      stop.set(true);
      thread.join(30_000);
      assertThat(failure.get()).as("writer failure").isNull();
    }
  }

  /** Replays r/c/u/d per key: a key inserted twice, or updated/deleted while absent, fails. */
  private static Map<String, Map<Integer, String>> replay(List<JsonNode> events) {
    Map<String, Map<Integer, String>> tables = new HashMap<>();
    for (JsonNode e : events) {
      Map<Integer, String> rows = tables.computeIfAbsent(e.at("/source/table").asText(), t -> new TreeMap<>());
      String op = e.get("op").asText();
      JsonNode key = op.equals("d") ? e.get("before") : e.get("after");
      int id = key.get("id").asInt();
      String where = op + " of id " + id + " in " + e.at("/source/table").asText() + " at " + e.at("/source/file").asText()
          + ":" + e.at("/source/pos").asText();
      switch (op) {
        case "r", "c" -> assertThat(rows.put(id, e.get("after").toString())).as("duplicate " + where).isNull();
        case "u" -> assertThat(rows.put(id, e.get("after").toString())).as("gap before " + where).isNotNull();
        case "d" -> assertThat(rows.remove(id)).as("gap before " + where).isNotNull();
        default -> throw new AssertionError("unexpected " + where);
      }
    }
    return tables;
  }

  private static Map<Integer, String> contents(String db, String table) throws SQLException {
    Map<Integer, String> rows = new TreeMap<>();
    try (Connection c = server.connect(db); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, v, s FROM " + table)) {
      while (rs.next()) {
        rows.put(rs.getInt(1), "{\"id\":" + rs.getInt(1) + ",\"v\":" + rs.getInt(2) + ",\"s\":\"" + rs.getString(3) + "\"}");
      }
    }
    return rows;
  }

  @Test
  void shouldHandOverToTheBinlogAtTheSnapshotPositionWithoutGapOrDuplicateWhileWritersRun() throws Exception {
    server.createDatabase("snap_live");
    for (String t : List.of("a", "b")) {
      server.execute("snap_live", "DROP TABLE IF EXISTS " + t,
          "CREATE TABLE " + t + " (id INT PRIMARY KEY, v INT, s VARCHAR(10))",
          "INSERT INTO " + t + " SELECT seq, seq % 1000, 'init' FROM seq_1_to_40000");
    }
    Writer writer = new Writer("snap_live", List.of("a", "b"), 40_001);
    writer.thread.start();
    await("writes before the snapshot", () -> writer.transactions.get() > 50);
    TableRef a = ref("live", "snap_live", "a");
    TableRef b = ref("live", "snap_live", "b");
    try (SourceRun run = new SourceRun(system, source("live", List.of("snap_live.a", "snap_live.b"), 500), Map.of())) {
      await("both snapshots delivered", () -> run.recorded().getOrDefault(a, TableStart.NEW).snapshotCompleted()
          && run.recorded().getOrDefault(b, TableStart.NEW).snapshotCompleted(), run);
      int afterSnapshot = writer.transactions.get();
      await("streaming under load", () -> writer.transactions.get() > afterSnapshot + 300, run);
      writer.finish();
      server.execute("snap_live", "INSERT INTO a VALUES (-1, 0, 'fence')");
      await("the fence row", () -> delivered(run, "a", "c", -1), run);

      List<JsonNode> events = parse(run.records);
      Map<String, Map<Integer, String>> replayed = replay(events);
      assertThat(replayed.get("a")).isEqualTo(contents("snap_live", "a"));
      assertThat(replayed.get("b")).isEqualTo(contents("snap_live", "b"));
      assertThat(events).extracting(e -> e.get("op").asText()).contains("r", "c", "u", "d");
      // every snapshot row comes before the first binlog change
      int lastRead = 0;
      int firstChange = events.size();
      for (int i = 0; i < events.size(); i++) {
        if (events.get(i).get("op").asText().equals("r")) {
          lastRead = i;
        } else {
          firstChange = Math.min(firstChange, i);
        }
      }
      assertThat(lastRead).isLessThan(firstChange);
    } finally {
      writer.stop.set(true);
    }
  }

  // ------------------------------------------------------------------ restart rules

  private static boolean snapshotQueryRunning(String table) {
    try (Connection c = server.connect(""); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND = 'Query'"
            + " AND INFO LIKE 'SELECT %FROM " + table + "%'")) {
      rs.next();
      return rs.getInt(1) > 0;
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void shouldStreamTheSnapshotAndStartItOverWhenInterruptedBeforeAnyTableCompleted() throws Exception {
    server.createDatabase("snap_restart");
    server.execute("snap_restart", "DROP TABLE IF EXISTS big", "DROP TABLE IF EXISTS small",
        "CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(400))",
        "INSERT INTO big SELECT seq, REPEAT('x', 400) FROM seq_1_to_150000",
        "CREATE TABLE small (id INT PRIMARY KEY, v INT, s VARCHAR(10))",
        "INSERT INTO small SELECT seq, seq, 'init' FROM seq_1_to_10");
    List<String> include = List.of("snap_restart.big", "snap_restart.small");
    Map<TableRef, TableStart> recorded;
    try (SourceRun first = new SourceRun(system, source("restart", include, 200), Map.of(), new CollectingTransport(1))) {
      await("the sink stops answering", first.transport::holding, first);
      // the table is not in memory: the server is still sending it, held back by the stalled stream
      await("the snapshot's SELECT still running", () -> snapshotQueryRunning("`snap_restart`.`big`"), first);
      assertThat(first.records.size()).isPositive().isLessThan(150_000);
      recorded = first.recorded();
      assertThat(recorded.values()).noneMatch(TableStart::snapshotCompleted);
    }
    await("the interrupted snapshot's query ended", () -> !snapshotQueryRunning("`snap_restart`.`big`"));
    server.execute("snap_restart", "UPDATE big SET pad = 'changed' WHERE id = 7", "INSERT INTO small VALUES (11, 11, 'x')");

    try (SourceRun second = new SourceRun(system, source("restart", include, 200), recorded)) {
      await("the snapshot again", () -> second.recorded().getOrDefault(ref("restart", "snap_restart", "small"),
          TableStart.NEW).snapshotCompleted(), second);
      server.execute("snap_restart", "INSERT INTO small VALUES (12, 12, 'y')");
      await("streaming after it", () -> delivered(second, "small", "c", 12), second);
      List<JsonNode> events = parse(second.records);
      Map<String, Map<Integer, String>> replayed = replay(events);
      assertThat(replayed.get("big")).hasSize(150_000);
      assertThat(replayed.get("big").get(7)).isEqualTo("{\"id\":7,\"pad\":\"changed\"}");
      assertThat(replayed.get("small")).isEqualTo(contents("snap_restart", "small"));
      assertThat(events.stream().filter(e -> e.get("op").asText().equals("r"))).hasSize(150_000 + 11);
    }
  }

  @Test
  void shouldSnapshotATableAddedLaterAndDropItsBinlogChangesTheSnapshotHolds() throws Exception {
    server.createDatabase("snap_added");
    for (String t : List.of("first", "second")) {
      server.execute("snap_added", "DROP TABLE IF EXISTS " + t,
          "CREATE TABLE " + t + " (id INT PRIMARY KEY, v INT, s VARCHAR(10))",
          "INSERT INTO " + t + " VALUES (1, 1, 'init'), (2, 2, 'init')");
    }
    TableRef first = ref("added", "snap_added", "first");
    TableRef second = ref("added", "snap_added", "second");
    Map<TableRef, TableStart> recorded;
    try (SourceRun run = new SourceRun(system, source("added", List.of("snap_added.first"), 100), Map.of())) {
      await("first snapshotted", () -> run.recorded().getOrDefault(first, TableStart.NEW).snapshotCompleted(), run);
      server.execute("snap_added", "INSERT INTO first VALUES (3, 3, 'c')");
      await("first's insert", () -> delivered(run, "first", "c", 3), run);
      await("its binlog position recorded", () -> run.recorded().get(first).committed() instanceof BinlogPosition p
          && p.index() != 0, run);
      recorded = run.recorded();
    }
    // changes while the source is down: in the binlog after first's recorded position, before second's snapshot
    server.execute("snap_added", "INSERT INTO first VALUES (4, 4, 'c')", "INSERT INTO second VALUES (3, 3, 'c')",
        "UPDATE second SET v = 20, s = 'u' WHERE id = 2", "DELETE FROM second WHERE id = 1");

    try (SourceRun run = new SourceRun(system, source("added", List.of("snap_added.first", "snap_added.second"), 100),
        recorded)) {
      await("second snapshotted", () -> run.recorded().getOrDefault(second, TableStart.NEW).snapshotCompleted(), run);
      server.execute("snap_added", "INSERT INTO second VALUES (5, 5, 'c')");
      await("second's insert after its snapshot", () -> delivered(run, "second", "c", 5), run);
      List<JsonNode> events = parse(run.records);
      List<String> secondOps = events.stream().filter(e -> e.at("/source/table").asText().equals("second"))
          .map(e -> e.get("op").asText() + e.at(e.get("op").asText().equals("d") ? "/before/id" : "/after/id").asInt())
          .toList();
      assertThat(secondOps).containsExactly("r2", "r3", "c5");
      List<String> firstOps = events.stream().filter(e -> e.at("/source/table").asText().equals("first"))
          .map(e -> e.get("op").asText() + e.at("/after/id").asInt()).toList();
      assertThat(firstOps).containsExactly("c4");
      assertThat(run.metrics.skippedDuplicates()).isPositive(); // first's id 3, replayed from its recorded position
      Map<String, Map<Integer, String>> replayed = replay(events);
      assertThat(replayed.get("second")).isEqualTo(contents("snap_added", "second"));
    }
  }
}
