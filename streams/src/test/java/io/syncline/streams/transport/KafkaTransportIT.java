package io.syncline.streams.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncline.embedded.KafkaServer;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.DeliveryPipeline;
import io.syncline.streams.capture.Failures;
import io.syncline.streams.capture.Progress;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestPublisher;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.stream.testkit.javadsl.TestSource;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaTransportIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static ActorSystem system;
  private static String bootstrap;
  private static Admin admin;

  @BeforeAll
  static void start() {
    bootstrap = KafkaServer.shared().bootstrapServers();
    system = ActorSystem.create("kafka-transport-it");
    admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
  }

  @AfterAll
  static void stop() {
    admin.close();
    TestKit.shutdownActorSystem(system);
  }

  private static TableRef table(String source, String name) {
    return new TableRef("postgresql", source, "app", "public", name);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String str(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  private static KafkaSettings settings(int partitions) {
    return KafkaSettings.defaults(bootstrap).withPartitions(partitions);
  }

  private static KafkaConsumer<byte[], byte[]> consumer() {
    return new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "isolation.level", "read_committed",
        "max.poll.records", "5000"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Every record of the topic, in partition order; waits until {@code expected} arrived (or 30 s). */
  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (got.size() < expected && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(got::add);
      }
      // and nothing more than expected
      c.poll(Duration.ofMillis(300)).forEach(got::add);
      return got;
    }
  }

  @Test
  void shouldCreateTopicsWithTheConfiguredPartitionsIdempotently() throws Exception {
    TableRef a = table("create", "a");
    TableRef b = table("create", "b");
    try (KafkaTransport t = KafkaTransport.create(system, settings(3))) {
      t.prepare(List.of(a)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      // again, with one existing topic and one new: TopicExistsException is tolerated
      t.prepare(List.of(a, b)).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    Map<String, TopicDescription> d = admin.describeTopics(List.of("create.public.a", "create.public.b"))
        .allTopicNames().get(30, TimeUnit.SECONDS);
    assertThat(d.get("create.public.a").partitions()).hasSize(3);
    assertThat(d.get("create.public.b").partitions()).hasSize(3);
  }

  @Test
  void shouldDeliverRecordsToEachTablesTopicWithKeyAndValue() throws Exception {
    TableRef orders = table("deliver", "orders");
    TableRef items = table("deliver", "items");
    try (KafkaTransport t = KafkaTransport.create(system, settings(1).withTopicPrefix("shop"))) {
      t.prepare(List.of(orders, items)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      List<String> out = Source.from(List.of(
              new Outgoing<>(List.of(
                  new OutRecord(orders, utf8("{\"id\":1}"), utf8("{\"op\":\"c\",\"id\":1}")),
                  new OutRecord(items, utf8("{\"sku\":\"x\"}"), utf8("{\"op\":\"c\",\"sku\":\"x\"}"))), "b1"),
              new Outgoing<>(List.of(new OutRecord(orders, utf8("{\"id\":1}"), utf8("{\"op\":\"d\",\"id\":1}"))), "b2")))
          .via(t.<String>flow())
          .runWith(Sink.seq(), system).toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(out).containsExactly("b1", "b2");
    }
    List<ConsumerRecord<byte[], byte[]>> o = readAll("shop.public.orders", 2);
    assertThat(o).extracting(r -> str(r.key())).containsExactly("{\"id\":1}", "{\"id\":1}");
    assertThat(o).extracting(r -> str(r.value()))
        .containsExactly("{\"op\":\"c\",\"id\":1}", "{\"op\":\"d\",\"id\":1}");
    List<ConsumerRecord<byte[], byte[]>> i = readAll("shop.public.items", 1);
    assertThat(i).extracting(r -> str(r.key())).containsExactly("{\"sku\":\"x\"}");
    assertThat(i).extracting(r -> str(r.value())).containsExactly("{\"op\":\"c\",\"sku\":\"x\"}");
  }

  @Test
  void shouldKeepOrderPerKeyAcrossManyBatchesAndMaterializations() throws Exception {
    TableRef t1 = table("order", "events");
    int keys = 97;
    int perBatch = 250;
    int batches = 80; // 20,000 records
    List<Outgoing<Integer>> all = new ArrayList<>();
    int seq = 0;
    for (int b = 0; b < batches; b++) {
      List<OutRecord> rs = new ArrayList<>();
      for (int i = 0; i < perBatch; i++, seq++) {
        int k = seq % keys;
        rs.add(new OutRecord(t1, utf8("{\"k\":" + k + "}"), utf8(Integer.toString(seq))));
      }
      all.add(new Outgoing<>(rs, b));
    }
    try (KafkaTransport t = KafkaTransport.create(system, settings(3))) {
      t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      // two materializations one after the other share the producer (the stage must not close it)
      List<Integer> first = Source.from(all.subList(0, batches / 2)).via(t.<Integer>flow())
          .runWith(Sink.seq(), system).toCompletableFuture().get(60, TimeUnit.SECONDS);
      List<Integer> second = Source.from(all.subList(batches / 2, batches)).via(t.<Integer>flow())
          .runWith(Sink.seq(), system).toCompletableFuture().get(60, TimeUnit.SECONDS);
      List<Integer> passThroughs = new ArrayList<>(first);
      passThroughs.addAll(second);
      assertThat(passThroughs).hasSize(batches).isSorted().doesNotHaveDuplicates();
    }
    List<ConsumerRecord<byte[], byte[]>> got = readAll("order.public.events", seq);
    assertThat(got).hasSize(seq);
    Map<String, Integer> partitionOfKey = new HashMap<>();
    Map<String, Integer> lastSeqOfKey = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : got) {
      String k = str(r.key());
      int s = Integer.parseInt(str(r.value()));
      assertThat(partitionOfKey.computeIfAbsent(k, x -> r.partition())).as("partition of %s", k).isEqualTo(r.partition());
      Integer last = lastSeqOfKey.put(k, s);
      if (last == null) {
        assertThat(s).as("first record of key %s", k).isLessThan(keys);
      } else {
        assertThat(last).as("record before seq %d of key %s", s, k).isEqualTo(s - keys);
      }
    }
    assertThat(partitionOfKey.values()).as("keys spread over the 3 partitions").containsOnly(0, 1, 2)
        .contains(0, 1, 2);
  }

  @Test
  void shouldPassThroughInOrderOnlyOnceRecordsAreReadableAndPassEmptyBatches() throws Exception {
    TableRef t1 = table("ack", "rows");
    String topic = "ack.public.rows";
    TopicPartition tp = new TopicPartition(topic, 0);
    long readable = 0;
    try (KafkaTransport t = KafkaTransport.create(system, settings(1));
        KafkaConsumer<byte[], byte[]> c = consumer()) {
      t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      Pair<TestPublisher.Probe<Outgoing<Integer>>, TestSubscriber.Probe<Integer>> probes =
          TestSource.<Outgoing<Integer>>probe(system).via(t.<Integer>flow())
              .toMat(TestSink.probe(system), Keep.both()).run(system);
      TestPublisher.Probe<Outgoing<Integer>> in = probes.first();
      TestSubscriber.Probe<Integer> out = probes.second();

      long sent = 0;
      out.request(100);
      for (int b = 0; b < 30; b++) {
        List<OutRecord> rs = new ArrayList<>();
        int n = b % 5 == 2 ? 0 : 1 + b % 7; // every fifth batch is empty
        for (int i = 0; i < n; i++) {
          rs.add(new OutRecord(t1, utf8("{\"id\":" + i + "}"), utf8("b" + b + "r" + i)));
        }
        in.sendNext(new Outgoing<>(rs, b));
        sent += n;
      }
      long expectedAtLeast = 0;
      for (int b = 0; b < 30; b++) {
        assertThat(out.expectNext(Duration.ofSeconds(30))).isEqualTo(b);
        expectedAtLeast += b % 5 == 2 ? 0 : 1 + b % 7;
        // what a read_committed consumer can read (last stable offset) already covers this batch
        readable = c.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp);
        assertThat(readable).as("records readable when batch %d passed through", b).isGreaterThanOrEqualTo(expectedAtLeast);
      }
      in.sendComplete();
      out.expectComplete();
      assertThat(readable).isEqualTo(sent);
    }
    assertThat(readAll(topic, 0)).hasSize((int) readable);
  }

  @Test
  void shouldSendKeylessRecordsToPartitionZeroInOrder() throws Exception {
    TableRef t1 = table("keyless", "log");
    int n = 2000;
    List<Outgoing<Integer>> batches = new ArrayList<>();
    for (int b = 0; b < n / 100; b++) {
      List<OutRecord> rs = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        rs.add(new OutRecord(t1, null, utf8(Integer.toString(b * 100 + i))));
      }
      batches.add(new Outgoing<>(rs, b));
    }
    try (KafkaTransport t = KafkaTransport.create(system, settings(3))) {
      t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      Source.from(batches).via(t.<Integer>flow()).runWith(Sink.ignore(), system)
          .toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    List<ConsumerRecord<byte[], byte[]>> got = readAll("keyless.public.log", n);
    assertThat(got).hasSize(n).allSatisfy(r -> {
      assertThat(r.partition()).isZero();
      assertThat(r.key()).isNull();
    });
    assertThat(got).extracting(r -> Integer.parseInt(str(r.value()))).isSorted().doesNotHaveDuplicates();
  }

  /**
   * A record over max.request.size fails the stream with a permanent error (the reader stops instead
   * of retrying it forever) naming the table, the position, the size, the limit and the fix; its
   * batch (whose first record Kafka took) never passes through.
   */
  @Test
  void shouldFailWithAPermanentErrorAndNeverPassThroughABatchWithARecordKafkaRefusesByDefault() throws Exception {
    TableRef t1 = table("refused", "rows");
    KafkaSettings small = settings(1).withProducerOverrides(Map.of("max.request.size", "10000"));
    List<OutRecord> good = List.of(new OutRecord(t1, utf8("{\"id\":1}"), utf8("ok")));
    List<OutRecord> refused = List.of(new OutRecord(t1, utf8("{\"id\":2}"), utf8("fine")),
        new OutRecord(t1, utf8("{\"id\":3}"), new byte[20_000], new PgPosition(777, 3), false, List.of()));
    try (KafkaTransport t = KafkaTransport.create(system, small)) {
      t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      Pair<TestPublisher.Probe<Outgoing<Integer>>, TestSubscriber.Probe<Integer>> probes =
          TestSource.<Outgoing<Integer>>probe(system).via(t.<Integer>flow()).toMat(TestSink.probe(system), Keep.both())
              .run(system);
      TestSubscriber.Probe<Integer> out = probes.second().request(10);
      probes.first().sendNext(new Outgoing<>(good, 1));
      assertThat(out.expectNext(Duration.ofSeconds(30))).isEqualTo(1);
      probes.first().sendNext(new Outgoing<>(refused, 2));
      Throwable error = out.expectError();
      assertThat(Failures.retryable(error)).as("retrying a record Kafka refuses for good").isFalse();
      assertThat(error).isInstanceOf(Failures.Permanent.class)
          .hasMessageContaining("Kafka refuses a change of refused.public.rows at source position "
              + new PgPosition(777, 3).display() + " for good")
          .hasMessageContaining("the record is 20008 bytes")
          .hasMessageContaining("max.request.size = 10000")
          .hasMessageContaining("Fix: raise syncline.transport.kafka.producer.max.request.size")
          .hasMessageContaining("syncline.transport.dead-letter.on-refused-record = dead-letter")
          .hasRootCauseInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);
    }
  }

  /**
   * In dead-letter mode the oversized record goes to the dead-letter file (whole, with reason and
   * position) and topic (without its value), and the stream goes on: its batch and the next pass
   * through, and the records around it are delivered.
   */
  @Test
  void shouldSetARecordKafkaRefusesAsideInDeadLetterModeAndGoOn(@TempDir Path dir) throws Exception {
    TableRef t1 = table("dlq", "rows");
    KafkaSettings small = settings(1).withProducerOverrides(Map.of("max.request.size", "10000"));
    String big = "\"" + "z".repeat(20_000) + "\"";
    OutRecord oversized = new OutRecord(t1, utf8("{\"id\":2}"), utf8("{\"op\":\"c\",\"big\":" + big + "}"),
        new PgPosition(888, 2), false, List.of());
    DeadLetters.Settings deadLetter = new DeadLetters.Settings(DeadLetters.OnRefused.DEAD_LETTER, dir.resolve("dead"),
        "dlq.dead-letters");
    try (KafkaTransport t = KafkaTransport.create(system, small, deadLetter)) {
      t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      List<Integer> out = Source.from(List.of(
              new Outgoing<>(List.of(new OutRecord(t1, utf8("{\"id\":1}"), utf8("{\"n\":1}")), oversized,
                  new OutRecord(t1, utf8("{\"id\":3}"), utf8("{\"n\":3}"))), 1),
              new Outgoing<>(List.of(new OutRecord(t1, utf8("{\"id\":4}"), utf8("{\"n\":4}"))), 2)))
          .via(t.<Integer>flow()).runWith(Sink.seq(), system).toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(out).as("acknowledged").containsExactly(1, 2);
    }
    assertThat(readAll("dlq.public.rows", 3)).extracting(r -> str(r.value()))
        .containsExactly("{\"n\":1}", "{\"n\":3}", "{\"n\":4}");

    List<String> lines = java.nio.file.Files.readAllLines(dir.resolve("dead").resolve("dead-letters.jsonl"));
    assertThat(lines).hasSize(1);
    JsonNode letter = JSON.readTree(lines.get(0));
    assertThat(letter.get("reason").asText()).contains("max.request.size = 10000");
    assertThat(letter.get("sink").asText()).isEqualTo("kafka");
    assertThat(letter.get("destination").asText()).isEqualTo("dlq.public.rows");
    assertThat(letter.get("table").asText()).isEqualTo("rows");
    assertThat(letter.get("position").asText()).isEqualTo(new PgPosition(888, 2).display());
    assertThat(letter.get("key").toString()).isEqualTo("{\"id\":2}");
    assertThat(letter.get("size").asInt()).isEqualTo(oversized.size());
    assertThat(letter.get("value").toString()).isEqualTo(str(oversized.value()));
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
        java.nio.file.Files.getPosixFilePermissions(dir.resolve("dead").resolve("dead-letters.jsonl"))))
        .isEqualTo("rw-------");

    List<ConsumerRecord<byte[], byte[]>> topic = readAll("dlq.dead-letters", 1);
    assertThat(topic).hasSize(1);
    assertThat(str(topic.get(0).key())).isEqualTo("{\"id\":2}");
    JsonNode described = JSON.readTree(topic.get(0).value());
    assertThat(described.get("position").asText()).isEqualTo(new PgPosition(888, 2).display());
    assertThat(described.get("reason").asText()).contains("max.request.size = 10000");
    assertThat(described.get("value_omitted").asBoolean()).isTrue();
    assertThat(described.has("value")).isFalse();
  }

  /**
   * An update that changes the key, through the delivery pipeline into a topic of 3 partitions:
   * the old key gets the delete and then a tombstone, the new key a create, each on its key's
   * partition, with Debezium's key headers; a plain delete is followed by a tombstone too. Without
   * tombstones-on-delete no tombstone is sent.
   */
  @Test
  void shouldDeliverAKeyChangeAsDeleteTombstoneCreateOnEachKeysPartition() throws Exception {
    int oldId = 1;
    int newId = 2;
    while (partitionOf("{\"id\":" + newId + "}", 3) == partitionOf("{\"id\":" + oldId + "}", 3)) {
      newId++;
    }
    for (boolean tombstones : List.of(true, false)) {
      TableRef t1 = table("keychange" + tombstones, "rows");
      RowSchema schema = RowSchema.of(List.of("id", "v"), List.of("id"));
      List<List<CaptureRecord>> log = List.of(
          tx(1, new ChangeEvent(t1, Op.CREATE, new PgPosition(100, 1), "1", 1, 1, false, null,
              new Row(schema, new Object[] {(long) oldId, "a"}), List.of()),
              new ChangeEvent(t1, Op.CREATE, new PgPosition(100, 2), "1", 2, 1, false, null,
              new Row(schema, new Object[] {99L, "x"}), List.of())),
          tx(2, new ChangeEvent(t1, Op.UPDATE, new PgPosition(200, 1), "2", 1, 2, false,
              new Row(schema, new Object[] {(long) oldId, null}), new Row(schema, new Object[] {(long) newId, "b"}),
              List.of())),
          tx(3, new ChangeEvent(t1, Op.DELETE, new PgPosition(300, 1), "3", 1, 3, false,
              new Row(schema, new Object[] {99L, null}), null, List.of()),
              new ChangeEvent(t1, Op.UPDATE, new PgPosition(300, 2), "3", 2, 3, false,
              null, new Row(schema, new Object[] {(long) newId, "c"}), List.of())));
      try (KafkaTransport t = KafkaTransport.create(system, settings(3).withTombstonesOnDelete(tombstones))) {
        t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        List<Progress> progress = Source.from(log)
            .via(DeliveryPipeline.flow(t, Map.of(), new CaptureMetrics(), 100))
            .runWith(Sink.seq(), system).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(progress.stream().mapToLong(Progress::events).sum()).isEqualTo(5);
      }
      int expected = tombstones ? 8 : 6;
      List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>(readAll("keychange" + tombstones + ".public.rows", expected));
      got.sort(java.util.Comparator.<ConsumerRecord<byte[], byte[]>>comparingInt(ConsumerRecord::partition)
          .thenComparingLong(ConsumerRecord::offset));
      assertThat(got).hasSize(expected);
      Map<String, List<String>> perKey = new java.util.LinkedHashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : got) {
        String key = str(r.key());
        assertThat(r.partition()).as("partition of %s", key).isEqualTo(partitionOf(key, 3));
        String what = r.value() == null ? "tombstone" : JSON.readTree(r.value()).get("op").asText();
        for (org.apache.kafka.common.header.Header h : r.headers()) {
          what += " " + h.key() + "=" + str(h.value());
        }
        perKey.computeIfAbsent(key, k -> new ArrayList<>()).add(what);
      }
      String oldKey = "{\"id\":" + oldId + "}";
      String newKey = "{\"id\":" + newId + "}";
      assertThat(perKey.get(oldKey)).containsExactlyElementsOf(tombstones
          ? List.of("c", "d __debezium.newkey=" + newKey, "tombstone")
          : List.of("c", "d __debezium.newkey=" + newKey));
      assertThat(perKey.get(newKey)).containsExactly("c __debezium.oldkey=" + oldKey, "u");
      assertThat(perKey.get("{\"id\":99}")).containsExactlyElementsOf(tombstones
          ? List.of("c", "d", "tombstone") : List.of("c", "d"));
    }
  }

  private static List<CaptureRecord> tx(long lsn, ChangeEvent... changes) {
    List<CaptureRecord> out = new ArrayList<>();
    for (ChangeEvent e : changes) {
      out.add(new CaptureRecord.Change(e));
    }
    PgPosition done = new PgPosition(lsn * 100, PgPosition.COMPLETE);
    out.add(new CaptureRecord.Checkpoint(done, PgPosition.boundary(lsn * 100 + 50)));
    return out;
  }

  /** The partition Kafka's default partitioner gives a key. */
  private static int partitionOf(String key, int partitions) {
    return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(utf8(key)))
        % partitions;
  }

  @Test
  void shouldFailTheStreamWhenTheBrokerIsUnreachable() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    KafkaSettings unreachable = KafkaSettings.create(ConfigFactory.parseMap(Map.of(
        "bootstrap-servers", "127.0.0.1:" + closedPort,
        "admin-timeout", "2s",
        "close-timeout", "1s",
        "producer.max.block.ms", "1500",
        "producer.request.timeout.ms", "1000",
        "producer.delivery.timeout.ms", "1500")));
    assertThat(unreachable.producer()).containsEntry("max.block.ms", "1500").containsEntry("delivery.timeout.ms", "1500");
    TableRef t1 = table("down", "t");
    try (KafkaTransport t = KafkaTransport.create(system, unreachable)) {
      long t0 = System.nanoTime();
      var done = Source.from(List.of(
              new Outgoing<>(List.of(new OutRecord(t1, utf8("{\"id\":1}"), utf8("v"))), 1),
              new Outgoing<>(List.<OutRecord>of(), 2)))
          .via(t.<Integer>flow()).runWith(Sink.seq(), system).toCompletableFuture();
      assertThatThrownBy(() -> done.get(30, TimeUnit.SECONDS))
          .hasRootCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));

      assertThatThrownBy(() -> t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS))
          .hasMessageContaining("could not create Kafka topic 'down.public.t'")
          .hasMessageContaining("create-topics = false");
    }
  }

  @Test
  void shouldRefuseSettingsThatWeakenDelivery() {
    KafkaSettings ok = KafkaSettings.defaults(bootstrap);
    assertThatThrownBy(() -> ok.withProducerOverrides(Map.of("acks", "1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("syncline.transport.kafka.producer.acks")
        .hasMessageContaining("acks=all");
    assertThatThrownBy(() -> ok.withProducerOverrides(Map.of("enable.idempotence", "false")))
        .hasMessageContaining("producer.enable.idempotence");
    assertThatThrownBy(() -> ok.withProducerOverrides(Map.of("max.in.flight.requests.per.connection", "6")))
        .hasMessageContaining("producer.max.in.flight.requests.per.connection");
    assertThatThrownBy(() -> KafkaSettings.create(ConfigFactory.parseString("bootstrap-servers = \"h:1\"\nproducer.acks = 1")))
        .hasMessageContaining("syncline.transport.kafka.producer.acks");
    assertThatThrownBy(() -> KafkaSettings.create(ConfigFactory.parseString("partitions = 0, bootstrap-servers = \"h:1\"")))
        .hasMessageContaining("syncline.transport.kafka.partitions");
    assertThatThrownBy(() -> KafkaSettings.create(ConfigFactory.empty()))
        .hasMessageContaining("syncline.transport.kafka.bootstrap-servers");
    assertThatThrownBy(() -> KafkaSettings.create(ConfigFactory.parseString(
            "bootstrap-servers = \"h:1\", topic-pattern = \"${prefix}.${tabel}\"")))
        .hasMessageContaining("topic-pattern").hasMessageContaining("${tabel}");
    // acks=-1 is acks=all: accepted, and the enforced values win in what the producer gets
    assertThat(ok.withProducerOverrides(Map.of("acks", "-1")).producerProperties())
        .containsEntry("acks", "all").containsEntry("enable.idempotence", "true")
        .containsEntry("bootstrap.servers", bootstrap);
  }

  @Test
  void shouldReadDefaultsAndNeverPrintSecrets() {
    KafkaSettings s = KafkaSettings.create(ConfigFactory.parseString("""
        bootstrap-servers = "b1:9092,b2:9092"
        producer {
          security.protocol = SASL_SSL
          "sasl.jaas.config" = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\\"u\\" password=\\"hunter2\\";"
          ssl.truststore.password = "trust-me"
        }
        """));
    assertThat(s.partitions()).isEqualTo(1);
    assertThat(s.replicationFactor()).isEqualTo((short) 1);
    assertThat(s.createTopics()).isTrue();
    assertThat(s.topicFor(new TableRef("postgresql", "crm", "db", "public", "the table"))).isEqualTo("crm.public.the_table");
    assertThat(s.producer()).containsEntry("linger.ms", "5").containsEntry("security.protocol", "SASL_SSL")
        .containsKey("sasl.jaas.config");
    assertThat(s.adminProperties()).containsKeys("sasl.jaas.config", "security.protocol")
        .doesNotContainKeys("linger.ms", "compression.type");
    assertThat(s.toString()).contains("b1:9092", "SASL_SSL", "sasl.jaas.config=****")
        .doesNotContain("hunter2").doesNotContain("trust-me");
  }
}
