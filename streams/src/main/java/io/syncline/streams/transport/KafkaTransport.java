package io.syncline.streams.transport;

import io.syncline.streams.capture.Failures;
import io.syncline.streams.event.TableRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.kafka.ProducerSettings;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers change events to Kafka, one topic per table ({@link KafkaSettings#topicFor}), the key
 * bytes as the message key and the envelope as the value.
 *
 * <p>Acknowledged per batch: every record of a batch is handed to the producer at once, each
 * record's callback (on the producer's I/O thread) only counts down, and the batch's pass-through
 * comes out once Kafka has acknowledged every record of it with {@code acks=all}; up to
 * {@code parallelism} batches are in flight and they come out in the order they came in (an
 * ordered {@code mapAsync}), so no source position is acknowledged before the sink has the data.
 * (Pekko Connectors Kafka's {@code flexiFlow} with {@code multi} messages, used before, completed
 * a promise and sent a stage message per record: a third of the reader's CPU at 1M records, and
 * the per-record callbacks piled up in the stage's mailbox.) One idempotent producer (created here,
 * closed by {@link #close()}) serves every materialization of {@link #flow()}: records of one key
 * stay in order across retries. Records without a key (tables with no primary key) all go to
 * partition 0, so their order is kept as well. A record that cannot be delivered within
 * {@code delivery.timeout.ms} fails the stream.
 *
 * <p>A delete is followed by a tombstone of its key ({@code tombstones-on-delete}), and the headers
 * of a record (the {@code __debezium.newkey}/{@code __debezium.oldkey} of a key change) are sent
 * as Kafka headers. A record Kafka refuses for good (larger than its limits) is never retried: it
 * fails the stream with a {@link Failures.Permanent} error naming the fix, or in dead-letter mode
 * goes to the {@link DeadLetters} destinations once the rest of its batch is acknowledged.
 *
 * <p>The producer's {@code send} may block while it waits for topic metadata
 * ({@code max.block.ms}) or for room in {@code buffer.memory}: the sending stage runs on Pekko
 * Connectors Kafka's own dispatcher ({@value #DISPATCHER}), never on the default one.
 */
public final class KafkaTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(KafkaTransport.class);

  /** Where the sending stage runs ({@code send} may block). */
  static final String DISPATCHER = "pekko.kafka.default-dispatcher";

  private final KafkaSettings settings;
  private final org.apache.kafka.clients.producer.Producer<byte[], byte[]> producer;
  private final Admin admin;
  private final ClassicActorSystemProvider system;
  private final DeadLetters deadLetters;
  private final ConcurrentMap<TableRef, String> topics = new ConcurrentHashMap<>();

  private KafkaTransport(ClassicActorSystemProvider system, KafkaSettings settings,
      ProducerSettings<byte[], byte[]> base, DeadLetters.Settings deadLetter) {
    this.system = system;
    this.settings = settings;
    this.deadLetters = new DeadLetters(deadLetter,
        system.classicSystem().dispatchers().lookup(JsonLinesTransport.BLOCKING_IO_DISPATCHER));
    this.producer = base.createKafkaProducer();
    Admin created = null;
    try {
      created = settings.createTopics() ? Admin.create(Map.copyOf(settings.adminProperties())) : null;
    } catch (RuntimeException e) {
      producer.close(Duration.ZERO);
      throw e;
    }
    this.admin = created;
  }

  /**
   * Creates the transport and its producer (no connection is made yet).
   *
   * @param system the actor system whose {@code pekko.kafka.producer} settings (dispatcher, close
   *     timeout) the producer stage uses; a typed {@code ActorSystem} is one
   * @throws IllegalArgumentException if the producer configuration is invalid (Kafka's message)
   */
  public static KafkaTransport create(ClassicActorSystemProvider system, KafkaSettings settings) {
    return create(system, settings, DeadLetters.Settings.FAIL);
  }

  /**
   * The same, with what to do with a record Kafka refuses for good (larger than its limits):
   * stop with a {@link Failures.Permanent} error, or set it aside in the dead-letter destinations.
   */
  public static KafkaTransport create(ClassicActorSystemProvider system, KafkaSettings settings,
      DeadLetters.Settings deadLetter) {
    ProducerSettings<byte[], byte[]> base = ProducerSettings
        .create(system, new ByteArraySerializer(), new ByteArraySerializer())
        .withProperties(settings.producerProperties())
        .withCloseTimeout(settings.closeTimeout());
    try {
      KafkaTransport transport = new KafkaTransport(system, settings, base, deadLetter);
      log.info("Kafka transport: {}, records Kafka refuses for good: {}", settings, deadLetter);
      return transport;
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new IllegalArgumentException("Kafka transport: the producer could not be created from "
          + KafkaSettings.CONFIG_PATH + ": " + rootMessage(e), e);
    }
  }

  /** The settings this transport runs with. */
  public KafkaSettings settings() {
    return settings;
  }

  /**
   * Creates the topics of these tables that do not exist yet, with the configured partitions and
   * replication factor; existing topics are left alone. Completes (asynchronously, never blocking
   * the caller) once every topic exists and every partition's leader accepts requests; fails
   * naming the topic and the cause otherwise. Does nothing when {@code create-topics = false}.
   * Call it before materializing {@link #flow()} for these tables.
   */
  @Override
  public CompletionStage<Done> prepare(Collection<TableRef> tables) {
    if (admin == null || tables.isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    TreeSet<String> names = new TreeSet<>();
    try {
      for (TableRef t : tables) {
        names.add(settings.topicFor(t));
      }
      if (!deadLetters.settings().topic().isEmpty()) {
        names.add(deadLetters.settings().topic());
      }
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    List<NewTopic> topics = names.stream()
        .map(n -> new NewTopic(n, settings.partitions(), settings.replicationFactor()))
        .toList();
    Map<String, KafkaFuture<Void>> results = admin.createTopics(topics,
        new CreateTopicsOptions().timeoutMs((int) Math.min(Integer.MAX_VALUE, settings.adminTimeout().toMillis())))
        .values();
    List<CompletableFuture<Boolean>> each = new ArrayList<>();
    results.forEach((topic, future) -> each.add(future.toCompletionStage().toCompletableFuture()
        .handle((ok, error) -> {
          if (error == null) {
            return true;
          }
          Throwable cause = unwrap(error);
          if (cause instanceof TopicExistsException) {
            return false;
          }
          throw new CompletionException(new IllegalStateException("could not create Kafka topic '" + topic
              + "' (partitions=" + settings.partitions() + ", replication-factor=" + settings.replicationFactor()
              + ") on " + settings.bootstrapServers() + ": " + rootMessage(cause)
              + ". Check that the brokers are reachable, that " + KafkaSettings.CONFIG_PATH
              + ".replication-factor is at most the number of brokers and that the principal may create"
              + " topics; or create the topics yourself and set " + KafkaSettings.CONFIG_PATH
              + ".create-topics = false", cause));
        })));
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .thenCompose(v -> awaitLeaders(names))
        .thenApply(partitions -> {
          long created = each.stream().filter(CompletableFuture::join).count();
          partitions.forEach((topic, count) -> {
            if (count != settings.partitions()) {
              log.info("Kafka topic {} exists with {} partitions ({} configured for new topics)",
                  topic, count, settings.partitions());
            }
          });
          log.info("Kafka topics ready: {} ({} created, {} existed)", names, created, names.size() - created);
          return Done.getInstance();
        });
  }

  /**
   * Completes once every partition of these topics has a leader that serves requests. Right after
   * creation a broker may already advertise itself as leader in its metadata while it does not
   * accept writes yet; a first batch refused with NOT_LEADER_OR_FOLLOWER while a later in-flight
   * batch of the same new producer is accepted leaves the idempotent producer retrying an
   * out-of-order sequence until delivery.timeout.ms. ListOffsets is answered by the partition leader
   * only, and the admin client retries it until the leader is ready, so waiting for it closes that window.
   *
   * @return partition count per topic
   */
  /**
   * Describes the topics, again every 100 ms while the broker answering does not know one yet
   * (its metadata may lag just behind the controller's right after creation), until the deadline.
   */
  private CompletableFuture<Map<String, TopicDescription>> describeWhenKnown(
      Collection<String> names, int timeoutMs, long deadline) {
    return admin.describeTopics(names, new DescribeTopicsOptions().timeoutMs(timeoutMs)).allTopicNames()
        .toCompletionStage().toCompletableFuture()
        .handle((descriptions, error) -> {
          if (error == null) {
            return CompletableFuture.completedFuture(descriptions);
          }
          if (unwrap(error) instanceof UnknownTopicOrPartitionException && System.nanoTime() < deadline) {
            return Patterns.after(Duration.ofMillis(100), system,
                () -> describeWhenKnown(names, timeoutMs, deadline)).toCompletableFuture();
          }
          return CompletableFuture.<Map<String, TopicDescription>>failedFuture(unwrap(error));
        })
        .thenCompose(f -> f);
  }

  private CompletableFuture<Map<String, Integer>> awaitLeaders(Collection<String> names) {
    int timeoutMs = (int) Math.min(Integer.MAX_VALUE, settings.adminTimeout().toMillis());
    long deadline = System.nanoTime() + settings.adminTimeout().toNanos();
    return describeWhenKnown(names, timeoutMs, deadline)
        .thenCompose(descriptions -> {
          Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
          Map<String, Integer> counts = new TreeMap<>();
          descriptions.forEach((topic, d) -> {
            counts.put(topic, d.partitions().size());
            d.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
          });
          return admin.listOffsets(latest, new ListOffsetsOptions().timeoutMs(timeoutMs)).all()
              .toCompletionStage().toCompletableFuture()
              .thenApply(offsets -> counts);
        })
        .exceptionally(error -> {
          throw new CompletionException(new IllegalStateException("Kafka topics " + names
              + " were created but their partition leaders did not become ready within "
              + KafkaSettings.CONFIG_PATH + ".admin-timeout (" + settings.adminTimeout() + "): "
              + rootMessage(unwrap(error)), unwrap(error)));
        });
  }

  @Override
  public <P> Flow<Outgoing<P>, P, NotUsed> flow() {
    return Flow.<Outgoing<P>>create()
        .mapAsync(settings.parallelism(), this::<P>send)
        .async(DISPATCHER);
  }

  /**
   * Hands every record of the batch to the producer (a delete followed by its tombstone when
   * {@code tombstones-on-delete}); completes with its pass-through once all are acknowledged. A
   * record Kafka refuses for good (too large) fails the batch with a {@link Failures.Permanent}
   * error, or, in dead-letter mode, is set aside once the rest of the batch is acknowledged.
   */
  private <P> CompletionStage<P> send(Outgoing<P> batch) {
    List<OutRecord> records = batch.records();
    if (records.isEmpty()) {
      return CompletableFuture.completedFuture(batch.passThrough());
    }
    boolean tombstones = settings.tombstonesOnDelete();
    int total = records.size();
    if (tombstones) {
      for (OutRecord r : records) {
        if (r.delete() && r.key() != null) {
          total++;
        }
      }
    }
    CompletableFuture<P> acknowledged = new CompletableFuture<>();
    AtomicInteger pending = new AtomicInteger(total);
    Queue<DeadLetters.Refused> refused = new ConcurrentLinkedQueue<>();
    Runnable countDown = () -> {
      if (pending.decrementAndGet() == 0) {
        if (refused.isEmpty()) {
          acknowledged.complete(batch.passThrough());
        } else {
          setAside(List.copyOf(refused)).whenComplete((done, error) -> {
            if (error != null) {
              acknowledged.completeExceptionally(error);
            } else {
              acknowledged.complete(batch.passThrough());
            }
          });
        }
      }
    };
    Callback plain = (metadata, error) -> {
      if (error != null) {
        acknowledged.completeExceptionally(error);
      } else {
        countDown.run();
      }
    };
    try {
      for (OutRecord r : records) {
        String topic = topics.computeIfAbsent(r.table(), settings::topicFor);
        producer.send(producerRecord(topic, r.key(), r.value(), r.headers()), (metadata, error) -> {
          if (error == null) {
            countDown.run();
          } else if (error instanceof RecordTooLargeException) {
            if (deadLetters.settings().deadLetter()) {
              refused.add(new DeadLetters.Refused(r, name(), topic, tooLarge(error)));
              countDown.run();
            } else {
              acknowledged.completeExceptionally(refusedForGood(r, topic, error));
            }
          } else {
            acknowledged.completeExceptionally(error);
          }
        });
        if (tombstones && r.delete() && r.key() != null) {
          producer.send(producerRecord(topic, r.key(), null, List.of()), plain);
        }
        if (acknowledged.isCompletedExceptionally()) {
          break; // a record already failed: the stream fails with it, the rest need not be sent
        }
      }
    } catch (RuntimeException e) {
      acknowledged.completeExceptionally(e);
    }
    return acknowledged;
  }

  private static ProducerRecord<byte[], byte[]> producerRecord(String topic, byte[] key, byte[] value,
      List<OutRecord.Header> headers) {
    List<org.apache.kafka.common.header.Header> kafkaHeaders = headers.isEmpty() ? null : headers.stream()
        .<org.apache.kafka.common.header.Header>map(h -> new RecordHeader(h.name(), h.value())).toList();
    // keyless: one partition keeps the order
    return new ProducerRecord<>(topic, key == null ? 0 : null, key, value, kafkaHeaders);
  }

  /** Kafka's reason, with the producer's limit. */
  private String tooLarge(Throwable error) {
    return "larger than Kafka accepts (producer max.request.size = " + settings.maxRequestSize()
        + ", or the topic's max.message.bytes): " + error.getMessage();
  }

  /** The error a refused record stops the source with: the table, the position, the size, the limit and the fix. */
  private Failures.Permanent refusedForGood(OutRecord r, String topic, Throwable error) {
    return new Failures.Permanent("Kafka refuses a change of " + DeadLetters.display(r.table()) + " at source position "
        + DeadLetters.position(r) + " for good: the record is " + r.size() + " bytes (key and value), "
        + tooLarge(error) + ". It is not retried, and nothing after it is delivered or acknowledged. Fix: raise "
        + KafkaSettings.CONFIG_PATH + ".producer.max.request.size (and the topic " + topic
        + "'s max.message.bytes, or the broker's message.max.bytes) above its size, or set "
        + DeadLetters.Settings.CONFIG_PATH + ".on-refused-record = dead-letter with a "
        + DeadLetters.Settings.CONFIG_PATH + ".directory and/or topic to set such records aside and go on", error);
  }

  /**
   * Sets refused records aside: the whole record into the dead-letter file (forced to disk), then a
   * record of what it was and why, without its value, to the dead-letter topic; completes once both are durable.
   */
  private CompletionStage<Void> setAside(List<DeadLetters.Refused> refused) {
    CompletionStage<Void> file = deadLetters.writeFile(refused);
    String topic = deadLetters.settings().topic();
    if (topic.isEmpty()) {
      return file;
    }
    return file.thenCompose(v -> {
      CompletableFuture<Void> sent = new CompletableFuture<>();
      AtomicInteger left = new AtomicInteger(refused.size());
      for (DeadLetters.Refused r : refused) {
        producer.send(new ProducerRecord<>(topic, r.record().key(), DeadLetters.entry(r, false)), (metadata, error) -> {
          if (error != null) {
            sent.completeExceptionally(new IllegalStateException("could not put a dead letter of "
                + DeadLetters.display(r.record().table()) + " into the topic " + topic + " ("
                + DeadLetters.Settings.CONFIG_PATH + ".topic): " + error.getMessage(), error));
          } else if (left.decrementAndGet() == 0) {
            if (deadLetters.file() == null) {
              refused.forEach(d -> log.warn("dead letter: a record of {} at source position {} ({} bytes) refused by"
                  + " kafka ({}), its description sent to {}", DeadLetters.display(d.record().table()),
                  DeadLetters.position(d.record()), d.record().size(), d.reason(), topic));
            }
            sent.complete(null);
          }
        });
      }
      return sent;
    });
  }

  @Override
  public String name() {
    return "kafka";
  }

  /** Sends what the producer still holds (up to {@code close-timeout}) and releases the clients. */
  @Override
  public void close() {
    try {
      producer.close(settings.closeTimeout());
      deadLetters.close();
    } finally {
      if (admin != null) {
        admin.close(settings.closeTimeout());
      }
    }
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c == t ? String.valueOf(t.getMessage()) : t.getMessage() + " (" + c + ")";
  }
}
