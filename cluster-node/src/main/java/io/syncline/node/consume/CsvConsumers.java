package io.syncline.node.consume;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumers of one {@code syncline consume} process: {@link ConsumeSettings#consumers()}
 * members of one group, each on its own thread with its own directory.
 *
 * <p>Consumer {@code i} writes {@code <out>/<group>/<topic>/consumer-<i>/}. A directory is claimed
 * with an OS file lock on its {@code .lock} file, held while the consumer runs (released by the OS
 * when the process dies): a process takes the lowest free numbers, so several processes of one
 * group can share {@code --out} without clashing, and a restarted process appends to the
 * directories it had.
 */
public final class CsvConsumers implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CsvConsumers.class);
  private static final String LOCK_FILE = ".lock";
  private static final Duration TOPIC_CHECK_TIMEOUT = Duration.ofSeconds(30);

  private final ConsumeSettings settings;
  private final List<CsvConsumer> consumers;
  private final List<Thread> threads;
  private final List<FileChannel> locks;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  private CsvConsumers(ConsumeSettings settings, List<CsvConsumer> consumers, List<FileChannel> locks) {
    this.settings = settings;
    this.consumers = consumers;
    this.locks = locks;
    this.threads = new ArrayList<>();
  }

  /**
   * Checks that the topic exists, claims the directories and starts the consumer threads.
   *
   * @throws IllegalArgumentException when the topic does not exist or the brokers cannot be reached
   */
  public static CsvConsumers start(ConsumeSettings settings) {
    checkTopic(settings);
    List<FileChannel> locks = new ArrayList<>();
    List<CsvConsumer> consumers = new ArrayList<>();
    try {
      for (int i = 0; consumers.size() < settings.consumers(); i++) {
        if (i >= 1000) {
          throw new IllegalStateException("no free consumer directory under " + settings.directoryOf(0).getParent()
              + " among consumer-0 … consumer-999 (all locked by running consumers)");
        }
        Path dir = settings.directoryOf(i);
        FileChannel lock = claim(dir);
        if (lock != null) {
          locks.add(lock);
          consumers.add(new CsvConsumer(settings, i, dir));
        }
      }
    } catch (IOException | RuntimeException e) {
      closeAll(locks);
      throw e instanceof IOException io
          ? new IllegalStateException("could not create the consumer directories under --out " + settings.out()
              + ": " + io.getMessage(), io)
          : (RuntimeException) e;
    }
    CsvConsumers running = new CsvConsumers(settings, consumers, locks);
    running.startThreads();
    return running;
  }

  private void startThreads() {
    for (CsvConsumer c : consumers) {
      Thread t = new Thread(() -> {
        try {
          c.run();
        } catch (Throwable e) {
          log.error("{} stopped: {}", c.directory(), e.getMessage(), e);
          if (failure.compareAndSet(null, e)) {
            consumers.forEach(CsvConsumer::stop);
          }
        }
      }, "syncline-consume-" + c.directory().getFileName());
      threads.add(t);
      t.start();
    }
    log.info("{} consumer(s) started: {}", consumers.size(), settings);
  }

  /** The directories of this process's consumers. */
  public List<Path> directories() {
    return consumers.stream().map(CsvConsumer::directory).toList();
  }

  /** Partitions assigned to each consumer now, in consumer order. */
  public List<Integer> assignedPartitions() {
    return consumers.stream().map(CsvConsumer::assignedPartitions).toList();
  }

  /** Records written (flushed) by all consumers so far. */
  public long records() {
    return consumers.stream().mapToLong(CsvConsumer::records).sum();
  }

  public long insertRows() {
    return consumers.stream().mapToLong(CsvConsumer::insertRows).sum();
  }

  public long deleteRows() {
    return consumers.stream().mapToLong(CsvConsumer::deleteRows).sum();
  }

  /** The first error that stopped a consumer, if any (all others are then stopped too). */
  public Throwable failure() {
    return failure.get();
  }

  /** Whether every consumer thread has ended. */
  public boolean stopped() {
    return threads.stream().noneMatch(Thread::isAlive);
  }

  /** Waits up to {@code timeout} for every consumer thread to end; true when they all did. */
  public boolean await(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        t.join(Math.max(1, left / 1_000_000));
      }
    }
    return stopped();
  }

  /** Asks every consumer to commit what it flushed and stop; returns at once. */
  public void stop() {
    consumers.forEach(CsvConsumer::stop);
  }

  /** Stops the consumers, waits for them (commit timeout + 10 s at most) and releases the directories. */
  @Override
  public void close() throws InterruptedException {
    stop();
    if (!await(settings.commitTimeout().plusSeconds(10))) {
      log.warn("consumers did not stop within {}: their uncommitted rows are delivered again", settings.commitTimeout());
    }
    closeAll(locks);
  }

  private static FileChannel claim(Path dir) throws IOException {
    Files.createDirectories(dir);
    FileChannel ch = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      FileLock lock = ch.tryLock();
      if (lock != null) {
        return ch;
      }
    } catch (OverlappingFileLockException e) {
      // held by this JVM already
    }
    ch.close();
    return null;
  }

  private static void closeAll(List<FileChannel> channels) {
    for (FileChannel ch : channels) {
      try {
        ch.close();
      } catch (IOException e) {
        log.warn("could not release a consumer directory lock: {}", e.toString());
      }
    }
  }

  private static void checkTopic(ConsumeSettings settings) {
    try (KafkaConsumer<byte[], byte[]> probe = new KafkaConsumer<>(settings.kafkaProperties(-1),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> partitions = probe.partitionsFor(settings.topic(), TOPIC_CHECK_TIMEOUT);
      if (partitions == null || partitions.isEmpty()) {
        throw new IllegalArgumentException("topic '" + settings.topic() + "' does not exist on "
            + settings.bootstrapServers() + ". Fix: check --topic (Syncline's topics are <prefix>.<schema>.<table>, "
            + "e.g. demo_pg.public.orders)");
      }
      if (partitions.size() < settings.consumers()) {
        log.warn("topic '{}' has {} partition(s) for {} consumers: {} of them will stay idle",
            settings.topic(), partitions.size(), settings.consumers(), settings.consumers() - partitions.size());
      }
    } catch (TimeoutException e) {
      throw new IllegalArgumentException("could not reach Kafka at " + settings.bootstrapServers() + " within "
          + TOPIC_CHECK_TIMEOUT.toSeconds() + " s to look up topic '" + settings.topic()
          + "'. Fix: check --bootstrap-servers (or syncline.transport.kafka.bootstrap-servers)", e);
    }
  }
}
