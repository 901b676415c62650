package io.syncline.streams.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.ElasticMqServer;
import io.syncline.persistence.PgPosition;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.Failures;
import io.syncline.streams.event.TableRef;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** The SQS transport against a real SQS-compatible server (ElasticMQ, embedded). */
class SqsTransportIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static ActorSystem system;
  private static ElasticMqServer sqs;
  private static SqsAsyncClient client;

  @BeforeAll
  static void start() {
    sqs = ElasticMqServer.shared();
    system = ActorSystem.create("sqs-transport-it");
    client = client(sqs);
  }

  @AfterAll
  static void stop() {
    client.close();
    TestKit.shutdownActorSystem(system);
  }

  private static SqsAsyncClient client(ElasticMqServer server) {
    return SqsAsyncClient.builder().endpointOverride(server.endpoint()).region(Region.of(server.region()))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
  }

  private static SqsSettings settings(ElasticMqServer server, Map<String, Object> overrides) {
    Map<String, Object> c = new HashMap<>(Map.of("endpoint", server.endpoint().toString(), "region", server.region(),
        "access-key-id", "test", "secret-access-key", "test", "retry.min-backoff", "20ms", "retry.max-backoff", "200ms"));
    c.putAll(overrides);
    return SqsSettings.create(ConfigFactory.parseMap(c));
  }

  private static TableRef table(String source, String name) {
    return new TableRef("postgresql", source, "app", "public", name);
  }

  /** {@code n} changes of the table from {@code lsn} on, three per transaction, with some random text. */
  private static List<OutRecord> records(TableRef table, int n, long lsn, int payload) {
    Random random = new Random(lsn);
    List<OutRecord> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder text = new StringBuilder();
      for (int c = 0; c < payload; c++) {
        text.append(c % 3 == 0 ? (char) ('a' + random.nextInt(26)) : '.');
      }
      long at = lsn + i / 3;
      list.add(new OutRecord(table, ("{\"id\":" + (lsn * 10_000 + i) + "}").getBytes(StandardCharsets.UTF_8),
          ("{\"before\":null,\"after\":{\"id\":" + (lsn * 10_000 + i) + ",\"t\":\"" + text + "\"},\"source\":{\"table\":\""
              + table.table() + "\"},\"op\":\"c\"}").getBytes(StandardCharsets.UTF_8),
          new PgPosition(at, 1 + i % 3), false, List.of()));
    }
    return list;
  }

  /** The records cut into batches of {@code size}, numbered from 0. */
  private static List<Outgoing<Integer>> batches(List<OutRecord> records, int size) {
    List<Outgoing<Integer>> batches = new ArrayList<>();
    for (int i = 0; i < records.size(); i += size) {
      batches.add(new Outgoing<>(records.subList(i, Math.min(records.size(), i + size)), batches.size()));
    }
    return batches;
  }

  private static List<Integer> deliver(SqsTransport t, List<Outgoing<Integer>> batches) throws Exception {
    return Source.from(batches).via(t.<Integer>flow()).runWith(Sink.seq(), system)
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static String url(String queue) throws Exception {
    return client.getQueueUrl(b -> b.queueName(queue)).get(30, TimeUnit.SECONDS).queueUrl();
  }

  /** Receives (and deletes) every message of the queue, in the order SQS hands them out. */
  private static List<Message> drain(String queue) throws Exception {
    String url = url(queue);
    List<Message> got = new ArrayList<>();
    while (true) {
      List<Message> some = client.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)
          .messageAttributeNames("All").visibilityTimeout(60)).get(30, TimeUnit.SECONDS).messages();
      if (some.isEmpty()) {
        return got;
      }
      got.addAll(some);
      for (Message m : some) {
        client.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle())).get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static List<SqsMessages.Entry> unpack(List<Message> messages) {
    List<SqsMessages.Entry> all = new ArrayList<>();
    messages.forEach(m -> all.addAll(SqsMessages.unpack(m)));
    return all;
  }

  /** Compares what arrived with what was sent, event by event, as encoded. */
  private static void assertExactly(List<SqsMessages.Entry> got, List<OutRecord> sent) {
    assertThat(got).hasSize(sent.size());
    for (int i = 0; i < sent.size(); i++) {
      OutRecord r = sent.get(i);
      SqsMessages.Entry e = got.get(i);
      assertThat(e.position()).isEqualTo(r.position());
      assertThat(e.key()).isEqualTo(new String(r.key(), StandardCharsets.UTF_8));
      assertThat(e.value()).isEqualTo(new String(r.value(), StandardCharsets.UTF_8));
    }
  }

  private static final Comparator<SqsMessages.Entry> BY_POSITION =
      Comparator.comparing(e -> (PgPosition) e.position());

  @Test
  void shouldDeliverEveryEventExactlyAsEncodedManyPerMessageIntoStandardQueues() throws Exception {
    TableRef orders = table("std", "orders");
    TableRef items = table("std", "items");
    List<OutRecord> ordersSent = records(orders, 3_000, 1_000, 120);
    List<OutRecord> itemsSent = records(items, 1_500, 5_000, 60);
    List<OutRecord> mixed = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      mixed.add(ordersSent.get(i));
      if (i % 2 == 0) {
        mixed.add(itemsSent.get(i / 2));
      }
    }
    for (String compression : List.of("none", "gzip")) {
      SqsSettings s = settings(sqs, Map.of("fifo", false, "compression", compression,
          "queue-pattern", "${source}-" + compression + "-${table}"));
      try (SqsTransport t = SqsTransport.create(system, s)) {
        t.prepare(List.of(orders, items)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        List<Outgoing<Integer>> batches = batches(mixed, 500);
        assertThat(deliver(t, batches)).as("every batch acknowledged, in order")
            .containsExactlyElementsOf(java.util.stream.IntStream.range(0, batches.size()).boxed().toList());

        List<Message> ordersMessages = drain(s.queueFor(orders));
        List<Message> itemsMessages = drain(s.queueFor(items));
        // standard queues may hand messages out in any order: the positions inside order them
        assertExactly(unpack(ordersMessages).stream().sorted(BY_POSITION).toList(), ordersSent);
        assertExactly(unpack(itemsMessages).stream().sorted(BY_POSITION).toList(), itemsSent);
        int messages = ordersMessages.size() + itemsMessages.size();
        assertThat(messages).as(compression + ": messages for 4500 events").isLessThan(4_500 / 50);
        assertThat(t.messages()).isEqualTo(messages);
        assertThat(t.requests()).isLessThanOrEqualTo(messages);
        Message first = ordersMessages.get(0);
        assertThat(first.messageAttributes().get(SqsMessages.A_TABLE).stringValue()).isEqualTo("orders");
        assertThat(first.messageAttributes().get(SqsMessages.A_ENCODING).stringValue())
            .isEqualTo(compression.equals("gzip") ? SqsMessages.ENCODING_GZIP : SqsMessages.ENCODING_JSONL);
        assertThat(first.messageAttributes().get(SqsMessages.A_COUNT).stringValue())
            .isEqualTo(Integer.toString(SqsMessages.unpack(first).size()));
        assertThat(JSON.readValue(first.messageAttributes().get(SqsMessages.A_FIRST).stringValue(), SourcePosition.class))
            .isEqualTo(SqsMessages.unpack(first).get(0).position());
      }
    }
  }

  @Test
  void shouldKeepOrderPerTableAndDropAResendOnAFifoQueuePerSource() throws Exception {
    TableRef a = table("fifo", "a");
    TableRef b = table("fifo", "b");
    List<OutRecord> aSent = records(a, 2_000, 100, 200);
    List<OutRecord> bSent = records(b, 400, 900, 50);
    List<OutRecord> mixed = new ArrayList<>(aSent.subList(0, 1_000));
    mixed.addAll(bSent);
    mixed.addAll(aSent.subList(1_000, 2_000));
    SqsSettings s = settings(sqs, Map.of("fifo", true, "queue-pattern", "${source}-all", "send-parallelism", 1));
    assertThat(s.queueFor(a)).isEqualTo("fifo-all.fifo").isEqualTo(s.queueFor(b));
    List<Outgoing<Integer>> batches = batches(mixed, 700);
    try (SqsTransport t = SqsTransport.create(system, s)) {
      t.prepare(List.of(a, b)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      deliver(t, batches);
    }
    // a node that crashed before recording these positions sends them again after its restart
    try (SqsTransport again = SqsTransport.create(system, s)) {
      again.prepare(List.of(a, b)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      deliver(again, batches);
      assertThat(again.messages()).as("SQS answered every resent message as sent").isPositive();
    }
    String url = url("fifo-all.fifo");
    assertThat(client.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.FIFO_QUEUE))
        .get(30, TimeUnit.SECONDS).attributes()).containsEntry(QueueAttributeName.FIFO_QUEUE, "true");
    List<Message> messages = drain("fifo-all.fifo");
    List<SqsMessages.Entry> got = unpack(messages);
    // each event once (the resend was dropped by SQS), each table's in source order
    assertExactly(got.stream().filter(e -> e.value().contains("\"table\":\"a\"")).toList(), aSent);
    assertExactly(got.stream().filter(e -> e.value().contains("\"table\":\"b\"")).toList(), bSent);
    assertThat(messages).allSatisfy(m -> assertThat(m.attributes().get(
        software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName.MESSAGE_GROUP_ID)).isNull());
  }

  @Test
  void shouldCreateMissingQueuesOrNameTheQueueAndTheFixWhenCreateQueuesIsOff() throws Exception {
    TableRef t1 = table("nocreate", "t1");
    SqsSettings off = settings(sqs, Map.of("create-queues", false));
    try (SqsTransport t = SqsTransport.create(system, off)) {
      assertThatThrownBy(() -> t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(Failures.Permanent.class)
          .hasMessageContaining("SQS queue 'nocreate-public-t1.fifo' does not exist at " + sqs.endpoint())
          .hasMessageContaining("create-queues = false. Fix: create it as a FIFO queue");
    }
    SqsSettings on = settings(sqs, Map.of("create-queues", true));
    try (SqsTransport t = SqsTransport.create(system, on)) {
      t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS); // idempotent
    }
    try (SqsTransport t = SqsTransport.create(system, off)) {
      t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS); // exists now
      List<OutRecord> sent = records(t1, 10, 1, 10);
      deliver(t, batches(sent, 10));
      assertExactly(unpack(drain("nocreate-public-t1.fifo")), sent);
    }
  }

  @Test
  void shouldStopNamingTableAndPositionForAnEventTooLargeOrSetItAside(@TempDir Path dir) throws Exception {
    TableRef docs = table("big", "docs");
    List<OutRecord> sent = new ArrayList<>(records(docs, 30, 10, 20));
    Random random = new Random(3);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 400_000; i++) {
      text.append((char) ('a' + random.nextInt(26)));
    }
    OutRecord huge = new OutRecord(docs, "{\"id\":-1}".getBytes(StandardCharsets.UTF_8),
        ("{\"after\":{\"id\":-1,\"t\":\"" + text + "\"}}").getBytes(StandardCharsets.UTF_8),
        new PgPosition(0x1A2B3C8L, 2), false, List.of());
    sent.add(15, huge); // in the second batch of 10
    SqsSettings s = settings(sqs, Map.of("fifo", false));
    try (SqsTransport t = SqsTransport.create(system, s)) {
      t.prepare(List.of(docs)).toCompletableFuture().get(30, TimeUnit.SECONDS);
      List<Integer> acknowledged = new ArrayList<>();
      CompletableFuture<?> run = Source.from(batches(sent, 10)).via(t.<Integer>flow())
          .runWith(Sink.foreach(acknowledged::add), system).toCompletableFuture();
      assertThatThrownBy(() -> run.get(60, TimeUnit.SECONDS)).cause()
          .isInstanceOf(Failures.Permanent.class)
          .hasMessageContaining("SQS cannot take a change of big.public.docs at source position 0/1A2B3C8#2")
          .hasMessageContaining("the event is " + huge.size() + " bytes")
          .hasMessageContaining("larger than syncline.transport.sqs.max-message-bytes = 262144")
          .hasMessageContaining("It is never dropped")
          .hasMessageContaining("on-refused-record = dead-letter");
      assertThat(acknowledged).as("nothing from the batch holding it on").doesNotContain(1, 2, 3);
    }
    drain(s.queueFor(docs));
    DeadLetters.Settings dead = new DeadLetters.Settings(DeadLetters.OnRefused.DEAD_LETTER, dir, "");
    try (SqsTransport t = SqsTransport.create(system, s, dead)) {
      assertThat(deliver(t, batches(sent, 10))).containsExactly(0, 1, 2, 3);
      List<OutRecord> others = new ArrayList<>(sent);
      others.remove(huge);
      assertExactly(unpack(drain(s.queueFor(docs))).stream().sorted(BY_POSITION).toList(),
          others.stream().sorted(Comparator.comparing(r -> (PgPosition) r.position())).toList());
      List<String> lines = Files.readAllLines(dir.resolve(DeadLetters.FILE_NAME));
      assertThat(lines).singleElement().satisfies(line -> {
        var entry = JSON.readTree(line);
        assertThat(entry.get("sink").asText()).isEqualTo("sqs");
        assertThat(entry.get("destination").asText()).isEqualTo("big-public-docs");
        assertThat(entry.get("position").asText()).isEqualTo("0/1A2B3C8#2");
        assertThat(entry.get("value").get("after").get("t").asText()).isEqualTo(text.toString());
      });
    }
  }

  @Test
  void shouldRetryWhileSqsIsDownAndDeliverEverythingOnceItIsBack() throws Exception {
    TableRef t1 = table("down", "t1");
    List<OutRecord> sent = records(t1, 300, 1, 50);
    try (ElasticMqServer own = ElasticMqServer.start()) {
      SqsSettings s = settings(own, Map.of("retry.max-attempts", 1000, "connect-timeout", "1s"));
      try (SqsTransport t = SqsTransport.create(system, s)) {
        t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        own.stop();
        CompletableFuture<List<Integer>> run = Source.from(batches(sent, 100)).via(t.<Integer>flow())
            .runWith(Sink.seq(), system).toCompletableFuture();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.requests() < 3 && System.nanoTime() < deadline) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        assertThat(t.requests()).as("retried while down").isGreaterThanOrEqualTo(3);
        assertThat(run).isNotDone();
        own.startAgain();
        assertThat(run.get(60, TimeUnit.SECONDS)).containsExactly(0, 1, 2);
        try (SqsAsyncClient c = client(own)) {
          String url = c.getQueueUrl(b -> b.queueName(s.queueFor(t1))).get(30, TimeUnit.SECONDS).queueUrl();
          List<SqsMessages.Entry> got = new ArrayList<>();
          for (int i = 0; i < 10 && got.size() < sent.size(); i++) {
            c.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1))
                .get(30, TimeUnit.SECONDS).messages().forEach(m -> got.addAll(SqsMessages.unpack(m)));
          }
          assertExactly(got.stream().sorted(BY_POSITION).toList(), sent); // a standard queue does not keep order
        }
      }
    }
  }

  @Test
  void shouldNameAnUnreachableEndpointAndRetry() throws Exception {
    TableRef t1 = table("nowhere", "t1");
    SqsSettings s = SqsSettings.create(ConfigFactory.parseMap(Map.of("endpoint", "http://127.0.0.1:1",
        "region", "eu-west-1", "access-key-id", "AKIAEXAMPLE", "secret-access-key", "very-secret-value",
        "retry.max-attempts", 2, "retry.min-backoff", "10ms", "connect-timeout", "1s")));
    try (SqsTransport t = SqsTransport.create(system, s)) {
      assertThatThrownBy(() -> t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS))
          .cause()
          .hasMessageContaining("could not look up the SQS queue 'nowhere-public-t1.fifo' at http://127.0.0.1:1")
          .hasMessageContaining("check that the endpoint (syncline.transport.sqs.endpoint)")
          .satisfies(e -> assertThat(Failures.retryable(e)).as("retryable").isTrue())
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("very-secret-value"));
    }
  }

  @Test
  void shouldRetryThrottledRequestsAndFailedEntriesUntilSqsHasEveryEvent() throws Exception {
    TableRef t1 = table("throttled", "t1");
    List<OutRecord> sent = records(t1, 600, 1, 100);
    try (SqsFaultProxy proxy = SqsFaultProxy.start(sqs.endpoint())) {
      // small messages, so a request holds several entries and a partial failure is possible
      SqsSettings s = settings(sqs, Map.of("endpoint", proxy.endpoint().toString(), "max-message-bytes", 4096,
          "compression", "none", "fifo", false));
      try (SqsTransport t = SqsTransport.create(system, s)) {
        t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        proxy.throttle(3);
        proxy.failFirstEntry(4);
        assertThat(deliver(t, batches(sent, 200))).containsExactly(0, 1, 2);
        assertThat(proxy.throttled()).isEqualTo(3);
        assertThat(proxy.failedEntries()).isEqualTo(4);
        List<Message> messages = drain(s.queueFor(t1));
        assertThat(t.messages()).isEqualTo(messages.size());
        assertThat(t.requests()).as("the throttled and the partly failed requests were sent again")
            .isGreaterThanOrEqualTo((messages.size() + 9) / 10 + 3 + 4);
        assertExactly(unpack(messages).stream().sorted(BY_POSITION).toList(), sent);
      }
    }
  }

  @Test
  void shouldStopNamingTheFixWhenTheCredentialsAreRefused() throws Exception {
    TableRef t1 = table("denied", "t1");
    try (SqsFaultProxy proxy = SqsFaultProxy.start(sqs.endpoint())) {
      proxy.requireAccessKey("AKIARIGHTKEY");
      SqsSettings s = settings(sqs, Map.of("endpoint", proxy.endpoint().toString(), "access-key-id", "AKIAWRONGKEY",
          "secret-access-key", "wrong-secret-value"));
      try (SqsTransport t = SqsTransport.create(system, s)) {
        assertThatThrownBy(() -> t.prepare(List.of(t1)).toCompletableFuture().get(30, TimeUnit.SECONDS))
            .cause().isInstanceOf(Failures.Permanent.class)
            .hasMessageContaining("could not look up the SQS queue 'denied-public-t1.fifo' at " + proxy.endpoint())
            .hasMessageContaining("the credentials are refused (InvalidClientTokenId: ")
            .hasMessageContaining("Fix: check syncline.transport.sqs.access-key-id and secret-access-key")
            .satisfies(e -> assertThat(Failures.retryable(e)).isFalse())
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-secret-value"));
      }
    }
  }
}
