package io.syncline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What one sink delivered for one table, replayed as it arrives (a JSON-lines file read on from
 * where the last read stopped, or a Kafka topic polled on): the rows ({@code c/u/r} put the after
 * image, {@code d} removes the key, {@code t} empties), and which change of the workload each
 * envelope is. A workload change is identified by its operation and id (each id is inserted once,
 * updated at most once, deleted at most once), so a second envelope with the same pair is a
 * duplicate and a pair never seen is lost.
 */
final class SoakReplay implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<String> fields;
  private final Map<Long, String> rows = new HashMap<>();
  private final BitSet inserted = new BitSet();
  private final BitSet updated = new BitSet();
  private final BitSet deleted = new BitSet();
  private long envelopes;
  private long duplicates;
  private long badLines;
  private final Path file;
  private long offset;
  private final KafkaConsumer<String, String> consumer;
  private final String topic;
  private boolean assigned;

  private SoakReplay(List<String> fields, Path file, String bootstrap, String topic) {
    this.fields = fields;
    this.file = file;
    this.topic = topic;
    this.consumer = bootstrap == null ? null : new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
        "isolation.level", "read_committed", "max.poll.records", "10000"), new StringDeserializer(),
        new StringDeserializer());
  }

  /** Replays a JSON-lines file; a row's value is its {@code fields} joined by '|'. */
  static SoakReplay file(Path file, List<String> fields) {
    return new SoakReplay(fields, file, null, null);
  }

  /** Replays a Kafka topic from its beginning. */
  static SoakReplay topic(String bootstrap, String topic, List<String> fields) {
    return new SoakReplay(fields, null, bootstrap, topic);
  }

  /** Reads what arrived since the last call. */
  void update() throws IOException {
    if (consumer == null) {
      readFile();
    } else {
      pollTopic();
    }
  }

  private void readFile() throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long size = f.length();
      if (size < offset) {
        throw new IllegalStateException(file + " shrank below what was read already (" + size + " < " + offset
            + "): a delivered line was removed");
      }
      while (offset < size) {
        int n = (int) Math.min(16 << 20, size - offset);
        byte[] buf = new byte[n];
        f.seek(offset);
        f.readFully(buf);
        int last = -1;
        for (int i = n - 1; i >= 0; i--) {
          if (buf[i] == '\n') {
            last = i;
            break;
          }
        }
        if (last < 0) {
          return; // a line still being written
        }
        int start = 0;
        for (int i = 0; i <= last; i++) {
          if (buf[i] == '\n') {
            apply(new String(buf, start, i - start, StandardCharsets.UTF_8));
            start = i + 1;
          }
        }
        offset += last + 1;
      }
    }
  }

  private void pollTopic() {
    if (!assigned) {
      var partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10));
      if (partitions == null || partitions.isEmpty()) {
        return;
      }
      List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      assigned = true;
    }
    while (true) {
      var records = consumer.poll(Duration.ofMillis(500));
      if (records.isEmpty()) {
        return;
      }
      for (ConsumerRecord<String, String> r : records) {
        if (r.value() != null) {
          apply(r.value());
        }
      }
    }
  }

  private void apply(String line) {
    JsonNode e;
    try {
      e = JSON.readTree(line);
    } catch (IOException ex) {
      badLines++;
      return;
    }
    envelopes++;
    String op = e.path("op").asText();
    switch (op) {
      case "c", "u", "r" -> {
        JsonNode after = e.get("after");
        long id = after.path("id").asLong();
        StringBuilder v = new StringBuilder();
        for (String f : fields) {
          v.append(v.length() == 0 ? "" : "|").append(after.path(f).asText());
        }
        rows.put(id, v.toString());
        if (!op.equals("r")) {
          mark(op.equals("c") ? inserted : updated, id);
        }
      }
      case "d" -> {
        long id = e.get("before").path("id").asLong();
        rows.remove(id);
        mark(deleted, id);
      }
      case "t" -> rows.clear();
      default -> badLines++;
    }
  }

  private void mark(BitSet set, long id) {
    int i = Math.toIntExact(id);
    if (set.get(i)) {
      duplicates++;
    } else {
      set.set(i);
    }
  }

  Map<Long, String> rows() {
    return rows;
  }

  long envelopes() {
    return envelopes;
  }

  long duplicates() {
    return duplicates;
  }

  /** Lines that were not whole JSON (a torn line left in a file). */
  long badLines() {
    return badLines;
  }

  /** Whether the insert, update or delete ({@code c}, {@code u}, {@code d}) of {@code id} arrived. */
  boolean seen(char op, long id) {
    int i = Math.toIntExact(id);
    return switch (op) {
      case 'c' -> inserted.get(i);
      case 'u' -> updated.get(i);
      case 'd' -> deleted.get(i);
      default -> throw new IllegalArgumentException("op " + op);
    };
  }

  @Override
  public void close() {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
