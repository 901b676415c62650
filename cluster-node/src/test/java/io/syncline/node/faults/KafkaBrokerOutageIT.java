package io.syncline.node.faults;

import io.syncline.embedded.KafkaServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.Journal;
import io.syncline.node.testing.Load;
import io.syncline.node.testing.NodeConfig;
import io.syncline.node.testing.NodeProcess;
import io.syncline.node.testing.SqlDatabase;
import io.syncline.node.testing.TopicFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault suite, the Kafka broker stopped for longer than the producer's delivery timeout and started
 * again, under a write load: batches not acknowledged in time fail the capture (never skipped), the
 * reader restarts from the recorded positions once the broker is back, and the topic read back
 * replays into the table with every change present and in order; positions never went backwards.
 */
class KafkaBrokerOutageIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String DB = "fault_kafka";
  private static final String SOURCE = "kfk";

  @TempDir
  Path dir;

  @Test
  void shouldDeliverEverythingInOrderAfterTheBrokerWasDownLongerThanTheDeliveryTimeout() throws Exception {
    SqlDatabase db = SqlDatabase.postgres(PgServer.shared());
    db.createTables(DB, "t");
    try (KafkaServer broker = KafkaServer.start(Map.of(), Files.createDirectories(dir.resolve("kafka")))) {
      Path config = NodeConfig.write(dir, List.of(db.sourceEntry(SOURCE, DB, List.of("t"), "max-batch-size = 200")),
          "syncline.transport.sinks = [kafka]",
          "syncline.transport.kafka.bootstrap-servers = \"" + broker.bootstrapServers() + "\"",
          "syncline.transport.kafka.admin-timeout = 5s",
          // small timeouts: a record not acknowledged within 4 s fails its batch and the capture
          "syncline.transport.kafka.producer.delivery.timeout.ms = 4000",
          "syncline.transport.kafka.producer.request.timeout.ms = 1500",
          "syncline.transport.kafka.producer.max.block.ms = 4000",
          "syncline.reader.ask-timeout = 10s");
      Path topicFile = dir.resolve("topic.jsonl");
      try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"));
          TopicFile topic = new TopicFile(broker.bootstrapServers(), SOURCE + ".public.t", topicFile)) {
        node.awaitLog("': capturing ", WAIT);
        // the overrides took effect (a quoted key "delivery.timeout.ms" would not replace the default's path)
        node.awaitLog("delivery.timeout.ms=4000", WAIT);
        try (Load load = Load.start("kafka", () -> db.connect(DB), List.of("t"), 100)) { // streamed changes only
          node.await(() -> Delivered.count(topic.update()) >= 500, "500 changes in the topic", WAIT);
          int mark = node.logMark();

          broker.stop();
          // a batch the broker cannot take fails the capture once delivery.timeout.ms (4 s) is over: the node
          // must not wait silently for as long as the broker is away
          node.awaitLogSince(mark, "': capture failed (", 1, Duration.ofSeconds(30));
          load.awaitMoreChanges(500, WAIT); // written while the broker is still down
          broker.startAgain();

          load.awaitMoreChanges(500, WAIT);
          load.stop();
          Delivered.awaitReplayEquals(node, topic::update, db.rows(DB, "t"), WAIT);
          Delivered.Tally tally = Delivered.assertEveryChangePresent(topicFile, load.committed("t"));
          System.out.println("Kafka broker outage: " + tally);
        }
        node.stop(Duration.ofSeconds(60));
      }
      Journal.assertPositionsNeverWentBackwards(config, 2, db.entityId(SOURCE, DB, "t"));
    }
  }
}
