package io.syncline.streams.transport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import io.syncline.streams.event.TableRef;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Settings of the Kafka transport, read from {@code syncline.transport.kafka} (every key is
 * documented and defaulted in {@code reference.conf}).
 *
 * <p>Delivery guarantees are not negotiable: the producer always runs with
 * {@code enable.idempotence=true} and {@code acks=all}, and at most 5 requests in flight per
 * connection, so that a record acknowledged to the caller is on every in-sync replica and records
 * of one key are never reordered or doubled by retries. Overrides that would weaken this are
 * refused when the settings are created.
 *
 * @param bootstrapServers {@code host:port} list of the Kafka cluster ({@code bootstrap-servers})
 * @param topicPrefix value of {@code ${prefix}} in the topic pattern; empty means the table's
 *     logical source name ({@code topic-prefix})
 * @param topicPattern topic name template with {@code ${prefix}}, {@code ${source}},
 *     {@code ${connector}}, {@code ${database}}, {@code ${schema}}, {@code ${table}} ({@code topic-pattern})
 * @param partitions partitions of topics the transport creates ({@code partitions})
 * @param replicationFactor replication factor of topics the transport creates ({@code replication-factor})
 * @param createTopics whether {@link KafkaTransport#prepare} creates missing topics ({@code create-topics})
 * @param producer Kafka producer properties added to the enforced ones ({@code producer}); may hold
 *     secrets (SASL/SSL), which {@link #toString()} never shows
 * @param parallelism batches in flight at once, awaiting acknowledgement ({@code parallelism})
 * @param adminTimeout how long topic creation may take before {@code prepare} fails ({@code admin-timeout})
 * @param closeTimeout how long {@code close()} waits for the producer to send what it holds ({@code close-timeout})
 * @param tombstonesOnDelete follow every delete (also the delete of a key change) with a tombstone, a
 *     record of the same key and a null value, so that log compaction drops the key ({@code tombstones-on-delete})
 */
public record KafkaSettings(
    String bootstrapServers,
    String topicPrefix,
    String topicPattern,
    int partitions,
    short replicationFactor,
    boolean createTopics,
    Map<String, String> producer,
    int parallelism,
    Duration adminTimeout,
    Duration closeTimeout,
    boolean tombstonesOnDelete) {

  /** Where these settings live in the application configuration. */
  public static final String CONFIG_PATH = "syncline.transport.kafka";

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
  private static final Set<String> PLACEHOLDERS = Set.of("prefix", "source", "connector", "database", "schema", "table");
  private static final Pattern ILLEGAL_TOPIC_CHARS = Pattern.compile("[^a-zA-Z0-9._-]");
  private static final int MAX_TOPIC_LENGTH = 249;

  public KafkaSettings {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw invalid("bootstrap-servers", "is required: give the brokers as host:port[,host:port], "
          + "or set the environment variable SYNCLINE_KAFKA_BOOTSTRAP_SERVERS");
    }
    topicPrefix = topicPrefix == null ? "" : topicPrefix.trim();
    if (!topicPrefix.isEmpty() && ILLEGAL_TOPIC_CHARS.matcher(topicPrefix).find()) {
      throw invalid("topic-prefix", "'" + topicPrefix
          + "' may only contain letters, digits, '.', '_' and '-' (it becomes part of topic names)");
    }
    if (topicPattern == null || topicPattern.isBlank()) {
      throw invalid("topic-pattern", "is required, e.g. \"${prefix}.${schema}.${table}\"");
    }
    Matcher m = PLACEHOLDER.matcher(topicPattern);
    while (m.find()) {
      if (!PLACEHOLDERS.contains(m.group(1))) {
        throw invalid("topic-pattern", "'" + topicPattern + "' uses the unknown placeholder ${" + m.group(1)
            + "}; known are ${prefix}, ${source}, ${connector}, ${database}, ${schema}, ${table}");
      }
    }
    if (partitions < 1) {
      throw invalid("partitions", "must be at least 1, got " + partitions);
    }
    if (replicationFactor < 1) {
      throw invalid("replication-factor", "must be at least 1, got " + replicationFactor);
    }
    if (parallelism < 1) {
      throw invalid("parallelism", "must be at least 1, got " + parallelism);
    }
    if (adminTimeout == null || adminTimeout.isNegative() || adminTimeout.isZero()) {
      throw invalid("admin-timeout", "must be a positive duration, e.g. 30s");
    }
    if (closeTimeout == null || closeTimeout.isNegative()) {
      throw invalid("close-timeout", "must be a duration of 0s or more, e.g. 30s");
    }
    producer = Map.copyOf(producer == null ? Map.of() : producer);
    producer.forEach(KafkaSettings::checkProducerOverride);
  }

  /** Refuses producer overrides that would weaken delivery or that other settings own. */
  private static void checkProducerOverride(String key, String rawValue) {
    String value = rawValue.trim().toLowerCase(Locale.ROOT);
    String where = "producer." + key;
    switch (key) {
      case "enable.idempotence" -> {
        if (!value.equals("true")) {
          throw invalid(where, "= " + rawValue + " is refused: the transport needs the idempotent producer "
              + "so retries never duplicate or reorder records of a key; remove the override");
        }
      }
      case "acks" -> {
        if (!value.equals("all") && !value.equals("-1")) {
          throw invalid(where, "= " + rawValue + " is refused: a batch is acknowledged to the source only once "
              + "every in-sync replica has it, which needs acks=all; remove the override");
        }
      }
      case "max.in.flight.requests.per.connection" -> {
        int n = parseInt(where, rawValue);
        if (n < 1 || n > 5) {
          throw invalid(where, "= " + rawValue + " is refused: the idempotent producer keeps per-key order only "
              + "with 1 to 5 requests in flight per connection");
        }
      }
      case "retries" -> {
        if (parseInt(where, rawValue) < 1) {
          throw invalid(where, "= " + rawValue + " is refused: the idempotent producer needs retries > 0; "
              + "bound retrying with delivery.timeout.ms instead");
        }
      }
      case "bootstrap.servers" -> throw invalid(where, "is set by 'bootstrap-servers': move the value there");
      case "key.serializer", "value.serializer" ->
          throw invalid(where, "cannot be overridden: keys and values are already-encoded bytes");
      case "transactional.id" -> throw invalid(where, "is not supported: the transport relies on the "
          + "idempotent producer, not on transactions; remove the override");
      default -> { }
    }
  }

  private static int parseInt(String where, String raw) {
    try {
      return Integer.parseInt(raw.trim());
    } catch (NumberFormatException e) {
      throw invalid(where, "must be an integer, got '" + raw + "'");
    }
  }

  private static IllegalArgumentException invalid(String key, String why) {
    return new IllegalArgumentException("Kafka transport setting '" + CONFIG_PATH + "." + key + "' " + why);
  }

  /**
   * Reads the settings from the {@code syncline.transport.kafka} subtree; keys it lacks take the
   * defaults of {@code reference.conf}.
   */
  public static KafkaSettings create(Config kafka) {
    Config c = kafka.withFallback(ConfigFactory.defaultReference().getConfig(CONFIG_PATH));
    try {
      int rf = c.getInt("replication-factor");
      if (rf > Short.MAX_VALUE) {
        throw invalid("replication-factor", "must be at most " + Short.MAX_VALUE + ", got " + rf);
      }
      return new KafkaSettings(
          c.getString("bootstrap-servers"),
          c.getString("topic-prefix"),
          c.getString("topic-pattern"),
          c.getInt("partitions"),
          (short) rf,
          c.getBoolean("create-topics"),
          properties(c.getConfig("producer")),
          c.getInt("parallelism"),
          c.getDuration("admin-timeout"),
          c.getDuration("close-timeout"),
          c.getBoolean("tombstones-on-delete"));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("Kafka transport configuration (" + CONFIG_PATH + "): " + e.getMessage(), e);
    }
  }

  /**
   * Flattens {@code { linger.ms = 5, "sasl.jaas.config" = "..." }} into Kafka property names. A
   * property may be written nested ({@code delivery.timeout.ms = 1}) or as one quoted key
   * ({@code "delivery.timeout.ms" = 1}); HOCON keeps the two apart, so when both name the same
   * property the one the user wrote wins over reference.conf's default, and two different values
   * the user wrote are refused rather than one silently dropped.
   */
  private static Map<String, String> properties(Config producer) {
    Map<String, String> props = new TreeMap<>();
    Map<String, Boolean> fromDefaults = new java.util.HashMap<>();
    for (Map.Entry<String, ConfigValue> e : producer.entrySet()) {
      String name = String.join(".", ConfigUtil.splitPath(e.getKey()));
      Object v = e.getValue().unwrapped();
      String value = v instanceof Iterable<?> list
          ? String.join(",", StreamSupport.stream(list.spliterator(), false).map(String::valueOf).toList())
          : String.valueOf(v);
      boolean isDefault = isReference(e.getValue());
      String before = props.get(name);
      if (before == null) {
        props.put(name, value);
        fromDefaults.put(name, isDefault);
      } else if (fromDefaults.get(name) && !isDefault) {
        props.put(name, value);
        fromDefaults.put(name, false);
      } else if (!isDefault && !before.equals(value)) {
        throw invalid("producer." + name, "is set twice with different values (" + (isSecret(name) ? "****" : before)
            + " and " + (isSecret(name) ? "****" : value) + "), once as a quoted key and once nested. Fix: write it"
            + " once, e.g. producer { " + name + " = ... }");
      }
    }
    return props;
  }

  /** Whether a value comes from a {@code reference.conf} (a default), not from the user's configuration. */
  private static boolean isReference(ConfigValue value) {
    String resource = value.origin().resource();
    return resource != null && resource.endsWith("reference.conf");
  }

  /** Settings for a broker at {@code bootstrapServers} with every other key at its default. */
  public static KafkaSettings defaults(String bootstrapServers) {
    return create(ConfigFactory.parseMap(Map.of("bootstrap-servers", bootstrapServers)));
  }

  /** A copy with these producer properties added to (and replacing) the current overrides. */
  public KafkaSettings withProducerOverrides(Map<String, String> overrides) {
    Map<String, String> merged = new TreeMap<>(producer);
    merged.putAll(overrides);
    return new KafkaSettings(bootstrapServers, topicPrefix, topicPattern, partitions, replicationFactor,
        createTopics, merged, parallelism, adminTimeout, closeTimeout, tombstonesOnDelete);
  }

  /** A copy creating topics with this many partitions. */
  public KafkaSettings withPartitions(int partitions) {
    return new KafkaSettings(bootstrapServers, topicPrefix, topicPattern, partitions, replicationFactor,
        createTopics, producer, parallelism, adminTimeout, closeTimeout, tombstonesOnDelete);
  }

  /** A copy using this topic prefix instead of the source name. */
  public KafkaSettings withTopicPrefix(String topicPrefix) {
    return new KafkaSettings(bootstrapServers, topicPrefix, topicPattern, partitions, replicationFactor,
        createTopics, producer, parallelism, adminTimeout, closeTimeout, tombstonesOnDelete);
  }

  /** A copy that does (or does not) follow deletes with tombstones. */
  public KafkaSettings withTombstonesOnDelete(boolean tombstonesOnDelete) {
    return new KafkaSettings(bootstrapServers, topicPrefix, topicPattern, partitions, replicationFactor,
        createTopics, producer, parallelism, adminTimeout, closeTimeout, tombstonesOnDelete);
  }

  /** The producer's {@code max.request.size}: the largest record (key, value and headers) it sends. */
  public int maxRequestSize() {
    String v = producer.get("max.request.size");
    return v == null ? 1_048_576 : parseInt("producer.max.request.size", v);
  }

  /**
   * The topic of a table: the pattern with its placeholders filled in; characters Kafka does not
   * allow in topic names (anything but letters, digits, {@code .}, {@code _}, {@code -}) become {@code _}.
   */
  public String topicFor(TableRef table) {
    Map<String, String> values = Map.of(
        "prefix", topicPrefix.isEmpty() ? table.source() : topicPrefix,
        "source", table.source(),
        "connector", table.connector(),
        "database", String.valueOf(table.database()),
        "schema", String.valueOf(table.schema()),
        "table", table.table());
    Matcher m = PLACEHOLDER.matcher(topicPattern);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement(values.get(m.group(1))));
    }
    m.appendTail(sb);
    String topic = ILLEGAL_TOPIC_CHARS.matcher(sb).replaceAll("_");
    if (topic.isEmpty() || topic.equals(".") || topic.equals("..") || topic.length() > MAX_TOPIC_LENGTH) {
      throw invalid("topic-pattern", "gives the topic name '" + topic + "' for table " + table
          + ", which Kafka refuses (1 to " + MAX_TOPIC_LENGTH + " characters, not '.' or '..'); shorten the pattern");
    }
    return topic;
  }

  /**
   * The complete producer configuration: bootstrap servers, the overrides, and the enforced
   * delivery properties ({@code enable.idempotence=true}, {@code acks=all}, at most 5 in flight).
   */
  public Map<String, String> producerProperties() {
    Map<String, String> p = new LinkedHashMap<>(producer);
    p.put("bootstrap.servers", bootstrapServers);
    p.put("enable.idempotence", "true");
    p.put("acks", "all");
    p.putIfAbsent("max.in.flight.requests.per.connection", "5");
    return p;
  }

  /** Producer overrides that also apply to the admin client (security, client DNS and timeouts). */
  public Map<String, String> adminProperties() {
    Set<String> adminConfigNames = AdminClientConfig.configNames();
    Map<String, String> p = new LinkedHashMap<>();
    producer.forEach((k, v) -> {
      if (adminConfigNames.contains(k) && !k.equals("client.id")) {
        p.put(k, v);
      }
    });
    p.put("bootstrap.servers", bootstrapServers);
    return p;
  }

  /** Whether a producer property holds a credential (its value is never printed). */
  static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.contains("token")
        || k.contains("credential") || k.endsWith(".key") || k.contains("keystore.key");
  }

  @Override
  public String toString() {
    Map<String, String> shown = new TreeMap<>();
    producer.forEach((k, v) -> shown.put(k, isSecret(k) ? "****" : v));
    return "KafkaSettings[bootstrap-servers=" + bootstrapServers
        + ", topic-prefix=" + (topicPrefix.isEmpty() ? "<source name>" : topicPrefix)
        + ", topic-pattern=" + topicPattern + ", partitions=" + partitions
        + ", replication-factor=" + replicationFactor + ", create-topics=" + createTopics
        + ", parallelism=" + parallelism + ", admin-timeout=" + adminTimeout
        + ", close-timeout=" + closeTimeout + ", tombstones-on-delete=" + tombstonesOnDelete
        + ", producer=" + shown + "]";
  }
}
