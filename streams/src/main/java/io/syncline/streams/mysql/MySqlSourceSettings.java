package io.syncline.streams.mysql;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.syncline.streams.Secret;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshotSettings;

/**
 * Settings of one MySQL/MariaDB source, read from a {@code syncline.sources[]} entry whose
 * {@code kind = mariadb} (or {@code mysql}); defaults in {@code syncline.source-defaults.mysql}.
 *
 * @param serverId the replica server id this reader presents to the server: it must differ from
 *     the server's own and from every other replica's (default: derived from the source name)
 * @param include {@code database.table} patterns ({@code *} and {@code ?} wildcards)
 * @param heartbeatTimeout how long the binlog connection may carry nothing, neither an event nor a
 *     heartbeat, while the reader waits for the server, before it is taken as lost and reconnected
 * @param incrementalSnapshot signal table and chunk size of incremental snapshots (docs/incremental-snapshots.md)
 * @param tls TLS to the server, JDBC and binlog alike ({@code tls { mode, ca-file, key-store, key-store-password }})
 */
public record MySqlSourceSettings(
    String name,
    String host,
    int port,
    String user,
    Secret password,
    long serverId,
    List<String> include,
    List<String> exclude,
    SnapshotMode snapshotMode,
    int maxBatchSize,
    Duration heartbeatInterval,
    Duration heartbeatTimeout,
    Duration connectTimeout,
    io.syncline.streams.TlsSettings tls,
    io.syncline.streams.snapshot.SnapshotSettings snapshot,
    IncrementalSnapshotSettings incrementalSnapshot,
    io.syncline.streams.capture.PositionCheck.OnPositionLost onPositionLost) {

  /** When the initial snapshot runs. */
  public enum SnapshotMode {
    /**
     * Snapshot every included table whose snapshot never completed (all of them on a first start),
     * then read the binlog from there; the default. See {@code MySqlSnapshotPlan}.
     */
    INITIAL,
    /** Read the binlog from its current end on the first start. */
    NEVER
  }

  public MySqlSourceSettings {
    if (name == null || !name.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("source name '" + name
          + "' may only contain letters, digits, '_', '-' and '.' (it becomes part of topic names)");
    }
    if (host == null || host.isBlank() || user == null || user.isBlank()) {
      throw invalid(name, "host/user", "are required");
    }
    if (port <= 0 || port > 65535) {
      throw invalid(name, "port", "must be between 1 and 65535, got " + port);
    }
    if (serverId <= 0 || serverId > 4294967295L) {
      throw invalid(name, "server-id", "must be between 1 and 4294967295, got " + serverId);
    }
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    if (include.isEmpty()) {
      throw invalid(name, "include-tables", "is empty: list the tables to capture, e.g. include-tables = [\"shop.*\"]");
    }
    incrementalSnapshot = incrementalSnapshot == null ? IncrementalSnapshotSettings.OFF : incrementalSnapshot;
    onPositionLost = onPositionLost == null ? io.syncline.streams.capture.PositionCheck.OnPositionLost.FAIL
        : onPositionLost;
    if (maxBatchSize <= 0) {
      throw invalid(name, "max-batch-size", "must be positive");
    }
    if (heartbeatTimeout.compareTo(heartbeatInterval) <= 0 || heartbeatInterval.isZero()) {
      throw invalid(name, "heartbeat-timeout", "(" + heartbeatTimeout + ") must be longer than heartbeat-interval ("
          + heartbeatInterval + "), which must be positive: the server sends a heartbeat every heartbeat-interval"
          + " while it has nothing else to send");
    }
  }

  private static IllegalArgumentException invalid(String source, String key, String why) {
    return new IllegalArgumentException("source '" + source + "': setting '" + key + "' " + why);
  }

  /** A stable default replica id from the source name, far from the small ids servers usually take. */
  static long defaultServerId(String name) {
    return 1_000_000L + Math.floorMod(name.hashCode(), 1_000_000);
  }

  /** Reads one source entry; missing keys fall back to {@code syncline.source-defaults.mysql}. */
  public static MySqlSourceSettings create(Config entry, Config defaults) {
    Config c = entry.withFallback(defaults);
    try {
      String name = c.getString("name");
      long serverId = c.hasPath("server-id") && c.getLong("server-id") > 0 ? c.getLong("server-id") : defaultServerId(name);
      String mode = c.getString("snapshot-mode").toUpperCase(Locale.ROOT);
      if (!mode.equals("INITIAL") && !mode.equals("NEVER")) {
        throw new IllegalArgumentException("source '" + name + "': setting 'snapshot-mode' must be one of initial, never");
      }
      return new MySqlSourceSettings(name, c.getString("host"), c.getInt("port"), c.getString("user"),
          new Secret(c.hasPath("password") ? c.getString("password") : ""), serverId,
          c.getStringList("include-tables"), c.getStringList("exclude-tables"), SnapshotMode.valueOf(mode),
          c.getInt("max-batch-size"), c.getDuration("heartbeat-interval"),
          c.getDuration("heartbeat-timeout").isZero() ? c.getDuration("heartbeat-interval").multipliedBy(3)
              : c.getDuration("heartbeat-timeout"), c.getDuration("connect-timeout"),
          io.syncline.streams.TlsSettings.create(c, name),
          snapshotSettings(name, c), IncrementalSnapshotSettings.create(c, name),
          io.syncline.streams.capture.PositionCheck.OnPositionLost.parse(name, c.getString("on-position-lost")));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("MySQL source configuration: " + e.getMessage(), e);
    }
  }

  private static io.syncline.streams.snapshot.SnapshotSettings snapshotSettings(String name, Config c) {
    try {
      return io.syncline.streams.snapshot.SnapshotSettings.create(c);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("source '" + name + "': " + e.getMessage(), e);
    }
  }

  /** JDBC URL without credentials. */
  public String jdbcUrl() {
    return "jdbc:mariadb://" + host + ":" + port + "/";
  }

  @Override
  public String toString() {
    return "MySqlSourceSettings[name=" + name + ", " + user + "@" + host + ":" + port + ", server-id=" + serverId
        + ", include=" + include + ", exclude=" + exclude + ", snapshot=" + snapshotMode + ", " + tls + "]";
  }
}
