package io.syncline.streams.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.PgServer;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.event.Unchanged;
import io.syncline.streams.postgres.CaptureHarness.Delivered;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The PostgreSQL source against a real server: snapshot, streaming, row images, DDL, positions. */
class PgCaptureIT {

  private static final String DB = "capture";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static PgServer pg;
  private static ActorSystem system;
  private CaptureHarness harness;
  private String slot;

  @BeforeAll
  static void setUp() {
    pg = PgServer.shared();
    pg.createDatabase(DB);
    system = ActorSystem.create("pg-capture-it");
  }

  @AfterAll
  static void tearDown() {
    system.terminate();
  }

  @AfterEach
  void dropSlot() {
    if (harness != null) {
      harness.close();
    }
    if (slot != null) {
      pg.dropSlotWhenReleased(DB, slot, WAIT);
    }
  }

  private CaptureHarness capture(String name, List<String> include) {
    return capture(name, include, Map.of());
  }

  private CaptureHarness capture(String name, List<String> include, Map<String, Object> extra) {
    PgSourceSettings s = CaptureHarness.settings(pg, DB, name, include, extra);
    slot = s.slotName();
    harness = CaptureHarness.start(system, s, pg);
    return harness;
  }

  @Test
  void shouldSnapshotExistingRowsThenStreamInsertsUpdatesAndDeletes() {
    pg.execute(DB, "DROP TABLE IF EXISTS basic", "CREATE TABLE basic (id int PRIMARY KEY, v text)",
        "INSERT INTO basic SELECT g, 'v' || g FROM generate_series(1, 3) g");
    capture("basic", List.of("public.basic"));
    harness.awaitCount("basic", 3, WAIT);
    pg.execute(DB, "INSERT INTO basic VALUES (4, 'four')", "UPDATE basic SET v = 'one' WHERE id = 1",
        "DELETE FROM basic WHERE id = 2");
    List<Delivered> d = harness.awaitCount("basic", 6, WAIT);
    assertThat(d).extracting(Delivered::op).containsExactly("r", "r", "r", "c", "u", "d");
    assertThat(d.get(0).value().at("/source/snapshot").asText()).isEqualTo("true");
    assertThat(d.get(3).after().toString()).isEqualTo("{\"id\":4,\"v\":\"four\"}");
    assertThat(d.get(3).key().toString()).isEqualTo("{\"id\":4}");
    assertThat(d.get(3).value().at("/source/table").asText()).isEqualTo("basic");
    assertThat(d.get(3).value().at("/source/connector").asText()).isEqualTo("postgresql");
    assertThat(d.get(3).value().at("/transaction/total_order").asLong()).isEqualTo(1);
    // REPLICA IDENTITY DEFAULT: no before image for an update, the key only for a delete
    assertThat(d.get(4).before().isNull()).isTrue();
    assertThat(d.get(4).after().toString()).isEqualTo("{\"id\":1,\"v\":\"one\"}");
    assertThat(d.get(5).before().toString()).isEqualTo("{\"id\":2,\"v\":null}");
    assertThat(d.get(5).after().isNull()).isTrue();
    assertThat(d.get(5).key().toString()).isEqualTo("{\"id\":2}");
  }

  @Test
  void shouldCarryFullBeforeImagesUnderReplicaIdentityFull() {
    pg.execute(DB, "DROP TABLE IF EXISTS fullid", "CREATE TABLE fullid (id int PRIMARY KEY, v text, n int)",
        "ALTER TABLE fullid REPLICA IDENTITY FULL", "INSERT INTO fullid VALUES (1, 'a', 10), (2, 'b', 20)");
    capture("fullid", List.of("public.fullid"));
    harness.awaitCount("fullid", 2, WAIT);
    pg.execute(DB, "UPDATE fullid SET n = 11 WHERE id = 1", "DELETE FROM fullid WHERE id = 2");
    List<Delivered> d = harness.awaitCount("fullid", 4, WAIT);
    assertThat(d.get(2).before().toString()).isEqualTo("{\"id\":1,\"v\":\"a\",\"n\":10}");
    assertThat(d.get(2).after().toString()).isEqualTo("{\"id\":1,\"v\":\"a\",\"n\":11}");
    assertThat(d.get(2).key().toString()).isEqualTo("{\"id\":1}");
    assertThat(d.get(3).before().toString()).isEqualTo("{\"id\":2,\"v\":\"b\",\"n\":20}");
  }

  @Test
  void shouldMarkUnchangedToastValuesInsteadOfNullingThem() {
    pg.execute(DB, "DROP TABLE IF EXISTS toasty", "CREATE TABLE toasty (id int PRIMARY KEY, big text, n int)",
        "ALTER TABLE toasty ALTER COLUMN big SET STORAGE EXTERNAL");
    capture("toasty", List.of("public.toasty"));
    String big = "x".repeat(100_000);
    pg.execute(DB, "INSERT INTO toasty VALUES (1, '" + big + "', 1)", "UPDATE toasty SET n = 2 WHERE id = 1");
    List<Delivered> d = harness.awaitCount("toasty", 2, WAIT);
    assertThat(d.get(0).after().get("big").asText()).hasSize(100_000);
    assertThat(d.get(1).op()).isEqualTo("u");
    assertThat(d.get(1).after().get("big").asText()).isEqualTo(Unchanged.PLACEHOLDER);
    assertThat(d.get(1).after().get("n").asInt()).isEqualTo(2);
    assertThat(d.get(1).value().get("unchanged_toast").toString()).isEqualTo("[\"big\"]");
  }

  @Test
  void shouldEmitATruncateEventPerTable() {
    pg.execute(DB, "DROP TABLE IF EXISTS trunc_a, trunc_b", "CREATE TABLE trunc_a (id int PRIMARY KEY)",
        "CREATE TABLE trunc_b (id int PRIMARY KEY)");
    capture("trunc", List.of("public.trunc_*"));
    pg.execute(DB, "INSERT INTO trunc_a VALUES (1)", "INSERT INTO trunc_b VALUES (1)", "TRUNCATE trunc_a, trunc_b");
    List<Delivered> d = harness.awaitDelivered(x -> x.size() >= 4, WAIT, "2 inserts and 2 truncates");
    assertThat(d).extracting(Delivered::op).containsExactly("c", "c", "t", "t");
    assertThat(d.get(2).key()).isNull();
    assertThat(d.get(2).before().isNull() && d.get(2).after().isNull()).isTrue();
    assertThat(Set.of(d.get(2).table().table(), d.get(3).table().table())).containsExactlyInAnyOrder("trunc_a", "trunc_b");
  }

  @Test
  void shouldCaptureAPartitionedTableUnderItsOwnName() {
    pg.execute(DB, "DROP TABLE IF EXISTS parted",
        "CREATE TABLE parted (id int PRIMARY KEY, v text) PARTITION BY RANGE (id)",
        "CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (100)",
        "CREATE TABLE parted_high PARTITION OF parted FOR VALUES FROM (100) TO (200)",
        "INSERT INTO parted VALUES (1, 'a'), (150, 'b')");
    capture("parted", List.of("public.parted"));
    harness.awaitCount("parted", 2, WAIT); // the snapshot reads the partitioned table whole
    pg.execute(DB, "INSERT INTO parted VALUES (2, 'c'), (160, 'd')", "UPDATE parted SET v = 'e' WHERE id = 150",
        "DELETE FROM parted WHERE id = 1");
    List<Delivered> d = harness.awaitCount("parted", 6, WAIT);
    assertThat(d.subList(2, 6)).extracting(Delivered::op).containsExactly("c", "c", "u", "d");
    assertThat(d).allMatch(x -> x.value().at("/source/table").asText().equals("parted"));
  }

  @Test
  void shouldStreamA100kRowTransactionInOrder() {
    pg.execute(DB, "DROP TABLE IF EXISTS bulk", "CREATE TABLE bulk (id bigint PRIMARY KEY, v text)");
    capture("bulk", List.of("public.bulk"));
    pg.execute(DB, "INSERT INTO bulk SELECT g, 'row ' || g FROM generate_series(1, 100000) g");
    List<Delivered> d = harness.awaitCount("bulk", 100_000, Duration.ofSeconds(120));
    assertThat(d).hasSize(100_000);
    for (int i = 0; i < d.size(); i++) {
      assertThat(d.get(i).after().get("id").asLong()).isEqualTo(i + 1);
    }
    assertThat(d.get(99_999).value().at("/transaction/total_order").asLong()).isEqualTo(100_000);
    String tx = d.get(0).value().at("/transaction/id").asText();
    assertThat(d).allMatch(x -> x.value().at("/transaction/id").asText().equals(tx));
  }

  @Test
  void shouldFollowAlterTableMidStream() {
    pg.execute(DB, "DROP TABLE IF EXISTS altered", "CREATE TABLE altered (id int PRIMARY KEY, a text)");
    capture("altered", List.of("public.altered"));
    pg.execute(DB, "INSERT INTO altered VALUES (1, 'x')",
        "ALTER TABLE altered ADD COLUMN b numeric(10,2) DEFAULT 1.50",
        "INSERT INTO altered VALUES (2, 'y', 2.25)",
        "ALTER TABLE altered DROP COLUMN a",
        "INSERT INTO altered VALUES (3, 3.75)",
        "ALTER TABLE altered RENAME COLUMN b TO price",
        "UPDATE altered SET price = 4.00 WHERE id = 1");
    List<Delivered> d = harness.awaitCount("altered", 4, WAIT);
    assertThat(d.get(0).after().toString()).isEqualTo("{\"id\":1,\"a\":\"x\"}");
    assertThat(d.get(1).after().toString()).isEqualTo("{\"id\":2,\"a\":\"y\",\"b\":\"2.25\"}");
    assertThat(d.get(2).after().toString()).isEqualTo("{\"id\":3,\"b\":\"3.75\"}");
    assertThat(d.get(3).after().toString()).isEqualTo("{\"id\":1,\"price\":\"4.00\"}");
  }

  @Test
  void shouldHandOffFromSnapshotToStreamWithoutGapOrDuplicateUnderConcurrentWrites() throws Exception {
    pg.execute(DB, "DROP TABLE IF EXISTS handoff", "CREATE TABLE handoff (id bigint PRIMARY KEY, v int)",
        "INSERT INTO handoff SELECT g, 0 FROM generate_series(1, 20000) g");
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong nextId = new AtomicLong(20_001);
    Thread writer = new Thread(() -> {
      try (Connection c = pg.connect(DB)) {
        c.setAutoCommit(false);
        java.util.Random r = new java.util.Random(7);
        while (writing.get()) {
          try (Statement s = c.createStatement()) {
            long id = nextId.getAndIncrement();
            s.executeUpdate("INSERT INTO handoff VALUES (" + id + ", 1)");
            s.executeUpdate("DELETE FROM handoff WHERE id = " + (1 + r.nextInt(20_000)));
            s.executeUpdate("UPDATE handoff SET v = v + 1 WHERE id = " + (1 + r.nextInt((int) id)));
          }
          c.commit();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "handoff-writer");
    writer.start();
    capture("handoff", List.of("public.handoff"));
    harness.awaitDelivered(d -> d.stream().anyMatch(x -> x.op().equals("c")), WAIT, "streaming started");
    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(2).toNanos());
    writing.set(false);
    writer.join();

    Map<Long, Long> expected = new java.util.HashMap<>();
    try (Connection c = pg.connect(DB); ResultSet rs = c.createStatement().executeQuery("SELECT id, v FROM handoff")) {
      while (rs.next()) {
        expected.put(rs.getLong(1), rs.getLong(2));
      }
    }
    // replay the events: r/c/u put the row, d removes it
    List<Delivered> all = harness.awaitDelivered(d -> replay(d).equals(expected), WAIT, "replayed events equal the table");
    Map<Long, Long> replayed = replay(all);
    assertThat(replayed).isEqualTo(expected);
    // no duplicate: each snapshot row once, and no streamed insert of a row the snapshot already had
    Set<Long> seen = new HashSet<>();
    for (Delivered x : all) {
      if (x.op().equals("r") || x.op().equals("c")) {
        assertThat(seen.add(x.after().get("id").asLong())).as("row %s delivered twice", x.after().get("id")).isTrue();
      }
    }
  }

  private static Map<Long, Long> replay(List<Delivered> events) {
    Map<Long, Long> rows = new java.util.HashMap<>();
    for (Delivered x : events) {
      switch (x.op()) {
        case "r", "c", "u" -> rows.put(x.after().get("id").asLong(), x.after().get("v").asLong());
        case "d" -> rows.remove(x.before().get("id").asLong());
        default -> { }
      }
    }
    return rows;
  }

  @Test
  void shouldResumeFromTheSlotDroppingWhatTheTableAlreadyCommitted() throws Exception {
    pg.execute(DB, "DROP TABLE IF EXISTS resume", "CREATE TABLE resume (id int PRIMARY KEY)");
    PgSourceSettings s = CaptureHarness.settings(pg, DB, "resume", List.of("public.resume"), Map.of());
    slot = s.slotName();
    // first run: delivers two transactions but never acknowledges the source, so the slot stays behind
    harness = CaptureHarness.start(system, s, Map.of(), pg, false);
    pg.execute(DB, "INSERT INTO resume SELECT generate_series(1, 10)", "INSERT INTO resume SELECT generate_series(11, 20)");
    List<Delivered> first = harness.awaitCount("resume", 20, WAIT);
    harness.close();
    harness = null;

    // the table had recorded the first transaction only: the server resends both, the first is dropped
    long firstCommit = first.get(0).value().at("/source/lsn").asLong();
    TableRef table = first.get(0).table();
    pg.execute(DB, "INSERT INTO resume SELECT generate_series(21, 25)");
    harness = CaptureHarness.start(system, s,
        Map.of(table, new TableStart(new PgPosition(firstCommit, PgPosition.COMPLETE), true)), pg);
    List<Delivered> second = harness.awaitCount("resume", 15, WAIT);
    assertThat(second).extracting(x -> x.after().get("id").asInt())
        .containsExactly(11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25);
    assertThat(harness.metrics.skippedDuplicates()).isEqualTo(10);
    // this run acknowledges: the slot's confirmed position passes the last delivered commit
    awaitConfirmedFlush(s.slotName(), second.get(14).value().at("/source/lsn").asLong());
  }

  /** Waits until the slot's confirmed_flush_lsn has passed {@code lsn}; returns it. */
  private static String awaitConfirmedFlush(String slot, long lsn) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      try (Connection c = pg.connect(DB); PreparedStatement ps = c.prepareStatement(
          "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
        ps.setString(1, slot);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getString(1) != null
              && io.syncline.persistence.Lsn.parse(rs.getString(1)).value() > lsn) {
            return rs.getString(1);
          }
        }
      }
      java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
    }
    throw new AssertionError("slot " + slot + " never confirmed past " + lsn);
  }

  @Test
  void shouldKeepAnIdleSlotMovingWhileOtherTablesWrite() throws Exception {
    pg.execute(DB, "DROP TABLE IF EXISTS quiet, noisy", "CREATE TABLE quiet (id int PRIMARY KEY)",
        "CREATE TABLE noisy (id int PRIMARY KEY, v text)");
    capture("quiet", List.of("public.quiet"), Map.of("idle-emit-interval", "200ms", "heartbeat-interval", "1s"));
    long before = currentWalLsn();
    pg.execute(DB, "INSERT INTO noisy SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g");
    long after = currentWalLsn();
    assertThat(after).isGreaterThan(before);
    awaitConfirmedFlush(slot, after - 1);
    assertThat(harness.delivered()).as("nothing of the quiet table").isEmpty();
  }

  @Test
  void shouldAnswerKeepalivesSoAnIdleConnectionOutlivesTheSendersTimeout() throws Exception {
    // a role whose walsenders give up after 2 s without a reply: only a reader that answers survives
    pg.execute(DB,
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keepalive_user') THEN"
            + " CREATE ROLE keepalive_user LOGIN REPLICATION PASSWORD 'ka-pass'; END IF; END $$",
        "ALTER ROLE keepalive_user SET wal_sender_timeout = '2s'",
        "DROP TABLE IF EXISTS idle_t",
        "CREATE TABLE idle_t (id int PRIMARY KEY)",
        "ALTER TABLE idle_t OWNER TO keepalive_user",
        "GRANT CREATE ON DATABASE " + DB + " TO keepalive_user");
    capture("keepalive", List.of("public.idle_t"),
        Map.of("user", "keepalive_user", "password", "ka-pass", "heartbeat-interval", "0s"));
    int pidBefore = awaitWalsenderPid(slot); // the slot turns active once the reader starts streaming
    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(7).toNanos());
    pg.execute(DB, "INSERT INTO idle_t VALUES (1)");
    List<Delivered> d = harness.awaitCount("idle_t", 1, WAIT);
    assertThat(d.get(0).after().get("id").asInt()).isEqualTo(1);
    assertThat(walsenderPid(slot)).as("the same replication connection served throughout").isEqualTo(pidBefore);
  }

  @Test
  void shouldReleaseTheSlotPromptlyWhenAnIdleCaptureIsStopped() {
    pg.execute(DB, "DROP TABLE IF EXISTS stopped", "CREATE TABLE stopped (id int PRIMARY KEY)");
    capture("stopped", List.of("public.stopped"));
    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(1).toNanos()); // idle: nothing to read
    harness.close();
    harness = null;
    // the reader must notice the stop without waiting for the server's next keepalive (~30 s)
    pg.dropSlotWhenReleased(DB, slot, Duration.ofSeconds(5));
    slot = null;
  }

  /** The pid of the walsender serving {@code slot}, once it is active (30 s at most). */
  private static int awaitWalsenderPid(String slot) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int pid;
    while ((pid = walsenderPid(slot)) == 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("slot " + slot + " not active after 30 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
    }
    return pid;
  }

  private static int walsenderPid(String slot) throws Exception {
    try (Connection c = pg.connect(DB); PreparedStatement ps = c.prepareStatement(
        "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static long currentWalLsn() throws Exception {
    try (Connection c = pg.connect(DB); ResultSet rs = c.createStatement().executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      return io.syncline.persistence.Lsn.parse(rs.getString(1)).value();
    }
  }
}
