package io.syncline.node.consume;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Settings of {@code syncline consume}, read from {@code syncline.consume} (every key documented
 * in cluster-node's {@code reference.conf}); the command-line flags override the keys.
 *
 * @param topic the change topic to read ({@code topic}, {@code --topic})
 * @param group the Kafka consumer group ({@code group}, {@code --group})
 * @param out the output directory ({@code out}, {@code --out})
 * @param bootstrapServers brokers; empty in the config means {@code syncline.transport.kafka.bootstrap-servers}
 *     ({@code bootstrap-servers}, {@code --bootstrap-servers})
 * @param consumers consumers in this process, all in {@code group} ({@code consumers}, {@code --consumers})
 * @param from where a group without committed offsets starts ({@code from}, {@code --from})
 * @param maxPollRecords most records per poll, hence per flush and commit ({@code max-poll-records})
 * @param pollTimeout longest wait of one poll ({@code poll-timeout})
 * @param commitTimeout longest wait of the synchronous commits on rebalance and stop ({@code commit-timeout})
 * @param consumer extra Kafka consumer properties, e.g. security ({@code consumer}); secret values never printed
 */
public record ConsumeSettings(
    String topic,
    String group,
    Path out,
    String bootstrapServers,
    int consumers,
    StartFrom from,
    int maxPollRecords,
    Duration pollTimeout,
    Duration commitTimeout,
    Map<String, String> consumer) {

  /** Where these settings live in the application configuration. */
  public static final String CONFIG_PATH = "syncline.consume";

  /** Properties this command sets itself. */
  private static final Set<String> REFUSED = Set.of("bootstrap.servers", "group.id", "enable.auto.commit",
      "auto.offset.reset", "key.deserializer", "value.deserializer", "max.poll.records");

  /** Where a consumer group without committed offsets starts reading ({@code auto.offset.reset}). */
  public enum StartFrom {
    EARLIEST, LATEST;

    static StartFrom parse(String text) {
      return switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "earliest" -> EARLIEST;
        case "latest" -> LATEST;
        default -> throw invalid("from", "--from", "'" + text + "' is neither earliest nor latest");
      };
    }
  }

  public ConsumeSettings {
    if (topic == null || topic.isBlank()) {
      throw invalid("topic", "--topic", "is required: the change topic to read, e.g. <prefix>.<schema>.<table>");
    }
    if (group == null || group.isBlank()) {
      throw invalid("group", "--group", "is required: the consumer group (consumers of one group share the partitions)");
    }
    if (out == null || out.toString().isBlank()) {
      throw invalid("out", "--out", "is required: the directory the CSV files go to");
    }
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw invalid("bootstrap-servers", "--bootstrap-servers",
          "is required: the brokers as host:port[,host:port] (or set syncline.transport.kafka.bootstrap-servers "
              + "or the environment variable SYNCLINE_KAFKA_BOOTSTRAP_SERVERS)");
    }
    if (consumers < 1 || consumers > 1000) {
      throw invalid("consumers", "--consumers", "must be between 1 and 1000, got " + consumers);
    }
    if (from == null) {
      throw invalid("from", "--from", "is required: earliest or latest");
    }
    if (maxPollRecords < 1) {
      throw invalid("max-poll-records", "--max-poll-records", "must be at least 1, got " + maxPollRecords);
    }
    if (pollTimeout == null || pollTimeout.isNegative() || pollTimeout.isZero()) {
      throw invalid("poll-timeout", null, "must be a positive duration, e.g. 500ms");
    }
    if (commitTimeout == null || commitTimeout.isNegative() || commitTimeout.isZero()) {
      throw invalid("commit-timeout", null, "must be a positive duration, e.g. 30s");
    }
    consumer = Map.copyOf(consumer == null ? Map.of() : consumer);
    for (String k : consumer.keySet()) {
      if (REFUSED.contains(k)) {
        throw invalid("consumer." + k, null, "is set by syncline consume itself and cannot be overridden"
            + " (use the matching setting or flag instead)");
      }
    }
  }

  /** Reads {@code syncline.consume} of an application configuration (reference.conf supplies the defaults). */
  public static ConsumeSettings create(Config root) {
    try {
      Config c = root.getConfig(CONFIG_PATH);
      String bootstrap = c.getString("bootstrap-servers");
      if (bootstrap.isBlank() && root.hasPath("syncline.transport.kafka.bootstrap-servers")) {
        bootstrap = root.getString("syncline.transport.kafka.bootstrap-servers");
      }
      Map<String, String> props = new LinkedHashMap<>();
      for (Map.Entry<String, ConfigValue> e : c.getConfig("consumer").entrySet()) {
        props.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
      }
      String out = c.getString("out");
      return new ConsumeSettings(c.getString("topic"), c.getString("group"), out.isBlank() ? null : Path.of(out),
          bootstrap, c.getInt("consumers"), StartFrom.parse(c.getString("from")), c.getInt("max-poll-records"),
          c.getDuration("poll-timeout"), c.getDuration("commit-timeout"), props);
    } catch (ConfigException e) {
      throw new IllegalArgumentException("consume configuration (" + CONFIG_PATH + "): " + e.getMessage(), e);
    }
  }

  /** The directory of consumer {@code index}: {@code <out>/<group>/<topic>/consumer-<index>}. */
  public Path directoryOf(int index) {
    return out.resolve(safe(group)).resolve(safe(topic)).resolve("consumer-" + index);
  }

  /** The Kafka consumer properties of consumer {@code index}. */
  Map<String, Object> kafkaProperties(int index) {
    Map<String, Object> p = new LinkedHashMap<>(consumer);
    p.put("bootstrap.servers", bootstrapServers);
    p.put("group.id", group);
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", from.name().toLowerCase(Locale.ROOT));
    p.put("max.poll.records", String.valueOf(maxPollRecords));
    p.putIfAbsent("client.id", "syncline-consume-" + group + "-" + index);
    return p;
  }

  private static String safe(String name) {
    return name.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  private static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.contains("token")
        || k.contains("credential") || k.endsWith(".key");
  }

  private static IllegalArgumentException invalid(String key, String flag, String problem) {
    return new IllegalArgumentException((flag == null ? "" : flag + " / ") + "setting '" + CONFIG_PATH + "." + key
        + "' " + problem);
  }

  @Override
  public String toString() {
    Map<String, String> shown = new TreeMap<>();
    consumer.forEach((k, v) -> shown.put(k, isSecret(k) ? "****" : v));
    return "ConsumeSettings[topic=" + topic + ", group=" + group + ", out=" + out + ", bootstrap-servers="
        + bootstrapServers + ", consumers=" + consumers + ", from=" + from + ", max-poll-records=" + maxPollRecords
        + ", poll-timeout=" + pollTimeout + ", commit-timeout=" + commitTimeout + ", consumer=" + shown + "]";
  }
}
