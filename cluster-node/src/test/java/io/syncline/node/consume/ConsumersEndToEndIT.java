package io.syncline.node.consume;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.KafkaServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.SynclineNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path of issue 5 at a small scale: the standard workload's changes (../shared/BENCHMARK.md,
 * 100 transactions of 200 rows: 20,000 changes) on PostgreSQL → a Syncline node → a 3-partition
 * Kafka topic → 3 consumers of one group writing CSV. Replaying the files gives the table, every
 * column; and at every moment observed while they run, what the group has committed is on disk.
 * (The timed, 1M-change version is bench/consumers.)
 */
class ConsumersEndToEndIT {

  private static final String DB = "e2e_consumers";
  private static final int ROWS_PER_TXN = 200;
  private static final long CHANGES = 100L * ROWS_PER_TXN;
  /** A tombstone follows each of the 25 x 200 deletes (tombstones-on-delete, the default). */
  private static final long TOMBSTONES = 25L * ROWS_PER_TXN;
  private static final String TOPIC = "e2e.public.t";

  @TempDir
  Path dir;

  @Test
  void shouldWriteEveryChangeSoThatReplayingTheFilesGivesTheTableAndCommitOnlyWhatIsOnDisk() throws Exception {
    PgServer pg = PgServer.shared();
    KafkaServer kafka = KafkaServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "DROP TABLE IF EXISTS t",
        "CREATE TABLE t (id BIGINT PRIMARY KEY, category VARCHAR(32), domain VARCHAR(64), ts TIMESTAMP)",
        "CREATE INDEX t_domain ON t (domain)");
    Config config = ConfigFactory.load(ConfigFactory.parseString(String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [kafka]",
        "syncline.transport.kafka.bootstrap-servers = \"" + kafka.bootstrapServers() + "\"",
        "syncline.transport.kafka.partitions = 3",
        "syncline.sources = [{ kind = postgres, name = e2e, host = localhost, port = " + pg.port()
            + ", database = " + DB + ", user = postgres, include-tables = [\"public.t\"] }]",
        "pekko.remote.artery.canonical.port = 0")));
    Path out = dir.resolve("csv");
    try (SynclineNode node = SynclineNode.start(config)) {
      awaitTopic(kafka);
      ConsumeSettings settings = ConsumeSettings.create(ConfigFactory.parseString(String.join("\n",
          "syncline.consume.topic = \"" + TOPIC + "\"",
          "syncline.consume.group = e2e-three",
          "syncline.consume.out = \"" + out + "\"",
          "syncline.consume.bootstrap-servers = \"" + kafka.bootstrapServers() + "\"",
          "syncline.consume.max-poll-records = 500",
          "syncline.consume.consumers = 3")).withFallback(ConfigFactory.load()));
      try (CsvConsumers group = CsvConsumers.start(settings); Tombstones tombstones = new Tombstones(kafka)) {
        await("3 consumers own one partition each", () -> group.assignedPartitions().equals(List.of(1, 1, 1)));
        await("the node streams from its replication slot", () -> slotActive(pg));
        writeWorkload(pg);
        int checks = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (true) {
          // committed first, then the files: every committed record must already be in them
          Map<Integer, Long> committed = committed(kafka);
          Map<Integer, BitSet> onDisk = offsetsOnDisk(group.directories());
          // a tombstone needs no row: its offset counts as written
          tombstones.readTo(committed).forEach((p, offsets) -> onDisk.computeIfAbsent(p, k -> new BitSet()).or(offsets));
          committed.forEach((p, next) -> assertThat(onDisk.getOrDefault(p, new BitSet()).nextClearBit(0))
              .as("partition %d: committed up to %d, on disk", p, next).isGreaterThanOrEqualTo(next.intValue()));
          checks++;
          if (committed.values().stream().mapToLong(Long::longValue).sum() == CHANGES + TOMBSTONES) {
            break;
          }
          assertThat(group.failure()).isNull();
          if (System.nanoTime() > deadline) {
            throw new AssertionError("not every change committed within 180 s: " + committed);
          }
          LockSupport.parkNanos(20_000_000L);
        }
        assertThat(checks).as("checks while consuming").isGreaterThan(1);
        group.close();
        assertThat(group.failure()).isNull();
        assertThat(committed(kafka)).isEqualTo(endOffsets(kafka));
        assertThat(tombstones.readTo(endOffsets(kafka)).values().stream().mapToInt(BitSet::cardinality).sum())
            .as("tombstones").isEqualTo(TOMBSTONES);

        List<Map<String, String>> inserts = new ArrayList<>();
        List<Map<String, String>> deletes = new ArrayList<>();
        for (Path d : group.directories()) {
          for (Path f : csvFiles(d)) {
            (f.getFileName().toString().startsWith("inserts") ? inserts : deletes).addAll(rows(f));
          }
        }
        // 50 x 200 inserts, 25 x 200 updates (delete + insert), 25 x 200 deletes; a clean run: no duplicates
        assertThat(inserts).hasSize(15_000);
        assertThat(deletes).hasSize(10_000);
        assertThat(inserts.stream().map(r -> r.get("_partition") + "/" + r.get("_offset")).distinct().count())
            .isEqualTo(15_000);
        assertThat(replay(inserts, deletes)).isEqualTo(table(pg));
      }
    }
  }

  /** 25 rounds x (insert, insert, update the first, delete the second) of 200 rows, as the benchmark. */
  private static void writeWorkload(PgServer pg) throws Exception {
    try (Connection c = pg.connect(DB); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (int r = 0; r < 25; r++) {
        long base = (long) r * 2 * ROWS_PER_TXN;
        for (long from : new long[] {base + 1, base + ROWS_PER_TXN + 1}) {
          s.execute("INSERT INTO t SELECT g, 'cat' || (g % 16), 'host' || g || '.d' || (g % 1000) || '.example.com',"
              + " now() FROM generate_series(" + from + ", " + (from + ROWS_PER_TXN - 1) + ") g");
          c.commit();
        }
        s.execute("UPDATE t SET category = 'cat' || ((id + 1) % 16), ts = now() WHERE id BETWEEN " + (base + 1)
            + " AND " + (base + ROWS_PER_TXN));
        c.commit();
        s.execute("DELETE FROM t WHERE id BETWEEN " + (base + ROWS_PER_TXN + 1) + " AND " + (base + 2 * ROWS_PER_TXN));
        c.commit();
      }
    }
  }

  /** id → [category, domain, ts], ts as the envelope writes a {@code timestamp}. */
  private static Map<Long, List<String>> table(PgServer pg) throws Exception {
    Map<Long, List<String>> rows = new TreeMap<>();
    try (Connection c = pg.connect(DB); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT id, category, domain, to_char(ts, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM t")) {
      while (rs.next()) {
        rows.put(rs.getLong(1), List.of(rs.getString(2), rs.getString(3), rs.getString(4)));
      }
    }
    assertThat(rows).hasSize(5_000);
    return rows;
  }

  /** In (partition, offset) order, the delete half before the insert half of one offset; apply. */
  private static Map<Long, List<String>> replay(List<Map<String, String>> inserts, List<Map<String, String>> deletes) {
    record Step(int partition, long offset, boolean insert, Map<String, String> row) {}
    List<Step> steps = new ArrayList<>();
    inserts.forEach(r -> steps.add(new Step(Integer.parseInt(r.get("_partition")), Long.parseLong(r.get("_offset")), true, r)));
    deletes.forEach(r -> steps.add(new Step(Integer.parseInt(r.get("_partition")), Long.parseLong(r.get("_offset")), false, r)));
    steps.sort(java.util.Comparator.comparingInt(Step::partition).thenComparingLong(Step::offset)
        .thenComparing(Step::insert));
    Map<Long, List<String>> state = new TreeMap<>();
    for (Step s : steps) {
      long id = Long.parseLong(s.row().get("id"));
      if (s.insert()) {
        state.put(id, List.of(s.row().get("category"), s.row().get("domain"), s.row().get("ts")));
      } else {
        state.remove(id);
      }
    }
    return state;
  }

  /**
   * Offsets per partition of the complete lines (ending in CRLF) of every file now, read while the
   * consumers write. Plain splitting is enough: this workload's values hold no comma, quote or line break.
   */
  private static Map<Integer, BitSet> offsetsOnDisk(List<Path> directories) throws IOException {
    Map<Integer, BitSet> out = new HashMap<>();
    for (Path d : directories) {
      for (Path f : csvFiles(d)) {
        String text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
        String[] lines = text.split("\r\n", -1);
        if (lines.length < 2) {
          continue;
        }
        List<String> header = List.of(lines[0].split(","));
        int p = header.indexOf("_partition");
        int o = header.indexOf("_offset");
        for (int i = 1; i < lines.length - 1; i++) { // the last piece is empty or a line still being written
          String[] cells = lines[i].split(",");
          out.computeIfAbsent(Integer.parseInt(cells[p]), k -> new BitSet()).set(Integer.parseInt(cells[o]));
        }
      }
    }
    return out;
  }

  /** Reads the topic alongside the group and remembers the offsets of its tombstones (null values). */
  private static final class Tombstones implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<Integer, BitSet> offsets = new HashMap<>();

    Tombstones(KafkaServer kafka) {
      consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()), new ByteArrayDeserializer(),
          new ByteArrayDeserializer());
      List<TopicPartition> parts = List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1),
          new TopicPartition(TOPIC, 2));
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
    }

    /** The tombstone offsets of every partition, read at least up to {@code upTo} (partition → next offset). */
    Map<Integer, BitSet> readTo(Map<Integer, Long> upTo) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (upTo.entrySet().stream().anyMatch(e -> consumer.position(new TopicPartition(TOPIC, e.getKey())) < e.getValue())) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not read " + TOPIC + " up to " + upTo + " within 60 s");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (r.value() == null) {
            offsets.computeIfAbsent(r.partition(), k -> new BitSet()).set(Math.toIntExact(r.offset()));
          }
        }
      }
      Map<Integer, BitSet> copy = new HashMap<>();
      offsets.forEach((p, b) -> copy.put(p, (BitSet) b.clone()));
      return copy;
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  /** A consumer's files: {@code inserts.csv}, {@code deletes.csv} and the ones rotated when the columns changed. */
  private static List<Path> csvFiles(Path directory) throws IOException {
    try (java.util.stream.Stream<Path> files = Files.list(directory)) {
      return files.filter(f -> f.getFileName().toString().matches("(inserts|deletes)(\\.\\d+)?\\.csv")).toList();
    }
  }

  private static boolean slotActive(PgServer pg) {
    try (Connection c = pg.connect(DB); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'syncline_e2e' AND active")) {
      rs.next();
      return rs.getLong(1) == 1;
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Map<String, String>> rows(Path file) throws IOException {
    if (!Files.exists(file) || Files.size(file) == 0) {
      return List.of();
    }
    List<Map<String, String>> out = new ArrayList<>();
    try (MappingIterator<Map<String, String>> it = new CsvMapper().readerForMapOf(String.class)
        .with(CsvSchema.emptySchema().withHeader()).readValues(file.toFile())) {
      while (it.hasNext()) {
        out.add(it.next());
      }
    }
    return out;
  }

  private static void awaitTopic(KafkaServer kafka) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      await("the node created topic " + TOPIC, () -> {
        try {
          return admin.listTopics().names().get().contains(TOPIC);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
    }
  }

  private static Map<Integer, Long> committed(KafkaServer kafka) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("e2e-three")
          .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      Map<Integer, Long> out = new TreeMap<>();
      offsets.forEach((tp, o) -> {
        if (tp.topic().equals(TOPIC) && o != null) {
          out.put(tp.partition(), o.offset());
        }
      });
      return out;
    }
  }

  private static Map<Integer, Long> endOffsets(KafkaServer kafka) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      for (int p = 0; p < 3; p++) {
        request.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
      }
      Map<Integer, Long> out = new TreeMap<>();
      admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp.partition(), info.offset()));
      return out;
    }
  }

  private static void await(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 120 s: " + what);
      }
      LockSupport.parkNanos(50_000_000L);
    }
  }
}
