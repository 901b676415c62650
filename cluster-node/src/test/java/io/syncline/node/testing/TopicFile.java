package io.syncline.node.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A Kafka topic read back from its beginning into a JSON-lines file of its record values (one
 * envelope a line, in partition order), so that {@link Delivered} reads Kafka output as it reads the
 * JSON-lines sink's. Read committed only: what the broker acknowledged. {@link #update()} appends
 * what arrived since the last call; call it in a test's wait loop.
 */
public final class TopicFile implements AutoCloseable {

  private final KafkaConsumer<String, String> consumer;
  private final Path file;
  private final String topic;
  private boolean assigned;

  public TopicFile(String bootstrapServers, String topic, Path file) {
    this.consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrapServers,
        "isolation.level", "read_committed", "max.poll.records", "5000"),
        new StringDeserializer(), new StringDeserializer());
    this.topic = topic;
    this.file = file;
  }

  /** The file the records go to. */
  public Path file() {
    return file;
  }

  /** Appends the records that arrived since the last call (the topic may not exist yet). */
  public synchronized Path update() {
    if (!assigned) {
      var partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5));
      if (partitions == null || partitions.isEmpty()) {
        return file;
      }
      List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      assigned = true;
    }
    // up to the end as it is now: a topic still being written would keep an "until empty" loop going
    Map<TopicPartition, Long> end;
    try {
      end = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(10));
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      return file; // the broker is not answering (yet): the next call reads on
    }
    StringBuilder lines = new StringBuilder();
    while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), Duration.ofSeconds(10)) < e.getValue())) {
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
        if (r.value() != null) { // tombstones carry no envelope
          lines.append(r.value()).append('\n');
        }
      }
    }
    try {
      Files.writeString(file, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
