package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.ElasticMqServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.transport.SqsMessages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * {@code syncline run} captures PostgreSQL into SQS queues (ElasticMQ): the snapshot and every
 * change of a table, packed many per message into its FIFO queue, unpack and replay into exactly
 * the table, key changes included; in the same node a second source whose table holds a row too
 * large for any SQS message stops with the error naming it, without dropping it, while the first
 * goes on.
 */
class NodeSqsIT {

  private static final String DB = "tosqs";
  private static final String BIG = "INSERT INTO docs VALUES (2, (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 4000) i))";

  @TempDir
  Path dir;

  @Test
  void shouldDeliverEveryChangeIntoSqsAndStopOnlyTheSourceWithARowTooLargeForAMessage() throws Exception {
    PgServer pg = PgServer.shared();
    ElasticMqServer sqs = ElasticMqServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "DROP TABLE IF EXISTS items", "DROP TABLE IF EXISTS docs",
        "CREATE TABLE items (id bigint PRIMARY KEY, v int NOT NULL, note text)",
        "CREATE TABLE docs (id int PRIMARY KEY, body text NOT NULL)",
        "INSERT INTO items SELECT g, 0, 'seed ' || g FROM generate_series(1, 300) g");
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [sqs]",
        "syncline.transport.sqs { endpoint = \"" + sqs.endpoint() + "\", region = " + sqs.region() + ",",
        "  access-key-id = test, secret-access-key = \"sqs-secret-in-config\", max-message-bytes = 65536 }",
        "syncline.reader.min-backoff = 500ms",
        "syncline.sources = [",
        "  { kind = postgres, name = sqsok, host = localhost, port = " + pg.port() + ", database = " + DB
            + ", user = postgres, include-tables = [\"public.items\"] },",
        "  { kind = postgres, name = sqsbig, host = localhost, port = " + pg.port() + ", database = " + DB
            + ", user = postgres, include-tables = [\"public.docs\"] }]",
        "pekko.remote.artery.canonical.port = 0"));
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"));
        SqsAsyncClient client = SqsAsyncClient.builder().endpointOverride(sqs.endpoint())
            .region(Region.of(sqs.region()))
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build()) {
      node.awaitLogSince(0, "streaming from slot", 2, Duration.ofSeconds(90));
      pg.execute(DB, "INSERT INTO items SELECT g, 1, 'new ' || g FROM generate_series(301, 1300) g",
          "UPDATE items SET v = v + 1, note = 'updated' WHERE id % 3 = 0",
          "DELETE FROM items WHERE id % 10 = 0",
          "UPDATE items SET id = 100007 WHERE id = 7",  // a key change: a delete and a create at one position
          "BEGIN; UPDATE items SET v = 42 WHERE id BETWEEN 20 AND 40; DELETE FROM items WHERE id = 21; COMMIT");
      pg.execute(DB, "INSERT INTO docs VALUES (1, 'small')", BIG, "INSERT INTO docs VALUES (3, 'small')");

      // the source with the row too large for a message stops, naming it; it is not dropped
      node.awaitLog("stopped, not retried", Duration.ofSeconds(90));
      assertThat(node.logText())
          .contains("SQS cannot take a change of sqsbig.public.docs at source position ")
          .contains("larger than syncline.transport.sqs.max-message-bytes = 65536")
          .contains("It is never dropped")
          .doesNotContain("sqs-secret-in-config");

      // the other source's table, read back from its queue, unpacked and replayed, equals the table
      Map<String, Map<String, String>> expected = Delivered.rows(pg.connect(DB), "SELECT * FROM items", "id");
      List<Message> received = new ArrayList<>();
      Path replayFile = dir.resolve("items-from-sqs.jsonl");
      node.await(() -> {
        received.addAll(receive(client, "sqsok-public-items.fifo"));
        write(replayFile, received);
        return Delivered.replay(replayFile, "id").equals(expected);
      }, "the events from SQS to replay into the table (" + expected.size() + " rows)", Duration.ofSeconds(90));
      long events = received.stream().mapToLong(m -> SqsMessages.unpack(m).size()).sum();
      assertThat(events).as("snapshot, inserts, updates, deletes, the key change's delete and create")
          .isEqualTo(300 + 1000 + 433 + 130 + 2 + 18 + 1);
      assertThat(received.size()).as("messages for " + events + " events").isLessThan((int) events / 100);

      // and nothing of docs after the row that stopped its source
      List<Message> docs = receive(client, "sqsbig-public-docs.fifo");
      assertThat(docs.stream().flatMap(m -> SqsMessages.unpack(m).stream()).map(e -> e.value()))
          .singleElement().asString().contains("\"id\":1");
      assertThat(node.isAlive()).isTrue();
    } finally {
      pg.dropSlotWhenReleased(DB, "syncline_sqsok", Duration.ofSeconds(30));
      pg.dropSlotWhenReleased(DB, "syncline_sqsbig", Duration.ofSeconds(30));
    }
  }

  /** What the queue holds now (received and deleted). */
  private static List<Message> receive(SqsAsyncClient client, String queue) {
    try {
      String url = client.getQueueUrl(b -> b.queueName(queue)).get(30, TimeUnit.SECONDS).queueUrl();
      List<Message> got = new ArrayList<>();
      while (true) {
        List<Message> some = client.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1))
            .get(30, TimeUnit.SECONDS).messages();
        if (some.isEmpty()) {
          return got;
        }
        got.addAll(some);
        for (Message m : some) {
          client.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle())).get(30, TimeUnit.SECONDS);
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("reading SQS queue " + queue + ": " + e, e);
    }
  }

  /** The envelopes of the messages in source order ((position, seq)), one per line, for {@link Delivered#replay}. */
  private static void write(Path file, List<Message> messages) {
    List<SqsMessages.Entry> entries = new ArrayList<>();
    messages.forEach(m -> entries.addAll(SqsMessages.unpack(m)));
    entries.sort(Comparator.comparing((SqsMessages.Entry e) -> (PgPosition) e.position())
        .thenComparingInt(SqsMessages.Entry::seq));
    StringBuilder sb = new StringBuilder();
    entries.forEach(e -> sb.append(e.value()).append('\n'));
    try {
      Files.writeString(file, sb);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
