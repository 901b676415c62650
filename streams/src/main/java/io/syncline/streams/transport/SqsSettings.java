package io.syncline.streams.transport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.syncline.streams.Secret;
import io.syncline.streams.event.TableRef;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Settings of the SQS transport, read from {@code syncline.transport.sqs} (every key has its
 * default and description in {@code reference.conf}).
 *
 * @param endpoint the SQS endpoint URL, e.g. {@code http://localhost:9324} for ElasticMQ; empty: the
 *     AWS endpoint of the region ({@code endpoint})
 * @param region the AWS region; empty: the AWS SDK's default region chain ({@code AWS_REGION},
 *     the profile, instance metadata) ({@code region})
 * @param accessKeyId the access key id; empty: the AWS SDK's default credentials chain
 *     (environment, system properties, web identity, profile, container and instance roles) ({@code access-key-id})
 * @param secretAccessKey the secret access key, never printed ({@code secret-access-key})
 * @param sessionToken a session token for temporary credentials, never printed; empty: none ({@code session-token})
 * @param queuePattern queue name template with {@code ${source}}, {@code ${connector}},
 *     {@code ${database}}, {@code ${schema}}, {@code ${table}}: one queue per table, or per source
 *     with {@code ${source}} alone ({@code queue-pattern}); {@code .fifo} is appended for FIFO queues
 * @param fifo FIFO queues: a message group per table and deduplication ids from source positions ({@code fifo})
 * @param createQueues create missing queues in {@link SqsTransport#prepare} ({@code create-queues})
 * @param maxMessageBytes the largest message (body and attributes), also the largest batch request
 *     ({@code max-message-bytes})
 * @param compression how a message's lines are encoded ({@code compression})
 * @param compressionLevel the gzip level, 1 (fastest) to 9 (smallest) ({@code compression-level})
 * @param sendParallelism SendMessageBatch requests in flight at once ({@code send-parallelism})
 * @param minBackoff first wait before retrying a throttled or failed request ({@code retry.min-backoff})
 * @param maxBackoff longest wait between retries ({@code retry.max-backoff})
 * @param maxAttempts attempts of one request before the stream fails (and the source restarts
 *     from its last acknowledged position) ({@code retry.max-attempts})
 * @param connectTimeout how long connecting to the endpoint may take ({@code connect-timeout})
 * @param requestTimeout how long one request may take ({@code request-timeout})
 */
public record SqsSettings(
    String endpoint,
    String region,
    String accessKeyId,
    Secret secretAccessKey,
    Secret sessionToken,
    String queuePattern,
    boolean fifo,
    boolean createQueues,
    int maxMessageBytes,
    Compression compression,
    int compressionLevel,
    int sendParallelism,
    Duration minBackoff,
    Duration maxBackoff,
    int maxAttempts,
    Duration connectTimeout,
    Duration requestTimeout) {

  /** Where these settings live in the application configuration. */
  public static final String CONFIG_PATH = "syncline.transport.sqs";

  /** SQS's limit on one message before 2025 and ElasticMQ's: 256 KiB. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 262_144;
  /** The largest message SQS accepts at all (1 MiB since August 2025). */
  public static final int SQS_MAX_MESSAGE_BYTES = 1_048_576;
  /** SQS's smallest MaximumMessageSize. */
  public static final int SQS_MIN_MESSAGE_BYTES = 1_024;
  /** Queue names: up to 80 letters, digits, '-' and '_' (with '.fifo' for FIFO queues). */
  public static final int MAX_QUEUE_NAME_LENGTH = 80;

  /** How the lines of a message are encoded in its body. */
  public enum Compression {
    /** The lines as they are (UTF-8 JSON). */
    NONE,
    /** The lines gzipped, then base64 (message bodies must be text). */
    GZIP
  }

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
  private static final Set<String> PLACEHOLDERS = Set.of("source", "connector", "database", "schema", "table");
  private static final Pattern ILLEGAL_QUEUE_CHARS = Pattern.compile("[^a-zA-Z0-9_-]");

  public SqsSettings {
    endpoint = endpoint == null ? "" : endpoint.trim();
    if (!endpoint.isEmpty()) {
      try {
        URI uri = new URI(endpoint);
        if (uri.getScheme() == null || uri.getHost() == null
            || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
          throw invalid("endpoint", "'" + endpoint + "' is not an http(s) URL: write it as http://host:port or "
              + "https://host, or leave it empty for the AWS endpoint of the region");
        }
      } catch (URISyntaxException e) {
        throw invalid("endpoint", "'" + endpoint + "' is not a URL (" + e.getMessage() + "): write it as "
            + "http://host:port or https://host, or leave it empty for the AWS endpoint of the region");
      }
    }
    region = region == null ? "" : region.trim();
    accessKeyId = accessKeyId == null ? "" : accessKeyId.trim();
    secretAccessKey = secretAccessKey == null ? new Secret("") : secretAccessKey;
    sessionToken = sessionToken == null ? new Secret("") : sessionToken;
    if (accessKeyId.isEmpty() != secretAccessKey.isEmpty()) {
      throw invalid(accessKeyId.isEmpty() ? "access-key-id" : "secret-access-key", "is empty while "
          + (accessKeyId.isEmpty() ? "secret-access-key" : "access-key-id") + " is set: give both, or neither to use"
          + " the AWS default credentials chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile, role)");
    }
    if (accessKeyId.isEmpty() && !sessionToken.isEmpty()) {
      throw invalid("session-token", "is set without access-key-id and secret-access-key: give all three");
    }
    if (queuePattern == null || queuePattern.isBlank()) {
      throw invalid("queue-pattern", "is required, e.g. \"${source}-${schema}-${table}\" (a queue per table) or "
          + "\"${source}\" (a queue per source)");
    }
    queuePattern = queuePattern.trim();
    Matcher m = PLACEHOLDER.matcher(queuePattern);
    while (m.find()) {
      if (!PLACEHOLDERS.contains(m.group(1))) {
        throw invalid("queue-pattern", "'" + queuePattern + "' uses the unknown placeholder ${" + m.group(1)
            + "}; known are ${source}, ${connector}, ${database}, ${schema}, ${table}");
      }
    }
    if (maxMessageBytes < SQS_MIN_MESSAGE_BYTES || maxMessageBytes > SQS_MAX_MESSAGE_BYTES) {
      throw invalid("max-message-bytes", "must be between " + SQS_MIN_MESSAGE_BYTES + " and " + SQS_MAX_MESSAGE_BYTES
          + " (SQS's limits), got " + maxMessageBytes);
    }
    if (compression == null) {
      throw invalid("compression", "is required: none or gzip");
    }
    if (compressionLevel < 1 || compressionLevel > 9) {
      throw invalid("compression-level", "must be between 1 (fastest) and 9 (smallest), got " + compressionLevel);
    }
    if (sendParallelism < 1) {
      throw invalid("send-parallelism", "must be at least 1, got " + sendParallelism);
    }
    if (minBackoff == null || minBackoff.isNegative() || minBackoff.isZero()) {
      throw invalid("retry.min-backoff", "must be a positive duration, e.g. 100ms");
    }
    if (maxBackoff == null || maxBackoff.compareTo(minBackoff) < 0) {
      throw invalid("retry.max-backoff", "must be at least retry.min-backoff (" + minBackoff + ")");
    }
    if (maxAttempts < 1) {
      throw invalid("retry.max-attempts", "must be at least 1, got " + maxAttempts);
    }
    if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw invalid("connect-timeout", "must be a positive duration, e.g. 5s");
    }
    if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw invalid("request-timeout", "must be a positive duration, e.g. 30s");
    }
  }

  static IllegalArgumentException invalid(String key, String why) {
    return new IllegalArgumentException("SQS transport setting '" + CONFIG_PATH + "." + key + "' " + why);
  }

  /** Reads {@code syncline.transport.sqs}; keys it lacks take the defaults of {@code reference.conf}. */
  public static SqsSettings create(Config sqs) {
    Config c = sqs.withFallback(ConfigFactory.defaultReference().getConfig(CONFIG_PATH));
    try {
      String compression = c.getString("compression").trim().toLowerCase(Locale.ROOT);
      Compression mode = switch (compression) {
        case "none" -> Compression.NONE;
        case "gzip" -> Compression.GZIP;
        default -> throw invalid("compression", "is '" + compression + "': use none or gzip");
      };
      return new SqsSettings(
          c.getString("endpoint"),
          c.getString("region"),
          c.getString("access-key-id"),
          new Secret(c.getString("secret-access-key")),
          new Secret(c.getString("session-token")),
          c.getString("queue-pattern"),
          c.getBoolean("fifo"),
          c.getBoolean("create-queues"),
          c.getBytes("max-message-bytes") > Integer.MAX_VALUE ? Integer.MAX_VALUE
              : c.getBytes("max-message-bytes").intValue(),
          mode,
          c.getInt("compression-level"),
          c.getInt("send-parallelism"),
          c.getDuration("retry.min-backoff"),
          c.getDuration("retry.max-backoff"),
          c.getInt("retry.max-attempts"),
          c.getDuration("connect-timeout"),
          c.getDuration("request-timeout"));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("SQS transport configuration (" + CONFIG_PATH + "): " + e.getMessage(), e);
    }
  }

  /** Settings for this endpoint (ElasticMQ in tests) with fixed test credentials and every other key at its default. */
  public static SqsSettings forEndpoint(URI endpoint, String region) {
    return create(ConfigFactory.parseMap(Map.of("endpoint", endpoint.toString(), "region", region,
        "access-key-id", "test", "secret-access-key", "test")));
  }

  /** The queue of a table: the pattern with its placeholders filled in, {@code .fifo} appended for FIFO queues. */
  public String queueFor(TableRef table) {
    Map<String, String> values = Map.of(
        "source", table.source(),
        "connector", table.connector(),
        "database", String.valueOf(table.database()),
        "schema", String.valueOf(table.schema()),
        "table", table.table());
    String pattern = fifo && queuePattern.endsWith(".fifo")
        ? queuePattern.substring(0, queuePattern.length() - ".fifo".length()) : queuePattern;
    Matcher m = PLACEHOLDER.matcher(pattern);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement(values.get(m.group(1))));
    }
    m.appendTail(sb);
    String name = ILLEGAL_QUEUE_CHARS.matcher(sb).replaceAll("_") + (fifo ? ".fifo" : "");
    if (name.equals(".fifo") || name.isEmpty() || name.length() > MAX_QUEUE_NAME_LENGTH) {
      throw invalid("queue-pattern", "gives the queue name '" + name + "' for table " + table + ", which SQS refuses"
          + " (1 to " + MAX_QUEUE_NAME_LENGTH + " characters" + (fifo ? " with .fifo" : "") + "); shorten the pattern,"
          + " e.g. \"${source}-${table}\" or \"${source}\"");
    }
    return name;
  }

  /**
   * The most bytes of one SendMessageBatch request (the sum of its messages): SQS's limit, the same
   * as its message limit (256 KiB, 1 MiB since August 2025), never below {@code max-message-bytes}.
   */
  public int maxBatchBytes() {
    return Math.max(DEFAULT_MAX_MESSAGE_BYTES, maxMessageBytes);
  }

  /** The endpoint as the SDK wants it, or null for the region's AWS endpoint. */
  public URI endpointUri() {
    return endpoint.isEmpty() ? null : URI.create(endpoint);
  }

  /** The first four characters of an access key id (it names the account's key; enough to tell keys apart in logs). */
  private static String shortId(String id) {
    return id.length() <= 4 ? "****" : id.substring(0, 4) + "****";
  }

  @Override
  public String toString() {
    return "SqsSettings[endpoint=" + (endpoint.isEmpty() ? "<AWS, by region>" : endpoint)
        + ", region=" + (region.isEmpty() ? "<default chain>" : region)
        + ", credentials=" + (accessKeyId.isEmpty() ? "<default chain>" : "access-key-id " + shortId(accessKeyId)
            + " with secret-access-key ****" + (sessionToken.isEmpty() ? "" : " and session-token ****"))
        + ", queue-pattern=" + queuePattern + ", fifo=" + fifo + ", create-queues=" + createQueues
        + ", max-message-bytes=" + maxMessageBytes + ", compression=" + compression.name().toLowerCase(Locale.ROOT)
        + (compression == Compression.GZIP ? " (level " + compressionLevel + ")" : "")
        + ", send-parallelism=" + sendParallelism + ", retry=" + minBackoff + ".." + maxBackoff + " x" + maxAttempts
        + ", connect-timeout=" + connectTimeout + ", request-timeout=" + requestTimeout + "]";
  }
}
