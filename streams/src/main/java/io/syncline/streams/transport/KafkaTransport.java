package io.syncline.streams.transport;

import io.syncline.streams.event.TableRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
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
  private final ConcurrentMap<TableRef, String> topics = new ConcurrentHashMap<>();

  private KafkaTransport(ClassicActorSystemProvider system, KafkaSettings settings,
      ProducerSettings<byte[], byte[]> base) {
    this.system = system;
    this.settings = settings;
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
    ProducerSettings<byte[], byte[]> base = ProducerSettings
        .create(system, new ByteArraySerializer(), new ByteArraySerializer())
        .withProperties(settings.producerProperties())
        .withCloseTimeout(settings.closeTimeout());
    try {
      KafkaTransport transport = new KafkaTransport(system, settings, base);
      log.info("Kafka transport: {}", settings);
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

  /** Hands every record of the batch to the producer; completes with its pass-through once all are acknowledged. */
  private <P> CompletionStage<P> send(Outgoing<P> batch) {
    List<OutRecord> records = batch.records();
    if (records.isEmpty()) {
      return CompletableFuture.completedFuture(batch.passThrough());
    }
    CompletableFuture<P> acknowledged = new CompletableFuture<>();
    AtomicInteger pending = new AtomicInteger(records.size());
    Callback callback = (metadata, error) -> {
      if (error != null) {
        acknowledged.completeExceptionally(error);
      } else if (pending.decrementAndGet() == 0) {
        acknowledged.complete(batch.passThrough());
      }
    };
    try {
      for (OutRecord r : records) {
        String topic = topics.computeIfAbsent(r.table(), settings::topicFor);
        producer.send(r.key() == null
            ? new ProducerRecord<>(topic, 0, null, r.value()) // keyless: one partition keeps the order
            : new ProducerRecord<>(topic, r.key(), r.value()), callback);
        if (acknowledged.isCompletedExceptionally()) {
          break; // a record already failed: the stream fails with it, the rest need not be sent
        }
      }
    } catch (RuntimeException e) {
      acknowledged.completeExceptionally(e);
    }
    return acknowledged;
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
