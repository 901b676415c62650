package io.syncline.streams.mongo;

import com.mongodb.ConnectionString;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.syncline.streams.Secret;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Settings of one MongoDB source, read from a {@code syncline.sources[]} entry whose
 * {@code kind = mongodb}; defaults in {@code syncline.source-defaults.mongodb}.
 *
 * @param connectionString a MongoDB connection string of a replica set or a sharded cluster
 *     ({@code mongodb://cdc@db1:27017,db2:27017/?replicaSet=rs0}); a password in it is accepted but
 *     never printed; better give it in {@code password}
 * @param password the password of the connection string's user (empty: the connection string's own)
 * @param include {@code database.collection} patterns ({@code *} and {@code ?} wildcards)
 * @param maxBatchSize most events per transport batch; also the snapshot's and change stream's batch size
 * @param maxAwaitTime how long the server holds a change stream's {@code getMore} open when nothing changed
 * @param connectTimeout how long to wait for a reachable server before failing (server selection and connect)
 */
public record MongoSourceSettings(
    String name,
    String connectionString,
    Secret password,
    List<String> include,
    List<String> exclude,
    SnapshotMode snapshotMode,
    FullDocumentMode fullDocument,
    BeforeChangeMode fullDocumentBeforeChange,
    HistoryLostPolicy onHistoryLost,
    int maxBatchSize,
    Duration maxAwaitTime,
    Duration connectTimeout,
    io.syncline.streams.capture.PositionCheck.OnPositionLost onPositionLost) {

  /** When the initial snapshot runs. */
  public enum SnapshotMode {
    /** Snapshot every included collection whose snapshot never completed, then stream; the default. */
    INITIAL,
    /** Stream from the current cluster time on the first start; no snapshot. */
    NEVER
  }

  /** The change stream's {@code fullDocument} option: what update events carry as {@code after}. */
  public enum FullDocumentMode {
    DEFAULT("default"),
    UPDATE_LOOKUP("updateLookup"),
    WHEN_AVAILABLE("whenAvailable"),
    REQUIRED("required");

    private final String value;

    FullDocumentMode(String value) {
      this.value = value;
    }

    public String value() {
      return value;
    }
  }

  /** The change stream's {@code fullDocumentBeforeChange} option: pre-images (MongoDB 6.0+, per collection). */
  public enum BeforeChangeMode {
    OFF("off"),
    WHEN_AVAILABLE("whenAvailable"),
    REQUIRED("required");

    private final String value;

    BeforeChangeMode(String value) {
      this.value = value;
    }

    public String value() {
      return value;
    }
  }

  /** What happens when a collection's resume point has fallen off the oplog. */
  public enum HistoryLostPolicy {
    /** Stop the source with an error naming the collection, the position and the fix; the default. */
    FAIL,
    /** Read the collection again (op {@code r}) at the current cluster time, then stream from there. */
    RESNAPSHOT
  }

  public MongoSourceSettings {
    if (name == null || !name.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("source name '" + name
          + "' may only contain letters, digits, '_', '-' and '.' (it becomes part of topic names)");
    }
    if (connectionString == null || connectionString.isBlank()) {
      throw invalid(name, "connection-string", "is required, e.g. \"mongodb://cdc@db1:27017,db2:27017/?replicaSet=rs0\"");
    }
    try {
      new ConnectionString(connectionString);
    } catch (IllegalArgumentException e) {
      // the driver's message may quote the string: say what is wrong without it
      throw invalid(name, "connection-string", "is not a MongoDB connection string (mongodb://host:port/...): "
          + mask(e.getMessage() == null ? "" : e.getMessage(), connectionString));
    }
    password = password == null ? new Secret("") : password;
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    if (include.isEmpty()) {
      throw invalid(name, "include-tables",
          "is empty: list the collections to capture as database.collection, e.g. include-tables = [\"shop.*\"]");
    }
    for (String e : include) {
      if (e.indexOf('.') <= 0) {
        throw invalid(name, "include-tables", "entry '" + e + "' is not database.collection (e.g. \"shop.orders\" or \"shop.*\")");
      }
    }
    onPositionLost = onPositionLost == null ? io.syncline.streams.capture.PositionCheck.OnPositionLost.FAIL
        : onPositionLost;
    if (maxBatchSize <= 0) {
      throw invalid(name, "max-batch-size", "must be positive");
    }
    if (maxAwaitTime.isNegative() || maxAwaitTime.isZero() || connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw invalid(name, "max-await-time/connect-timeout", "must be positive");
    }
  }

  private static IllegalArgumentException invalid(String source, String key, String why) {
    return new IllegalArgumentException("source '" + source + "': setting '" + key + "' " + why);
  }

  /** Reads one source entry; missing keys fall back to {@code syncline.source-defaults.mongodb}. */
  public static MongoSourceSettings create(Config entry, Config defaults) {
    Config c = entry.withFallback(defaults);
    try {
      String name = c.getString("name");
      return new MongoSourceSettings(name, c.getString("connection-string"),
          new Secret(c.hasPath("password") ? c.getString("password") : ""),
          c.getStringList("include-tables"), c.getStringList("exclude-tables"),
          choice(name, c, "snapshot-mode", SnapshotMode.values()),
          choice(name, c, "full-document", FullDocumentMode.values()),
          choice(name, c, "full-document-before-change", BeforeChangeMode.values()),
          choice(name, c, "on-history-lost", HistoryLostPolicy.values()),
          c.getInt("max-batch-size"), c.getDuration("max-await-time"), c.getDuration("connect-timeout"),
          choice(name, c, "on-position-lost", io.syncline.streams.capture.PositionCheck.OnPositionLost.values()));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("MongoDB source configuration: " + e.getMessage(), e);
    }
  }

  /** {@code updateLookup}, {@code update-lookup} and {@code UPDATE_LOOKUP} all name the same constant. */
  private static <E extends Enum<E>> E choice(String source, Config c, String key, E[] values) {
    String given = c.getString(key);
    String norm = given.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
    StringBuilder names = new StringBuilder();
    for (E v : values) {
      if (v.name().replace("_", "").toLowerCase(Locale.ROOT).equals(norm)) {
        return v;
      }
      names.append(names.length() == 0 ? "" : ", ").append(display(v));
    }
    throw invalid(source, key, "is '" + given + "': use one of " + names);
  }

  private static String display(Enum<?> v) {
    if (v instanceof FullDocumentMode f) {
      return f.value();
    }
    if (v instanceof BeforeChangeMode b) {
      return b.value();
    }
    return v.name().toLowerCase(Locale.ROOT);
  }

  /** The connection string with any password replaced by {@code ****}: for logs and errors. */
  public String maskedConnectionString() {
    return mask(connectionString, connectionString);
  }

  /** Replaces the password of {@code connectionString} wherever it occurs in {@code text}. */
  static String mask(String text, String connectionString) {
    int scheme = connectionString.indexOf("://");
    int at = connectionString.lastIndexOf('@');
    if (scheme < 0 || at < scheme) {
      return text;
    }
    String userInfo = connectionString.substring(scheme + 3, at);
    int colon = userInfo.indexOf(':');
    if (colon < 0) {
      return text;
    }
    String pw = userInfo.substring(colon + 1);
    return pw.isEmpty() ? text : text.replace(pw, "****");
  }

  @Override
  public String toString() {
    return "MongoSourceSettings[name=" + name + ", " + maskedConnectionString() + ", include=" + include + ", exclude="
        + exclude + ", snapshot=" + snapshotMode + ", fullDocument=" + fullDocument.value() + ", before="
        + fullDocumentBeforeChange.value() + ", on-history-lost=" + onHistoryLost + "]";
  }
}
