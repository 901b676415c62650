package io.syncline.node.consume;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka consumer of the group writing one {@link CsvWriter}'s files, on a thread of its own
 * (a blocking poll loop: the Kafka consumer is single-threaded by design).
 *
 * <p>Per poll: every record's rows are buffered, both files are written and forced to disk, and
 * only then are the polled partitions' next offsets committed (asynchronously; synchronously when
 * partitions are revoked and on stop). A crash therefore re-delivers at most what was written
 * after the last commit: at-least-once, never a loss.
 */
final class CsvConsumer implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(CsvConsumer.class);

  private final ConsumeSettings settings;
  private final int index;
  private final Path directory;
  private final KafkaConsumer<byte[], byte[]> consumer;
  /** Next offset per partition whose rows are on disk and not yet committed synchronously. */
  private final Map<TopicPartition, OffsetAndMetadata> flushed = new HashMap<>();
  private final AtomicLong records = new AtomicLong();
  private final AtomicLong insertRows = new AtomicLong();
  private final AtomicLong deleteRows = new AtomicLong();
  private final AtomicInteger assigned = new AtomicInteger();
  private volatile boolean stopping;

  CsvConsumer(ConsumeSettings settings, int index, Path directory) {
    this.settings = settings;
    this.index = index;
    this.directory = directory;
    this.consumer = new KafkaConsumer<>(settings.kafkaProperties(index), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  Path directory() {
    return directory;
  }

  /** Records consumed and written (flushed) so far. */
  long records() {
    return records.get();
  }

  long insertRows() {
    return insertRows.get();
  }

  long deleteRows() {
    return deleteRows.get();
  }

  /** Partitions assigned to this consumer now. */
  int assignedPartitions() {
    return assigned.get();
  }

  /** Asks the poll loop to commit what it flushed and end; returns at once (thread-safe). */
  void stop() {
    stopping = true;
    consumer.wakeup();
  }

  @Override
  public void run() {
    try (CsvWriter writer = CsvWriter.open(directory)) {
      consumer.subscribe(List.of(settings.topic()), new Rebalance());
      log.info("consumer {} of group '{}' reading topic '{}' into {}", index, settings.group(), settings.topic(), directory);
      while (!stopping) {
        ConsumerRecords<byte[], byte[]> batch;
        try {
          batch = consumer.poll(settings.pollTimeout());
        } catch (WakeupException e) {
          break;
        }
        if (batch.isEmpty()) {
          continue;
        }
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          try {
            writer.append(r.partition(), r.offset(), r.key(), r.value());
          } catch (IllegalArgumentException e) {
            throw new IllegalStateException("topic '" + r.topic() + "' partition " + r.partition() + " offset "
                + r.offset() + " is not a change event Syncline can write as CSV: " + e.getMessage(), e);
          }
          next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        writer.flush();
        records.addAndGet(batch.count());
        insertRows.set(writer.insertRows());
        deleteRows.set(writer.deleteRows());
        flushed.putAll(next);
        consumer.commitAsync(next, (offsets, error) -> {
          if (error != null) {
            log.warn("consumer {}: committing {} failed ({}); a later commit covers them, "
                + "or they are delivered again after a restart", index, offsets.keySet(), error.toString());
          }
        });
      }
    } catch (IOException e) {
      throw new IllegalStateException("consumer " + index + " could not write " + directory.toAbsolutePath()
          + " (--out " + settings.out() + "): " + e.getMessage(), e);
    } finally {
      try {
        commitFlushed();
      } finally {
        consumer.close(settings.commitTimeout());
      }
    }
  }

  /** Commits, and waits for, the offsets of everything flushed. */
  private void commitFlushed() {
    if (flushed.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(Map.copyOf(flushed), settings.commitTimeout());
      log.info("consumer {}: committed {}", index, flushed);
      flushed.clear();
    } catch (RuntimeException e) {
      log.warn("consumer {}: could not commit the offsets of rows already written ({}): they are delivered "
          + "again after a restart", index, e.toString());
    }
  }

  /** Called on the consumer's own thread, inside poll(): everything polled so far is flushed. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      Map<TopicPartition, OffsetAndMetadata> mine = new HashMap<>();
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata o = flushed.remove(tp);
        if (o != null) {
          mine.put(tp, o);
        }
      }
      if (!mine.isEmpty()) {
        try {
          consumer.commitSync(mine, settings.commitTimeout());
        } catch (WakeupException e) {
          flushed.putAll(mine); // stopping: the final commit takes them
          throw e;
        } catch (RuntimeException e) {
          log.warn("consumer {}: could not commit revoked partitions {} ({}): their new owner reads the "
              + "uncommitted tail again", index, mine.keySet(), e.toString());
        }
      }
      assigned.addAndGet(-partitions.size());
      log.debug("consumer {}: revoked {}", index, partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      assigned.addAndGet(partitions.size());
      log.info("consumer {}: assigned {}", index, partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      partitions.forEach(flushed::remove); // owned by another member now: committing would fail
      assigned.addAndGet(-partitions.size());
      log.warn("consumer {}: lost {} (session expired); their uncommitted tail is delivered again", index, partitions);
    }
  }
}
