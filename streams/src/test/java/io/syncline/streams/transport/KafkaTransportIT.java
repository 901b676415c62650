package io.syncline.streams.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.KafkaServer;
import io.syncline.streams.event.TableRef;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
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

class KafkaTransportIT {

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

  @Test
  void shouldFailTheStreamAndNeverPassThroughABatchWithARecordKafkaRefuses() throws Exception {
    TableRef t1 = table("refused", "rows");
    KafkaSettings small = settings(1).withProducerOverrides(Map.of("max.request.size", "10000"));
    List<OutRecord> good = List.of(new OutRecord(t1, utf8("{\"id\":1}"), utf8("ok")));
    List<OutRecord> refused = List.of(new OutRecord(t1, utf8("{\"id\":2}"), utf8("fine")),
        new OutRecord(t1, utf8("{\"id\":3}"), new byte[20_000])); // over max.request.size
    try (KafkaTransport t = KafkaTransport.create(system, small)) {
      t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      Pair<TestPublisher.Probe<Outgoing<Integer>>, TestSubscriber.Probe<Integer>> probes =
          TestSource.<Outgoing<Integer>>probe(system).via(t.<Integer>flow()).toMat(TestSink.probe(system), Keep.both())
              .run(system);
      TestSubscriber.Probe<Integer> out = probes.second().request(10);
      probes.first().sendNext(new Outgoing<>(good, 1));
      assertThat(out.expectNext(Duration.ofSeconds(30))).isEqualTo(1);
      // the refused record fails the stream: its batch (whose first record Kafka took) never passes through
      probes.first().sendNext(new Outgoing<>(refused, 2));
      assertThat(out.expectError()).hasStackTraceContaining("RecordTooLargeException");
    }
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
