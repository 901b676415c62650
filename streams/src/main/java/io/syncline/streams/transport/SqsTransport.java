package io.syncline.streams.transport;

import io.syncline.streams.capture.Failures;
import io.syncline.streams.event.TableRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsAsyncClientBuilder;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.QueueNameExistsException;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * Delivers change events to SQS queues, many events per message ({@link SqsMessages}: JSON lines,
 * gzip+base64 when {@code compression = gzip}), sent with SendMessageBatch (up to 10 messages and
 * {@link SqsSettings#maxBatchBytes()} per request). The AWS SDK v2 async client (Netty) does the
 * requests; this class only composes their futures inside an ordered {@code mapAsync}: up to
 * {@code send-parallelism} requests are in flight, the stream is backpressured beyond that, and a
 * batch's pass-through comes out only once SQS accepted every entry of every request of it and of
 * every batch before it. So no source position is acknowledged before SQS has its events.
 *
 * <p>Failures: throttling, 5xx answers, an unreachable endpoint and the entries SQS failed in a
 * partial batch failure are retried (only those entries) with exponential backoff and jitter, up
 * to {@code retry.max-attempts}; then the stream fails with a retryable error and the source
 * restarts from its last acknowledged position. Wrong credentials, a missing queue with
 * {@code create-queues = false} and an event too large for any message are
 * {@link Failures.Permanent}: the source stops with the error, which names the fix (secrets never
 * appear in it). An event too large goes to the dead-letter directory instead when
 * {@code on-refused-record = dead-letter}.
 *
 * <p>FIFO queues: each message has its table as message group and {@link SqsMessages.Packed#deduplicationId()}
 * as deduplication id, so the same events sent again within SQS's five-minute window (after a
 * restart) are dropped by SQS. Standard queues get neither; consumers order by the positions inside.
 */
public final class SqsTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(SqsTransport.class);
  /** Entries per SendMessageBatch request (SQS's limit). */
  static final int MAX_BATCH_ENTRIES = 10;

  private final SqsSettings settings;
  private final SqsAsyncClient client;
  private final ClassicActorSystemProvider system;
  private final DeadLetters deadLetters;
  private final ConcurrentMap<TableRef, String> queues = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, CompletableFuture<String>> urls = new ConcurrentHashMap<>();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong messages = new AtomicLong();

  private SqsTransport(ClassicActorSystemProvider system, SqsSettings settings, SqsAsyncClient client,
      DeadLetters.Settings deadLetter) {
    this.system = system;
    this.settings = settings;
    this.client = client;
    this.deadLetters = new DeadLetters(deadLetter,
        system.classicSystem().dispatchers().lookup(JsonLinesTransport.BLOCKING_IO_DISPATCHER));
  }

  /** Creates the transport and its client (no request is made yet); oversized events stop the source. */
  public static SqsTransport create(ClassicActorSystemProvider system, SqsSettings settings) {
    return create(system, settings, DeadLetters.Settings.FAIL);
  }

  /**
   * The same, with what to do with an event too large for any SQS message: stop with a
   * {@link Failures.Permanent} error, or write it to the dead-letter directory and go on.
   *
   * @throws IllegalArgumentException naming the setting when the client cannot be made (no region found)
   *     or dead letters are asked for without a directory
   */
  public static SqsTransport create(ClassicActorSystemProvider system, SqsSettings settings,
      DeadLetters.Settings deadLetter) {
    if (deadLetter.deadLetter() && deadLetter.directory() == null) {
      throw new IllegalArgumentException("'" + DeadLetters.Settings.CONFIG_PATH + ".on-refused-record' = dead-letter"
          + " needs '" + DeadLetters.Settings.CONFIG_PATH + ".directory' for the SQS transport (a dead-letter topic"
          + " is Kafka's): set a directory for the events SQS refuses");
    }
    SqsTransport transport = new SqsTransport(system, settings, client(settings), deadLetter);
    log.info("SQS transport: {}, events too large for a message: {}", settings, deadLetter);
    return transport;
  }

  /** The SDK client: Netty, no SDK retries (this transport retries), the configured endpoint, region and credentials. */
  static SqsAsyncClient client(SqsSettings settings) {
    SqsAsyncClientBuilder b = SqsAsyncClient.builder()
        .httpClientBuilder(NettyNioAsyncHttpClient.builder()
            .maxConcurrency(Math.max(16, settings.sendParallelism() * 2 + 4))
            .connectionTimeout(settings.connectTimeout())
            .readTimeout(settings.requestTimeout())
            .writeTimeout(settings.requestTimeout()))
        .overrideConfiguration(ClientOverrideConfiguration.builder()
            .apiCallTimeout(settings.requestTimeout())
            .retryStrategy(AwsRetryStrategy.doNotRetry())
            .build())
        .region(region(settings))
        .credentialsProvider(credentials(settings));
    if (settings.endpointUri() != null) {
      b.endpointOverride(settings.endpointUri());
    }
    return b.build();
  }

  private static Region region(SqsSettings settings) {
    if (!settings.region().isEmpty()) {
      return Region.of(settings.region());
    }
    try {
      return DefaultAwsRegionProviderChain.builder().build().getRegion();
    } catch (SdkClientException e) {
      throw SqsSettings.invalid("region", "is empty and the AWS default region chain found none (" + e.getMessage()
          + "). Fix: set it, e.g. region = \"eu-west-1\", or the environment variable AWS_REGION");
    }
  }

  private static AwsCredentialsProvider credentials(SqsSettings settings) {
    if (settings.accessKeyId().isEmpty()) {
      return DefaultCredentialsProvider.builder().build();
    }
    return StaticCredentialsProvider.create(settings.sessionToken().isEmpty()
        ? AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey().value())
        : AwsSessionCredentials.create(settings.accessKeyId(), settings.secretAccessKey().value(),
            settings.sessionToken().value()));
  }

  /** The settings this transport runs with. */
  public SqsSettings settings() {
    return settings;
  }

  /** SendMessageBatch requests sent so far (each retry counts). */
  public long requests() {
    return requests.get();
  }

  /** Messages SQS accepted so far. */
  public long messages() {
    return messages.get();
  }

  /**
   * Finds the queue of each table, creating the missing ones when {@code create-queues} (FIFO
   * attributes when {@code fifo}); completes once all exist, fails naming the queue and the fix
   * otherwise (a missing queue with {@code create-queues = false}, wrong credentials: permanent).
   */
  @Override
  public CompletionStage<Done> prepare(Collection<TableRef> tables) {
    Set<String> names = new TreeSet<>();
    try {
      for (TableRef t : tables) {
        names.add(queueOf(t));
      }
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<?>[] all = names.stream().map(this::url).toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(all).thenApply(v -> {
      if (!names.isEmpty()) {
        log.info("SQS queues ready: {}", names);
      }
      return Done.getInstance();
    });
  }

  private String queueOf(TableRef table) {
    return queues.computeIfAbsent(table, t -> {
      try {
        return settings.queueFor(t);
      } catch (IllegalArgumentException e) {
        throw new Failures.Permanent(e.getMessage(), e);
      }
    });
  }

  /** The queue's URL, found or created once and remembered; a failure is not remembered. */
  private CompletableFuture<String> url(String queue) {
    CompletableFuture<String> known = urls.get(queue);
    if (known != null) {
      return known;
    }
    CompletableFuture<String> created = new CompletableFuture<>();
    CompletableFuture<String> raced = urls.putIfAbsent(queue, created);
    if (raced != null) {
      return raced;
    }
    resolve(queue).whenComplete((url, error) -> {
      if (error != null) {
        urls.remove(queue, created);
        created.completeExceptionally(Failures.unwrap(error));
      } else {
        created.complete(url);
      }
    });
    return created;
  }

  private CompletableFuture<String> resolve(String queue) {
    return client.getQueueUrl(b -> b.queueName(queue))
        .thenApply(r -> r.queueUrl())
        .exceptionallyCompose(error -> {
          Throwable e = Failures.unwrap(error);
          return switch (classify(e)) {
            case QUEUE_MISSING -> settings.createQueues() ? createQueue(queue)
                : CompletableFuture.failedFuture(new Failures.Permanent("SQS queue '" + queue + "' does not exist at "
                    + where() + " and " + SqsSettings.CONFIG_PATH + ".create-queues = false. Fix: create it"
                    + (settings.fifo() ? " as a FIFO queue (FifoQueue = true; its name ends with .fifo)" : "")
                    + ", or set " + SqsSettings.CONFIG_PATH + ".create-queues = true, or change "
                    + SqsSettings.CONFIG_PATH + ".queue-pattern (\"" + settings.queuePattern() + "\") to name an "
                    + "existing queue", e));
            default -> CompletableFuture.failedFuture(failure("could not look up the SQS queue '" + queue + "'", e));
          };
        })
        .thenCompose(url -> checkSize(queue, url));
  }

  private CompletableFuture<String> createQueue(String queue) {
    Map<QueueAttributeName, String> attributes = new HashMap<>();
    attributes.put(QueueAttributeName.MAXIMUM_MESSAGE_SIZE, Integer.toString(settings.maxMessageBytes()));
    if (settings.fifo()) {
      attributes.put(QueueAttributeName.FIFO_QUEUE, "true");
      attributes.put(QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "false");
    }
    return client.createQueue(b -> b.queueName(queue).attributes(attributes))
        .thenApply(r -> {
          log.info("created SQS queue {} ({}) at {}", queue, settings.fifo() ? "FIFO" : "standard", where());
          return r.queueUrl();
        })
        .exceptionallyCompose(error -> {
          Throwable e = Failures.unwrap(error);
          if (e instanceof QueueNameExistsException) { // created meanwhile (another node), maybe with other attributes
            return client.getQueueUrl(b -> b.queueName(queue)).thenApply(r -> r.queueUrl());
          }
          return CompletableFuture.failedFuture(failure("could not create the SQS queue '" + queue + "' ("
              + (settings.fifo() ? "FIFO" : "standard") + "); create it yourself and set " + SqsSettings.CONFIG_PATH
              + ".create-queues = false, or grant sqs:CreateQueue", e));
        });
  }

  /** Refuses a queue whose MaximumMessageSize is below {@code max-message-bytes}: every full message would fail. */
  private CompletableFuture<String> checkSize(String queue, String url) {
    return client.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.MAXIMUM_MESSAGE_SIZE))
        .thenCompose(r -> {
          String max = r.attributes().get(QueueAttributeName.MAXIMUM_MESSAGE_SIZE);
          if (max != null && max.matches("\\d+") && Long.parseLong(max) < settings.maxMessageBytes()) {
            return CompletableFuture.<String>failedFuture(new Failures.Permanent("SQS queue '" + queue
                + "' takes messages up to " + max + " bytes (its MaximumMessageSize), less than "
                + SqsSettings.CONFIG_PATH + ".max-message-bytes = " + settings.maxMessageBytes() + ". Fix: raise the "
                + "queue's MaximumMessageSize (SetQueueAttributes) or lower max-message-bytes to " + max));
          }
          return CompletableFuture.completedFuture(url);
        })
        .exceptionallyCompose(error -> {
          Throwable e = Failures.unwrap(error);
          return e instanceof Failures.Permanent ? CompletableFuture.failedFuture(e)
              : CompletableFuture.failedFuture(failure("could not read the attributes of the SQS queue '" + queue + "'", e));
        });
  }

  // ------------------------------------------------------------------ delivery

  /** What the delivery stage does, in order: send a request, or hand back a batch's pass-through. */
  private sealed interface Step<P> permits Send, Release {}

  /** One SendMessageBatch request: up to 10 messages of one queue. */
  private record Send<P>(String queue, List<SqsMessages.Packed> messages) implements Step<P> {}

  /** The end of a batch: its dead letters are written, then its pass-through comes out. */
  private record Release<P>(P passThrough, List<DeadLetters.Refused> refused) implements Step<P> {}

  @Override
  public <P> Flow<Outgoing<P>, P, NotUsed> flow() {
    return Flow.<Outgoing<P>>create()
        .mapConcat(this::<P>plan)
        .mapAsync(settings.sendParallelism(), this::<P>run)
        .filter(step -> step instanceof Release<?>)
        .map(step -> ((Release<P>) step).passThrough());
  }

  /** Packs a batch into messages, per table, and groups them into requests per queue. */
  private <P> List<Step<P>> plan(Outgoing<P> batch) {
    Map<TableRef, List<OutRecord>> perTable = new LinkedHashMap<>();
    for (OutRecord r : batch.records()) {
      perTable.computeIfAbsent(r.table(), t -> new ArrayList<>()).add(r);
    }
    Map<String, List<SqsMessages.Packed>> perQueue = new LinkedHashMap<>();
    List<DeadLetters.Refused> refused = new ArrayList<>();
    perTable.forEach((table, records) -> {
      String queue = queueOf(table);
      SqsMessages.Packing packing = SqsMessages.pack(table, records, settings.maxMessageBytes(),
          settings.compression() == SqsSettings.Compression.GZIP, settings.compressionLevel());
      for (SqsMessages.Oversized o : packing.oversized()) {
        if (!deadLetters.settings().deadLetter()) {
          throw tooLarge(o, queue);
        }
        refused.add(new DeadLetters.Refused(o.record(), name(), queue, tooLargeReason(o)));
      }
      perQueue.computeIfAbsent(queue, q -> new ArrayList<>()).addAll(packing.messages());
    });
    List<Step<P>> steps = new ArrayList<>();
    perQueue.forEach((queue, packed) -> {
      List<SqsMessages.Packed> request = new ArrayList<>();
      int bytes = 0;
      for (SqsMessages.Packed m : packed) {
        if (!request.isEmpty() && (request.size() == MAX_BATCH_ENTRIES || bytes + m.size() > settings.maxBatchBytes())) {
          steps.add(new Send<>(queue, List.copyOf(request)));
          request.clear();
          bytes = 0;
        }
        request.add(m);
        bytes += m.size();
      }
      if (!request.isEmpty()) {
        steps.add(new Send<>(queue, List.copyOf(request)));
      }
    });
    steps.add(new Release<>(batch.passThrough(), refused));
    return steps;
  }

  private <P> CompletionStage<Step<P>> run(Step<P> step) {
    if (step instanceof Send<P> send) {
      return url(send.queue())
          .thenCompose(url -> send(send.queue(), url, send.messages(), 1))
          .thenApply(v -> step);
    }
    return deadLetters.writeFile(((Release<P>) step).refused()).thenApply(v -> step);
  }

  /**
   * Sends the messages in one SendMessageBatch request; retries the whole request (throttled,
   * 5xx, no answer) or the entries SQS failed (a partial failure), after a backoff, until SQS
   * accepted them all or {@code retry.max-attempts} is reached.
   */
  private CompletableFuture<Done> send(String queue, String url, List<SqsMessages.Packed> batch, int attempt) {
    List<SendMessageBatchRequestEntry> entries = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      entries.add(entry(Integer.toString(i), batch.get(i)));
    }
    requests.incrementAndGet();
    log.debug("SendMessageBatch of {} message(s) to {} (attempt {})", batch.size(), queue, attempt);
    return client.sendMessageBatch(b -> b.queueUrl(url).entries(entries))
        .handle((response, error) -> {
          log.debug("SendMessageBatch to {} (attempt {}): {}", queue, attempt, error == null ? "answered" : error.toString());
          if (error != null) {
            Throwable e = Failures.unwrap(error);
            Kind kind = classify(e);
            if (kind == Kind.QUEUE_MISSING && settings.createQueues()) {
              urls.remove(queue); // deleted while running: the next attempt creates it again
              return retry(queue, batch, attempt, "the queue no longer exists", e,
                  () -> url(queue).thenCompose(again -> send(queue, again, batch, attempt + 1)));
            }
            if (kind == Kind.RETRY) {
              return retry(queue, batch, attempt, describe(e), e, () -> send(queue, url, batch, attempt + 1));
            }
            return CompletableFuture.<Done>failedFuture(kind == Kind.QUEUE_MISSING
                ? new Failures.Permanent("SQS queue '" + queue + "' no longer exists at " + where() + " and "
                    + SqsSettings.CONFIG_PATH + ".create-queues = false. Fix: create it again, or set create-queues"
                    + " = true; the events not yet accepted are sent after the restart", e)
                : failure("SQS did not accept " + batch.size() + " message(s) of " + tables(batch) + " into queue '"
                    + queue + "'", e));
          }
          return onResponse(queue, url, batch, attempt, response);
        })
        .thenCompose(f -> f);
  }

  private CompletableFuture<Done> onResponse(String queue, String url, List<SqsMessages.Packed> batch, int attempt,
      SendMessageBatchResponse response) {
    messages.addAndGet(response.successful().size());
    if (response.failed().isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    List<SqsMessages.Packed> again = new ArrayList<>();
    for (BatchResultErrorEntry failed : response.failed()) {
      SqsMessages.Packed m = batch.get(Integer.parseInt(failed.id()));
      if (Boolean.TRUE.equals(failed.senderFault()) && !isThrottling(failed.code())) {
        return CompletableFuture.failedFuture(new Failures.Permanent("SQS refuses a message of "
            + DeadLetters.display(m.table()) + " (" + m.records().size() + " events, source positions "
            + DeadLetters.position(m.records().get(0)) + " to " + DeadLetters.position(m.records().get(m.records().size() - 1))
            + ", " + m.size() + " bytes) in queue '" + queue + "': " + failed.code() + ": " + failed.message()
            + ". It is not retried, and nothing after it is acknowledged. Fix: check the queue's attributes "
            + "(MaximumMessageSize, FIFO) against " + SqsSettings.CONFIG_PATH + " (max-message-bytes, fifo)"));
      }
      again.add(m);
    }
    String reason = again.size() + " of " + batch.size() + " entries failed (" + response.failed().get(0).code() + ": "
        + response.failed().get(0).message() + ")";
    return retry(queue, again, attempt, reason, null, () -> send(queue, url, again, attempt + 1));
  }

  private CompletableFuture<Done> retry(String queue, List<SqsMessages.Packed> batch, int attempt, String reason,
      Throwable cause, java.util.function.Supplier<CompletableFuture<Done>> next) {
    if (attempt >= settings.maxAttempts()) {
      return CompletableFuture.failedFuture(new IllegalStateException("SQS did not accept " + batch.size()
          + " message(s) of " + tables(batch) + " into queue '" + queue + "' at " + where() + " after " + attempt
          + " attempts (" + SqsSettings.CONFIG_PATH + ".retry.max-attempts): " + reason + ". The source restarts from"
          + " its last acknowledged position; nothing is lost", cause));
    }
    Duration wait = backoff(attempt);
    log.warn("SQS queue '{}' at {}: {}; sending {} message(s) again in {} ms (attempt {} of {})", queue, where(),
        reason, batch.size(), wait.toMillis(), attempt + 1, settings.maxAttempts());
    // (Patterns.after never completes with a null result: the futures here complete with Done)
    return Patterns.after(wait, system, next::get).toCompletableFuture();
  }

  /** Exponential backoff with full jitter: a random wait up to min-backoff x 2^(attempt-1), at most max-backoff. */
  Duration backoff(int attempt) {
    long ceiling = settings.minBackoff().toMillis() << Math.min(20, attempt - 1);
    long max = Math.min(settings.maxBackoff().toMillis(), ceiling);
    long min = settings.minBackoff().toMillis();
    return Duration.ofMillis(min + ThreadLocalRandom.current().nextLong(Math.max(1, max - min + 1)));
  }

  private SendMessageBatchRequestEntry entry(String id, SqsMessages.Packed m) {
    Map<String, MessageAttributeValue> attributes = new LinkedHashMap<>();
    m.attributes().forEach((k, v) -> attributes.put(k, MessageAttributeValue.builder().dataType("String").stringValue(v).build()));
    SendMessageBatchRequestEntry.Builder b = SendMessageBatchRequestEntry.builder()
        .id(id)
        .messageBody(m.body())
        .messageAttributes(attributes);
    if (settings.fifo()) {
      b.messageGroupId(m.groupId()).messageDeduplicationId(m.deduplicationId());
    }
    return b.build();
  }

  private static String tables(List<SqsMessages.Packed> batch) {
    return String.join(", ", batch.stream().map(m -> DeadLetters.display(m.table())).distinct().toList());
  }

  private String tooLargeReason(SqsMessages.Oversized o) {
    return "alone it makes an SQS message of " + o.size() + " bytes (body" + (settings.compression()
        == SqsSettings.Compression.GZIP ? " after gzip and base64" : "") + ", and attributes), larger than "
        + SqsSettings.CONFIG_PATH + ".max-message-bytes = " + settings.maxMessageBytes();
  }

  /** The error an event too large for any message stops the source with: table, position, size, limit and fix. */
  private Failures.Permanent tooLarge(SqsMessages.Oversized o, String queue) {
    OutRecord r = o.record();
    return new Failures.Permanent("SQS cannot take a change of " + DeadLetters.display(r.table()) + " at source position "
        + DeadLetters.position(r) + " (queue '" + queue + "'): the event is " + r.size() + " bytes (key and value) and "
        + tooLargeReason(o) + ". It is never dropped: it is not sent, and nothing after it is delivered or "
        + "acknowledged. Fix: raise " + SqsSettings.CONFIG_PATH + ".max-message-bytes (SQS takes up to "
        + SqsSettings.SQS_MAX_MESSAGE_BYTES + " where the queue's MaximumMessageSize allows)"
        + (settings.compression() == SqsSettings.Compression.NONE ? ", or set " + SqsSettings.CONFIG_PATH
            + ".compression = gzip" : "") + ", or set " + DeadLetters.Settings.CONFIG_PATH
        + ".on-refused-record = dead-letter with a " + DeadLetters.Settings.CONFIG_PATH + ".directory to set such "
        + "events aside and go on");
  }

  // ------------------------------------------------------------------ failures

  /** What a failed request means. */
  enum Kind {
    /** Throttled, a server error, or no answer (network, timeout): trying again may succeed. */
    RETRY,
    /** The queue does not exist. */
    QUEUE_MISSING,
    /** The credentials are wrong or lack a permission: trying again does the same. */
    DENIED,
    /** The request itself is wrong (a parameter, a limit): trying again does the same. */
    REFUSED
  }

  private static final Set<String> DENIED_CODES = Set.of("InvalidClientTokenId", "SignatureDoesNotMatch",
      "UnrecognizedClientException", "AccessDenied", "AccessDeniedException", "MissingAuthenticationToken",
      "InvalidAccessKeyId", "IncompleteSignature", "AuthFailure", "InvalidSecurity", "OptInRequired",
      "KMS.AccessDeniedException", "KmsAccessDenied");
  private static final Set<String> QUEUE_MISSING_CODES = Set.of("AWS.SimpleQueueService.NonExistentQueue",
      "QueueDoesNotExist", "NonExistentQueue");

  static boolean isThrottling(String code) {
    return code != null && (code.contains("Throttl") || code.equals("RequestThrottled")
        || code.equals("TooManyRequestsException") || code.equals("SlowDown") || code.equals("KmsThrottled"));
  }

  /** Classifies a failed request (pure: by exception type, status and AWS error code). */
  static Kind classify(Throwable e) {
    if (e instanceof QueueDoesNotExistException) {
      return Kind.QUEUE_MISSING;
    }
    if (e instanceof AwsServiceException s) {
      String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
      if (code != null && QUEUE_MISSING_CODES.contains(code)) {
        return Kind.QUEUE_MISSING;
      }
      if (isThrottling(code) || s.isThrottlingException() || s.statusCode() == 429 || s.statusCode() >= 500) {
        return Kind.RETRY;
      }
      if ("ExpiredToken".equals(code) || "RequestExpired".equals(code)) {
        return Kind.RETRY; // refreshed credentials or a corrected clock make it pass
      }
      if ((code != null && DENIED_CODES.contains(code)) || s.statusCode() == 401 || s.statusCode() == 403) {
        return Kind.DENIED;
      }
      return Kind.REFUSED;
    }
    if (e instanceof SdkClientException c && c.getMessage() != null
        && c.getMessage().contains("Unable to load credentials")) {
      return Kind.DENIED;
    }
    return Kind.RETRY;
  }

  /** The exception a failed request becomes: permanent (naming the fix) or retryable (naming the endpoint). */
  private RuntimeException failure(String what, Throwable e) {
    return switch (classify(e)) {
      case DENIED -> new Failures.Permanent(what + " at " + where() + ": the credentials are refused ("
          + describe(e) + "). Fix: check " + SqsSettings.CONFIG_PATH + ".access-key-id and secret-access-key"
          + (settings.accessKeyId().isEmpty() ? " (empty: the AWS default credentials chain was used: environment,"
              + " profile, role)" : "") + " and that they may use SQS (sqs:GetQueueUrl, sqs:CreateQueue,"
          + " sqs:GetQueueAttributes, sqs:SendMessage) on this queue", e);
      case REFUSED -> new Failures.Permanent(what + " at " + where() + ": " + describe(e) + ". Fix: check the queue "
          + "against " + SqsSettings.CONFIG_PATH + " (queue-pattern, fifo, max-message-bytes)", e);
      case QUEUE_MISSING, RETRY -> new IllegalStateException(what + " at " + where() + ": " + describe(e)
          + ". Retried with backoff: check that the endpoint (" + SqsSettings.CONFIG_PATH + ".endpoint) and region"
          + " are right and reachable", e);
    };
  }

  /** A failure in a line: the AWS error code and message, or the client's reason (never a credential). */
  static String describe(Throwable e) {
    if (e instanceof AwsServiceException s && s.awsErrorDetails() != null) {
      return s.awsErrorDetails().errorCode() + ": " + s.awsErrorDetails().errorMessage() + " (HTTP " + s.statusCode() + ")";
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return root == e ? message : message + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
  }

  private String where() {
    return settings.endpoint().isEmpty() ? "SQS in " + (settings.region().isEmpty() ? "the default region"
        : settings.region()) : settings.endpoint();
  }

  @Override
  public String name() {
    return "sqs";
  }

  /** Releases the client (its connections and event loop) and the dead-letter file. */
  @Override
  public void close() {
    log.info("SQS transport closed: {} message(s) accepted in {} SendMessageBatch request(s)", messages.get(),
        requests.get());
    try {
      client.close();
    } finally {
      deadLetters.close();
    }
  }
}
