package io.syncline.streams.lake;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.persistence.PgPosition;
import io.syncline.streams.envelope.EnvelopeEncoder;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake writer against real Delta tables on local disk, every result read back through Delta
 * Kernel's scan ({@link DeltaReader}), not the writer's state.
 */
class LakeWriterTest {

  static final TableRef ORDERS = new TableRef("postgresql", "shop", "shop", "public", "orders");
  static final List<LakeColumn> COLUMNS = List.of(
      new LakeColumn("id", LakeType.INT64),
      new LakeColumn("amount", new LakeType.Decimal(2)),
      new LakeColumn("placed_at", LakeType.TIMESTAMP),
      new LakeColumn("note", LakeType.TEXT));
  static final TableShape SHAPE = new TableShape(ORDERS, COLUMNS, List.of("id"));
  static final RowSchema ROW = RowSchema.of(List.of("id", "amount", "placed_at", "note"), List.of("id"));

  static ActorSystem<Void> system;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    system = ActorSystem.create(Behaviors.empty(), "lake-writer-test");
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  LakeSettings settings(Path lake) {
    return new LakeSettings(lake, Duration.ofMillis(200), 50_000, 10, true, true, Set.of(), 4096,
        "syncline.lake.io-dispatcher", List.of(), LakeSettings.Maintenance.DEFAULT, Map.of());
  }

  /** The i-th change of the test's history: a change of one key at position (lsn i, index 1). */
  record Step(long lsn, Op op, long id, String amount, String note) {}

  static LakeRecord record(EnvelopeEncoder enc, TableShape shape, RowSchema schema, Step s, Object... extra) {
    Object[] values = new Object[schema.size()];
    values[0] = s.id();
    values[1] = s.amount();
    values[2] = "2024-01-15T10:20:30.100000Z";
    values[3] = s.note();
    for (int i = 0; i < extra.length; i++) {
      values[4 + i] = extra[i];
    }
    Row row = new Row(schema, values);
    long micros = 1_705_314_030_000_000L + s.lsn() * 1_000_000L;
    ChangeEvent e = switch (s.op()) {
      case DELETE -> new ChangeEvent(shape.table(), Op.DELETE, new PgPosition(s.lsn(), 1), "tx" + s.lsn(), 1, micros,
          false, row, null, List.of());
      default -> new ChangeEvent(shape.table(), s.op(), new PgPosition(s.lsn(), 1), "tx" + s.lsn(), 1, micros, false,
          null, row, List.of());
    };
    return new LakeRecord(shape.table(), shape, e.position(), enc.encodeKey(e), enc.encodeValue(e));
  }

  /** A random history of inserts, updates and deletes over 40 keys; the reference is applied in order. */
  static List<Step> history(int n, long seed, Map<Long, Step> reference) {
    Random r = new Random(seed);
    List<Step> steps = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      long id = 1 + r.nextInt(40);
      Step cur = reference.get(id);
      Op op = cur == null ? Op.CREATE : (r.nextInt(4) == 0 ? Op.DELETE : Op.UPDATE);
      Step s = new Step(1000L + i, op, id, (r.nextInt(100_000) - 50_000) / 100 + "." + String.format("%02d", r.nextInt(100)),
          "note " + i + " é🚀");
      steps.add(s);
      if (op == Op.DELETE) {
        reference.remove(id);
      } else {
        reference.put(id, s);
      }
    }
    return steps;
  }

  static Map<Long, Map<String, Object>> silverByKey(Path table) throws Exception {
    Map<Long, Map<String, Object>> out = new TreeMap<>();
    for (Map<String, Object> row : DeltaReader.rows(table)) {
      assertThat(out.put((Long) row.get("id"), row)).as("one row per key").isNull();
    }
    return out;
  }

  static void assertSilverEquals(Path table, Map<Long, Step> reference) throws Exception {
    Map<Long, Map<String, Object>> silver = silverByKey(table);
    assertThat(silver.keySet()).isEqualTo(new TreeMap<>(reference).keySet());
    for (Step s : reference.values()) {
      Map<String, Object> row = silver.get(s.id());
      assertThat(row.get("amount")).as("amount of %s", s.id()).isEqualTo(new BigDecimal(s.amount()).setScale(2));
      assertThat(row.get("note")).isEqualTo(s.note());
      assertThat(row.get("placed_at")).isEqualTo(1_705_314_030_100_000L);
      assertThat(row.get("_source_position")).isEqualTo(Positions.sortable(new PgPosition(s.lsn(), 1)));
      assertThat(row.get("_source_name")).isEqualTo("shop");
      assertThat(row.get("_commit_ts")).isEqualTo(1_705_314_030_000_000L + s.lsn() * 1_000_000L);
    }
  }

  @Test
  void shouldWriteEveryEventToBronzeOnceAndAddNothingOnReplay() throws Exception {
    LakeWriter writer = new LakeWriter(settings(dir));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    List<Step> steps = history(300, 1, new HashMap<>());
    List<LakeRecord> records = steps.stream().map(s -> record(enc, SHAPE, ROW, s)).collect(Collectors.toList());

    for (int from = 0; from < records.size(); from += 100) {
      writer.commit(List.of(new LakeBatch<>(records.subList(from, from + 100), from)));
    }
    Path bronze = dir.resolve("bronze/events");
    long version = DeltaReader.snapshot(bronze).getVersion();
    // a replay after a crash: the same events again, a whole range and a range overlapping the end
    writer.commit(List.of(new LakeBatch<>(records, "replay")));
    new LakeWriter(settings(dir)).commit(List.of(new LakeBatch<>(records.subList(150, 300), "other node")));

    assertThat(DeltaReader.snapshot(bronze).getVersion()).as("a replay commits nothing").isEqualTo(version);
    List<Map<String, Object>> rows = DeltaReader.rows(bronze);
    assertThat(rows).hasSize(300);
    Map<String, Map<String, Object>> byPosition = rows.stream()
        .collect(Collectors.toMap(r -> (String) r.get("position_sort"), r -> r));
    for (int i = 0; i < records.size(); i++) {
      Step s = steps.get(i);
      Map<String, Object> row = byPosition.get(Positions.sortable(new PgPosition(s.lsn(), 1)));
      assertThat(row.get("table_id")).isEqualTo("shop.public.orders");
      assertThat(row.get("op")).isEqualTo(s.op().code());
      assertThat(row.get("key")).isEqualTo("{\"id\":" + s.id() + "}");
      var image = Envelope.EXACT.readTree((String) row.get(s.op() == Op.DELETE ? "before" : "after"));
      assertThat(image.get("note").asText()).isEqualTo(s.note());
      assertThat(image.get("amount").asText()).isEqualTo(s.amount());
      assertThat(row.get(s.op() == Op.DELETE ? "after" : "before")).isNull();
      assertThat((String) row.get("source")).contains("\"lsn\":" + s.lsn());
      assertThat(row.get("tx_id")).isEqualTo("tx" + s.lsn());
      assertThat(row.get("commit_ts")).isEqualTo(1_705_314_030_000_000L + s.lsn() * 1_000_000L);
      assertThat(row.get("event_date")).isEqualTo((int) java.time.LocalDate.of(2024, 1, 15).toEpochDay());
    }
    assertThat(dir.resolve("bronze/events/table_id=shop.public.orders")).isDirectory();
    try (var days = Files.list(dir.resolve("bronze/events/table_id=shop.public.orders"))) {
      assertThat(days.map(p -> p.getFileName().toString())).containsExactly("event_date=2024-01-15");
    }
  }

  @Test
  void shouldHoldTheCurrentRowsWhateverTheOrderAndDuplicatesOfDelivery() throws Exception {
    LakeWriter writer = new LakeWriter(settings(dir));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    Map<Long, Step> reference = new HashMap<>();
    List<Step> steps = history(600, 7, reference);
    List<LakeRecord> records = steps.stream().map(s -> record(enc, SHAPE, ROW, s)).collect(Collectors.toList());
    Random r = new Random(3);
    int from = 0;
    while (from < records.size()) {
      int to = Math.min(records.size(), from + 20 + r.nextInt(80));
      List<LakeRecord> batch = new ArrayList<>(records.subList(from, to));
      batch.addAll(records.subList(from, Math.min(to, from + 10))); // re-delivered inside the batch
      if (from > 0) {
        batch.addAll(records.subList(Math.max(0, from - 30), from)); // re-delivered from the last commit
      }
      Collections.shuffle(batch, r);
      writer.commit(List.of(new LakeBatch<>(batch, to)));
      from = to;
    }
    Path silver = dir.resolve("silver/shop.public.orders");
    assertSilverEquals(silver, reference);
    long version = DeltaReader.snapshot(silver).getVersion();
    writer.commit(List.of(new LakeBatch<>(records, "replay everything")));
    assertThat(DeltaReader.snapshot(silver).getVersion()).isEqualTo(version);
    assertSilverEquals(silver, reference);
    // time travel: an older version is still readable
    assertThat(DeltaReader.rows(DeltaReader.snapshot(silver, 1))).isNotEmpty();
  }

  @Test
  void shouldTakeChangesDeliveredAfterLaterOnesWereCommitted() throws Exception {
    // an SQS standard queue: a message can come commits after later ones, and more than once
    LakeWriter writer = new LakeWriter(settings(dir));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    Map<Long, Step> reference = new HashMap<>();
    List<Step> steps = history(300, 29, reference);
    List<LakeRecord> records = steps.stream().map(s -> record(enc, SHAPE, ROW, s)).collect(Collectors.toList());
    Random r = new Random(31);
    List<List<LakeRecord>> commits = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      commits.add(new ArrayList<>());
    }
    for (int i = 0; i < records.size(); i++) {
      int commit = i / 20 + (r.nextInt(4) == 0 ? r.nextInt(4) : 0); // a quarter held back up to 3 commits
      commits.get(Math.min(14, commit)).add(records.get(i));
      if (r.nextInt(10) == 0) {
        commits.get(Math.min(14, commit + r.nextInt(5))).add(records.get(i)); // and delivered again later
      }
    }
    int n = 0;
    for (List<LakeRecord> c : commits) {
      Collections.shuffle(c, r);
      writer.commit(List.of(new LakeBatch<>(c, n++)));
    }
    List<Map<String, Object>> bronze = DeltaReader.rows(dir.resolve("bronze/events"));
    assertThat(bronze).hasSize(300);
    assertThat(bronze.stream().map(row -> row.get("position_sort")).collect(Collectors.toSet())).hasSize(300);
    assertSilverEquals(dir.resolve("silver/shop.public.orders"), reference);
  }

  @Test
  void shouldKeepEverySnapshotRowThoughTheyAllShareTheSnapshotsPosition() throws Exception {
    // a snapshot's rows all carry its consistent point; they arrive in any order, over several
    // commits, some twice; then the stream goes on after the snapshot
    LakeWriter writer = new LakeWriter(settings(dir));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    PgPosition snapshotAt = PgPosition.boundary(500);
    List<LakeRecord> rows = new ArrayList<>();
    Map<Long, Step> reference = new HashMap<>();
    for (long id = 1; id <= 120; id++) {
      Step s = new Step(500, Op.READ, id, id + ".00", "snap " + id);
      Row row = new Row(ROW, new Object[] {id, s.amount(), "2024-01-15T10:20:30.100000Z", s.note()});
      ChangeEvent e = new ChangeEvent(ORDERS, Op.READ, snapshotAt, null, 0, 1_705_314_030_000_000L + 500_000_000L,
          true, null, row, List.of());
      rows.add(new LakeRecord(ORDERS, SHAPE, snapshotAt, enc.encodeKey(e), enc.encodeValue(e)));
      reference.put(id, s);
    }
    Random r = new Random(5);
    Collections.shuffle(rows, r);
    for (int from = 0; from < rows.size(); from += 30) {
      List<LakeRecord> batch = new ArrayList<>(rows.subList(from, from + 30));
      batch.addAll(rows.subList(Math.max(0, from - 10), from)); // re-delivered
      writer.commit(List.of(new LakeBatch<>(batch, from)));
    }
    Step update = new Step(600, Op.UPDATE, 7, "70.00", "streamed");
    Step delete = new Step(601, Op.DELETE, 8, "8.00", "snap 8");
    writer.commit(List.of(new LakeBatch<>(List.of(record(enc, SHAPE, ROW, update), record(enc, SHAPE, ROW, delete),
        rows.get(0)), "stream")));
    reference.put(7L, update);
    reference.remove(8L);

    List<Map<String, Object>> bronze = DeltaReader.rows(dir.resolve("bronze/events"));
    assertThat(bronze).hasSize(122);
    assertThat(bronze.stream().filter(b -> "r".equals(b.get("op"))).map(b -> b.get("key")).collect(Collectors.toSet()))
        .hasSize(120);
    Map<Long, Map<String, Object>> silver = silverByKey(dir.resolve("silver/shop.public.orders"));
    assertThat(silver).hasSize(119);
    assertThat(silver.get(7L)).containsEntry("note", "streamed");
    assertThat(silver.get(100L)).containsEntry("note", "snap 100")
        .containsEntry("_source_position", Positions.sortable(snapshotAt));
  }

  @Test
  void shouldKeepALateChangeInBronzeWithoutLettingItOverwriteSilver() throws Exception {
    LakeWriter writer = new LakeWriter(settings(dir));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    LakeRecord newer = record(enc, SHAPE, ROW, new Step(20, Op.UPDATE, 1, "2.00", "newer"));
    LakeRecord older = record(enc, SHAPE, ROW, new Step(10, Op.CREATE, 1, "1.00", "older"));
    writer.commit(List.of(new LakeBatch<>(List.of(newer), 1)));
    writer.commit(List.of(new LakeBatch<>(List.of(older), 2))); // delivered late
    writer.commit(List.of(new LakeBatch<>(List.of(older, newer), 3))); // and both again
    Path silver = dir.resolve("silver/shop.public.orders");
    assertThat(silverByKey(silver).get(1L)).containsEntry("note", "newer")
        .containsEntry("_source_position", Positions.sortable(new PgPosition(20, 1)));
    assertThat(DeltaReader.rows(dir.resolve("bronze/events"))).extracting(r -> r.get("position"))
        .as("bronze keeps the late change, once").containsExactlyInAnyOrder("0/A#1", "0/14#1");
  }

  @Test
  void shouldAddANewSourceColumnToTheSilverSchema() throws Exception {
    LakeWriter writer = new LakeWriter(settings(dir));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    writer.commit(List.of(new LakeBatch<>(List.of(
        record(enc, SHAPE, ROW, new Step(1, Op.CREATE, 1, "1.00", "a")),
        record(enc, SHAPE, ROW, new Step(2, Op.CREATE, 2, "2.00", "b"))), 1)));
    List<LakeColumn> wider = new ArrayList<>(COLUMNS);
    wider.add(new LakeColumn("status", LakeType.TEXT));
    wider.add(new LakeColumn("shipped_on", LakeType.DATE));
    TableShape evolved = new TableShape(ORDERS, wider, List.of("id"));
    RowSchema evolvedRow = RowSchema.of(List.of("id", "amount", "placed_at", "note", "status", "shipped_on"),
        List.of("id"));
    writer.commit(List.of(new LakeBatch<>(List.of(
        record(enc, evolved, evolvedRow, new Step(3, Op.UPDATE, 2, "2.50", "b2"), "shipped", "2024-02-29"),
        record(enc, evolved, evolvedRow, new Step(4, Op.CREATE, 3, "3.00", "c"), null, null)), 2)));

    Path silver = dir.resolve("silver/shop.public.orders");
    assertThat(DeltaReader.snapshot(silver).getSchema().fieldNames()).contains("status", "shipped_on");
    Map<Long, Map<String, Object>> rows = silverByKey(silver);
    assertThat(rows.get(1L)).containsEntry("status", null).containsEntry("note", "a");
    assertThat(rows.get(2L)).containsEntry("status", "shipped").containsEntry("note", "b2")
        .containsEntry("shipped_on", (int) java.time.LocalDate.of(2024, 2, 29).toEpochDay());
    assertThat(rows.get(3L)).containsEntry("status", null).containsEntry("amount", new BigDecimal("3.00"));
    assertThat(writer.silverFailures()).isEmpty();
  }

  @Test
  void shouldStopTheTablesSilverNamingTheColumnWhenASourceColumnIsDropped() throws Exception {
    LakeWriter writer = new LakeWriter(settings(dir));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    writer.commit(List.of(new LakeBatch<>(List.of(record(enc, SHAPE, ROW, new Step(1, Op.CREATE, 1, "1.00", "a"))), 1)));
    TableShape narrower = new TableShape(ORDERS, COLUMNS.subList(0, 3), List.of("id"));
    RowSchema narrowerRow = RowSchema.of(List.of("id", "amount", "placed_at"), List.of("id"));
    LakeRecord afterDrop = recordWithout(enc, narrower, narrowerRow, new Step(2, Op.CREATE, 2, "2.00", null));
    writer.commit(List.of(new LakeBatch<>(List.of(afterDrop), 2)));

    assertThat(writer.silverFailures()).containsOnlyKeys("shop.public.orders");
    assertThat(writer.silverFailures().get("shop.public.orders"))
        .contains("column note is no longer in the source table")
        .contains("Fix: add the column back at the source, or rebuild the table's silver");
    assertThat(silverByKey(dir.resolve("silver/shop.public.orders"))).containsOnlyKeys(1L);
    assertThat(DeltaReader.rows(dir.resolve("bronze/events"))).hasSize(2); // bronze goes on

    TableShape narrowed = new TableShape(ORDERS, List.of(COLUMNS.get(0), new LakeColumn("amount", LakeType.TEXT),
        COLUMNS.get(2), COLUMNS.get(3)), List.of("id"));
    LakeWriter second = new LakeWriter(settings(dir));
    second.commit(List.of(new LakeBatch<>(List.of(record(enc, narrowed, ROW, new Step(3, Op.CREATE, 3, "3.00", "c"))), 3)));
    assertThat(second.silverFailures().get("shop.public.orders"))
        .contains("column amount changed type from decimal(38,2) to string");
  }

  static LakeRecord recordWithout(EnvelopeEncoder enc, TableShape shape, RowSchema schema, Step s) {
    Row row = new Row(schema, new Object[] {s.id(), s.amount(), "2024-01-15T10:20:30.100000Z"});
    ChangeEvent e = new ChangeEvent(shape.table(), s.op(), new PgPosition(s.lsn(), 1), "tx" + s.lsn(), 1,
        1_705_314_030_000_000L, false, null, row, List.of());
    return new LakeRecord(shape.table(), shape, e.position(), enc.encodeKey(e), enc.encodeValue(e));
  }

  @Test
  void shouldNotCorruptATableWrittenByTwoWritersAtOnce() throws Exception {
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    Map<Long, Step> reference = new HashMap<>();
    List<Step> steps = history(400, 11, reference);
    List<LakeRecord> records = steps.stream().map(s -> record(enc, SHAPE, ROW, s)).collect(Collectors.toList());
    LakeWriter a = new LakeWriter(settings(dir));
    LakeWriter b = new LakeWriter(settings(dir));
    // both receive every batch (a re-delivery to a second node) and commit concurrently
    for (int from = 0; from < records.size(); from += 50) {
      List<LakeBatch<Integer>> batch = List.of(new LakeBatch<>(records.subList(from, from + 50), from));
      CompletableFuture<Void> fa = CompletableFuture.runAsync(() -> a.commit(batch));
      CompletableFuture<Void> fb = CompletableFuture.runAsync(() -> b.commit(batch));
      fa.get(60, TimeUnit.SECONDS);
      fb.get(60, TimeUnit.SECONDS);
    }
    List<Map<String, Object>> bronze = DeltaReader.rows(dir.resolve("bronze/events"));
    assertThat(bronze).hasSize(400);
    try (var log = Files.list(dir.resolve("bronze/events/_delta_log"))) {
      assertThat(log.map(p -> p.getFileName().toString()))
          .as("commits written by LocalLogStore (put-if-absent by hard link), without Hadoop's checksum side files")
          .noneMatch(n -> n.endsWith(".json.crc"));
    }
    assertThat(bronze.stream().map(r -> r.get("position_sort")).collect(Collectors.toSet())).hasSize(400);
    assertSilverEquals(dir.resolve("silver/shop.public.orders"), reference);
  }

  @Test
  void shouldTakeTheDeliveryPipelinesBatchesAsAnInProcessTransport() throws Exception {
    LakeTransport transport = new LakeTransport(new LakeWriter(settings(dir)), t -> SHAPE);
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    Map<Long, Step> reference = new HashMap<>();
    List<Step> steps = history(120, 23, reference);
    List<io.syncline.streams.transport.Outgoing<Integer>> batches = new ArrayList<>();
    for (int i = 0; i < steps.size(); i += 30) {
      List<io.syncline.streams.transport.OutRecord> out = new ArrayList<>();
      for (Step s : steps.subList(i, i + 30)) {
        LakeRecord r = record(enc, SHAPE, ROW, s);
        out.add(new io.syncline.streams.transport.OutRecord(r.table(), r.key(), r.value(), r.position(),
            s.op() == Op.DELETE, List.of()));
      }
      batches.add(new io.syncline.streams.transport.Outgoing<>(out, i));
    }
    List<Integer> done = Source.from(batches).via(transport.<Integer>flow()).runWith(Sink.seq(), system)
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertThat(done).containsExactly(0, 30, 60, 90);
    assertSilverEquals(dir.resolve("silver/shop.public.orders"), reference);
    assertThat(DeltaReader.rows(dir.resolve("bronze/events"))).hasSize(120);
  }

  @Test
  void shouldEmitEachBatchInOrderOnlyAfterItsEventsAreInDelta() throws Exception {
    LakeWriter writer = new LakeWriter(settings(dir));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    Map<Long, Step> reference = new HashMap<>();
    List<Step> steps = history(200, 5, reference);
    List<LakeBatch<Integer>> batches = new ArrayList<>();
    for (int i = 0; i < steps.size(); i += 10) {
      List<LakeRecord> recs = new ArrayList<>();
      for (Step s : steps.subList(i, i + 10)) {
        recs.add(record(enc, SHAPE, ROW, s));
      }
      batches.add(new LakeBatch<>(recs, i + 10));
    }
    batches.add(new LakeBatch<>(List.of(), -1)); // a pure checkpoint comes back too
    Path bronze = dir.resolve("bronze/events");
    List<Integer> seen = Source.from(batches)
        .via(writer.<Integer>flow())
        .map(done -> {
          if (done > 0) {
            assertThat(DeltaReader.rows(bronze).size()).as("events of batch %s in bronze", done)
                .isGreaterThanOrEqualTo(done);
          }
          return done;
        })
        .runWith(Sink.seq(), system)
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
    List<Integer> expected = new ArrayList<>();
    batches.forEach(b -> expected.add(b.passThrough()));
    assertThat(seen).isEqualTo(expected);
    assertSilverEquals(dir.resolve("silver/shop.public.orders"), reference);
  }
}
