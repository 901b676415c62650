package io.syncline.node.consume;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.KafkaServer;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.envelope.EnvelopeEncoder;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.JsonText;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code syncline consume} against a real Kafka broker: envelopes encoded by {@link EnvelopeEncoder}
 * on a 3-partition topic, read by 3 consumers of one group and by a second group; and a consumer
 * process killed with SIGKILL mid-way and started again.
 */
class ConsumeIT {

  private static final TableRef TABLE = new TableRef("postgresql", "shop", "shop", "public", "items");
  private static final RowSchema SCHEMA = RowSchema.of(List.of("id", "name", "doc", "note"), List.of("id"));
  private static final RowSchema KEY_ONLY = RowSchema.of(List.of("id"), List.of("id"));

  @TempDir
  Path dir;

  /** One produced record: what it was and where it landed. */
  record Produced(Op op, long id, int partition, long offset) {}

  /** A row as the test expects the table to hold it. */
  record Item(String name, String doc, String note) {}

  @Test
  void shouldShareThePartitionsInAGroupAndGiveEveryGroupEveryRowSoReplayGivesTheFinalTable() throws Exception {
    KafkaServer kafka = KafkaServer.shared();
    String topic = "shop.public.items";
    createTopic(kafka, topic, 3);
    ConsumeSettings three = settings(kafka, topic, "csv-three", 3, dir);
    ConsumeSettings one = settings(kafka, topic, "csv-one", 1, dir);
    try (CsvConsumers group = CsvConsumers.start(three); CsvConsumers other = CsvConsumers.start(one)) {
      // the group has settled when each of its 3 consumers owns one partition
      await("3 consumers own one partition each", () -> group.assignedPartitions().equals(List.of(1, 1, 1)));
      Map<Long, Item> table = new TreeMap<>();
      List<Produced> produced = produceWorkload(kafka, topic, table);
      long records = produced.size();
      await("group csv-three wrote every record", () -> group.records() == records);
      await("group csv-one wrote every record", () -> other.records() == records);
      group.close();
      other.close();
      assertThat(group.failure()).isNull();
      assertThat(committed(kafka, "csv-three", topic)).isEqualTo(endOffsets(kafka, topic));
      assertThat(committed(kafka, "csv-one", topic)).isEqualTo(endOffsets(kafka, topic));

      // each consumer of the group holds exactly one partition's rows
      Set<Integer> seen = new HashSet<>();
      for (Path d : group.directories()) {
        Set<Integer> partitions = Stream.concat(rows(d.resolve("inserts.csv")).stream(), rows(d.resolve("deletes.csv")).stream())
            .map(r -> Integer.parseInt(r.get("_partition"))).collect(Collectors.toSet());
        assertThat(partitions).as("partitions in %s", d).hasSize(1);
        seen.addAll(partitions);
      }
      assertThat(seen).containsExactlyInAnyOrder(0, 1, 2);

      for (CsvConsumers g : List.of(group, other)) {
        List<Map<String, String>> inserts = new ArrayList<>();
        List<Map<String, String>> deletes = new ArrayList<>();
        for (Path d : g.directories()) {
          inserts.addAll(rows(d.resolve("inserts.csv")));
          deletes.addAll(rows(d.resolve("deletes.csv")));
        }
        assertExactlyTheProducedRows(produced, inserts, deletes);
        assertThat(replay(inserts, deletes)).as("replayed table").isEqualTo(table);
      }
    }
  }

  @Test
  void shouldRedeliverOnlyTheUncommittedTailAfterTheConsumerProcessIsKilled() throws Exception {
    KafkaServer kafka = KafkaServer.shared();
    String topic = "shop.public.items_kill";
    createTopic(kafka, topic, 3);
    List<Produced> produced = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
      EnvelopeEncoder encoder = new EnvelopeEncoder();
      List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
      for (long id = 1; id <= 60_000; id++) {
        ChangeEvent e = event(Op.CREATE, id, null, new Row(SCHEMA, new Object[] {id, "n" + id, null, null}));
        sent.add(producer.send(new ProducerRecord<>(topic, encoder.encodeKey(e), encoder.encodeValue(e))));
      }
      for (int i = 0; i < sent.size(); i++) {
        RecordMetadata m = sent.get(i).get();
        produced.add(new Produced(Op.CREATE, i + 1, m.partition(), m.offset()));
      }
    }
    Path out = dir.resolve("out");
    Path inserts = settings(kafka, topic, "csv-kill", 1, out).directoryOf(0).resolve("inserts.csv");
    Process first = startConsume(kafka, topic, out, dir.resolve("first.log"));
    await("the first consumer wrote 5,000 rows", () -> lines(inserts) > 5_000, first);
    first.destroyForcibly(); // SIGKILL: no shutdown hook, no final commit
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    Map<Integer, Long> committedAtKill = committed(kafka, "csv-kill", topic);
    long committedTotal = committedAtKill.values().stream().mapToLong(Long::longValue).sum();
    assertThat(committedTotal).as("killed mid-way").isLessThan(produced.size());

    Process second = startConsume(kafka, topic, out, dir.resolve("second.log"));
    Map<Integer, Long> end = endOffsets(kafka, topic);
    await("the restarted consumer committed everything", () -> committed(kafka, "csv-kill", topic).equals(end), second);
    second.destroy(); // SIGTERM: the shutdown hook commits and closes
    assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readString(dir.resolve("second.log"))).contains("records=");

    Map<String, Produced> at = produced.stream().collect(Collectors.toMap(x -> x.partition() + "/" + x.offset(), x -> x));
    Map<String, Integer> copies = new HashMap<>();
    for (Map<String, String> r : rows(inserts)) {
      int p = Integer.parseInt(r.get("_partition"));
      long o = Long.parseLong(r.get("_offset"));
      copies.merge(p + "/" + o, 1, Integer::sum);
      Produced expected = at.get(p + "/" + o);
      assertThat(expected).as("row of %d/%d was produced", p, o).isNotNull();
      assertThat(r.get("id")).isEqualTo(String.valueOf(expected.id()));
      assertThat(r.get("name")).isEqualTo("n" + expected.id());
      if (copies.get(p + "/" + o) > 1) {
        assertThat(o).as("a duplicate is in the uncommitted tail of partition %d", p)
            .isGreaterThanOrEqualTo(committedAtKill.getOrDefault(p, 0L));
      }
    }
    for (Produced x : produced) {
      assertThat(copies).as("record %d/%d written", x.partition(), x.offset()).containsKey(x.partition() + "/" + x.offset());
    }
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Inserts 1..3000 (names with commas, quotes and line breaks; a JSON document; a nullable note),
   * updates every third, deletes every fifth, inserts every 25th again; keeps {@code table} as the
   * source would be afterwards. Updates and deletes carry the key only (PostgreSQL's default).
   */
  private static List<Produced> produceWorkload(KafkaServer kafka, String topic, Map<Long, Item> table) throws Exception {
    EnvelopeEncoder encoder = new EnvelopeEncoder();
    List<ChangeEvent> events = new ArrayList<>();
    for (long id = 1; id <= 3000; id++) {
      events.add(event(Op.CREATE, id, null, row(id, "item " + id + (id % 7 == 0 ? ", \"quoted\"\r\nline" : ""),
          id % 2 == 0 ? "x" : null, table)));
    }
    for (long id = 3; id <= 3000; id += 3) {
      events.add(event(Op.UPDATE, id, null, row(id, "updated " + id, id % 2 == 0 ? null : "y", table)));
    }
    for (long id = 5; id <= 3000; id += 5) {
      events.add(event(Op.DELETE, id, new Row(KEY_ONLY, new Object[] {id}), null));
      table.remove(id);
    }
    for (long id = 25; id <= 3000; id += 25) {
      events.add(event(Op.CREATE, id, null, row(id, "again " + id, "z", table)));
    }
    List<Produced> produced = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
      List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
      for (ChangeEvent e : events) {
        sent.add(producer.send(new ProducerRecord<>(topic, encoder.encodeKey(e), encoder.encodeValue(e))));
      }
      for (int i = 0; i < events.size(); i++) {
        RecordMetadata m = sent.get(i).get();
        ChangeEvent e = events.get(i);
        produced.add(new Produced(e.op(), (Long) e.keyRow().get("id"), m.partition(), m.offset()));
      }
    }
    return produced;
  }

  private static Row row(long id, String name, String note, Map<Long, Item> table) {
    String doc = "{\"id\":" + id + ",\"tags\":[\"a,b\",\"c\"]}";
    table.put(id, new Item(name, doc, note));
    return new Row(SCHEMA, new Object[] {id, name, new JsonText(doc), note});
  }

  private static ChangeEvent event(Op op, long id, Row before, Row after) {
    return new ChangeEvent(TABLE, op, new PgPosition(1000 + id, 0), "tx" + id, 1,
        1_700_000_000_000_000L + id, false, before, after, List.of());
  }

  /** Every produced record is in the right file exactly once: inserts (c, u), deletes (u, d). */
  private static void assertExactlyTheProducedRows(List<Produced> produced, List<Map<String, String>> inserts,
      List<Map<String, String>> deletes) {
    Map<String, String> expectInserts = new HashMap<>();
    Map<String, String> expectDeletes = new HashMap<>();
    for (Produced p : produced) {
      String at = p.partition() + "/" + p.offset();
      if (p.op() != Op.DELETE) {
        expectInserts.put(at, p.op().code() + ":" + p.id());
      }
      if (p.op() != Op.CREATE) {
        expectDeletes.put(at, p.op().code() + ":" + p.id());
      }
    }
    assertThat(inserts).hasSize(expectInserts.size());
    assertThat(deletes).hasSize(expectDeletes.size());
    assertThat(byPosition(inserts)).isEqualTo(expectInserts);
    assertThat(byPosition(deletes)).isEqualTo(expectDeletes);
  }

  private static Map<String, String> byPosition(List<Map<String, String>> rows) {
    return rows.stream().collect(Collectors.toMap(r -> r.get("_partition") + "/" + r.get("_offset"),
        r -> r.get("_op") + ":" + r.get("id")));
  }

  /**
   * What docs/consumers.md tells a reader to do: de-duplicate by (_partition, _offset), order by
   * it with a delete before the insert of the same offset, apply.
   */
  private static Map<Long, Item> replay(List<Map<String, String>> inserts, List<Map<String, String>> deletes) {
    record Step(int partition, long offset, boolean insert, Map<String, String> row) {}
    List<Step> steps = new ArrayList<>();
    inserts.forEach(r -> steps.add(new Step(Integer.parseInt(r.get("_partition")), Long.parseLong(r.get("_offset")), true, r)));
    deletes.forEach(r -> steps.add(new Step(Integer.parseInt(r.get("_partition")), Long.parseLong(r.get("_offset")), false, r)));
    steps.sort(Comparator.comparingInt(Step::partition).thenComparingLong(Step::offset).thenComparing(Step::insert));
    Map<Long, Item> state = new TreeMap<>();
    for (Step s : steps) {
      long id = Long.parseLong(s.row().get("id"));
      if (s.insert()) {
        state.put(id, new Item(s.row().get("name"), s.row().get("doc"), s.row().get("note")));
      } else {
        state.remove(id);
      }
    }
    return state;
  }

  /**
   * The rows of a CSV file, read by Jackson's RFC 4180 parser (not ours). It reads an empty cell
   * and {@code ""} alike (CsvWriterTest checks that distinction on the raw text): both become null,
   * and the workload has no empty strings.
   */
  private static List<Map<String, String>> rows(Path file) throws IOException {
    if (!Files.exists(file) || Files.size(file) == 0) {
      return List.of();
    }
    String text = Files.readString(file);
    List<Map<String, String>> out = new ArrayList<>();
    try (MappingIterator<Map<String, String>> it = new CsvMapper().readerForMapOf(String.class)
        .with(CsvSchema.emptySchema().withHeader()).readValues(text)) {
      while (it.hasNext()) {
        Map<String, String> r = new HashMap<>(it.next());
        r.replaceAll((k, v) -> v.isEmpty() ? null : v);
        out.add(r);
      }
    }
    return out;
  }

  private static long lines(Path file) {
    try (Stream<String> lines = Files.exists(file) ? Files.lines(file) : Stream.empty()) {
      return lines.count();
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ConsumeSettings settings(KafkaServer kafka, String topic, String group, int consumers, Path out) {
    return ConsumeSettings.create(ConfigFactory.parseString(String.join("\n",
        "syncline.consume.topic = \"" + topic + "\"",
        "syncline.consume.group = \"" + group + "\"",
        "syncline.consume.out = \"" + out + "\"",
        "syncline.consume.bootstrap-servers = \"" + kafka.bootstrapServers() + "\"",
        "syncline.consume.consumers = " + consumers)).withFallback(ConfigFactory.load()));
  }

  private Process startConsume(KafkaServer kafka, String topic, Path out, Path log) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // a short session: the killed member leaves the group in seconds rather than the default 45 s
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-Dsyncline.consume.consumer.session.timeout.ms=6000", "-cp", System.getProperty("java.class.path"),
        "io.syncline.node.Main", "consume", "--topic", topic, "--group", "csv-kill", "--out", out.toString(),
        "--bootstrap-servers", kafka.bootstrapServers(), "--max-poll-records", "100");
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    return pb.start();
  }

  private static void createTopic(KafkaServer kafka, String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(KafkaServer kafka) {
    return new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all",
        "linger.ms", "5"), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static Map<Integer, Long> committed(KafkaServer kafka, String group, String topic) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      Map<Integer, Long> out = new TreeMap<>();
      offsets.forEach((tp, o) -> {
        if (tp.topic().equals(topic) && o != null) {
          out.put(tp.partition(), o.offset());
        }
      });
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<Integer, Long> endOffsets(KafkaServer kafka, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      for (int p = 0; p < 3; p++) {
        request.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      Map<Integer, Long> out = new TreeMap<>();
      admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp.partition(), info.offset()));
      return out;
    }
  }

  private static void await(String what, BooleanSupplier condition) {
    await(what, condition, null);
  }

  private static void await(String what, BooleanSupplier condition, Process process) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!condition.getAsBoolean()) {
      if (process != null) {
        assertThat(process.isAlive()).as("consumer process running while waiting for: " + what).isTrue();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 120 s: " + what);
      }
      LockSupport.parkNanos(50_000_000L);
    }
  }
}
