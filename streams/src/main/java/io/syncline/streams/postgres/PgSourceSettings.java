package io.syncline.streams.postgres;

import com.typesafe.config.Config;
import io.syncline.streams.Secret;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshotSettings;

/**
 * Settings of one PostgreSQL source, read from a {@code syncline.sources[]} entry whose
 * {@code kind = postgres}. Every key is documented in {@code conf/application.conf} and defaulted in
 * {@code reference.conf} ({@code syncline.source-defaults.postgres}).
 *
 * @param name logical source name: topic prefix, entity ids, {@code source.name} in the envelope
 * @param include {@code schema.table} patterns ({@code *} and {@code ?} wildcards) of tables to capture
 * @param exclude patterns removed from what {@code include} matched
 * @param incrementalSnapshot signal table and chunk size of incremental snapshots (docs/incremental-snapshots.md)
 * @param onPositionLost what happens when the recorded positions are not valid on the server (docs/positions-and-recovery.md)
 * @param serverTimeout how long the source waits for the server: the replication stream fails when
 *     nothing arrived for this long while it was read (heartbeats keep an idle stream talking), and
 *     a query of the other connections when its answer takes this long; zero: wait forever
 * @param tableDiscoveryInterval how often the running source looks for new tables that match
 *     {@code include}; zero: only at start
 * @param tls TLS to the server ({@code tls { mode, ca-file, key-store, key-store-password }})
 */
public record PgSourceSettings(
    String name,
    String host,
    int port,
    String database,
    String user,
    Secret password,
    String slotName,
    String publicationName,
    boolean createPublication,
    List<String> include,
    List<String> exclude,
    SnapshotMode snapshotMode,
    int snapshotFetchSize,
    int maxBatchSize,
    Duration statusInterval,
    Duration heartbeatInterval,
    Duration idleEmitInterval,
    Duration connectTimeout,
    Duration serverTimeout,
    Duration tableDiscoveryInterval,
    io.syncline.streams.TlsSettings tls,
    io.syncline.streams.snapshot.SnapshotSettings snapshot,
    IncrementalSnapshotSettings incrementalSnapshot,
    io.syncline.streams.capture.PositionCheck.OnPositionLost onPositionLost) {

  /** When the initial snapshot runs. */
  public enum SnapshotMode {
    /** Snapshot every included table when the replication slot is created, then stream. */
    INITIAL,
    /** Never snapshot: stream changes from the slot's creation on. */
    NEVER
  }

  public PgSourceSettings {
    requireText(name, "name");
    if (!name.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("source name '" + name
          + "' may only contain letters, digits, '_', '-' and '.' (it becomes part of topic names)");
    }
    requireText(host, "host");
    requireText(database, "database");
    requireText(user, "user");
    if (port <= 0 || port > 65535) {
      throw invalid(name, "port", "must be between 1 and 65535, got " + port);
    }
    if (!slotName.matches("[a-z0-9_]{1,63}")) {
      throw invalid(name, "slot-name", "'" + slotName
          + "' is not a valid replication slot name (lower-case letters, digits and '_', at most 63)");
    }
    requireText(publicationName, "publication-name");
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    if (include.isEmpty()) {
      throw invalid(name, "include-tables", "is empty: list the tables to capture, e.g. include-tables = [\"public.*\"]");
    }
    incrementalSnapshot = incrementalSnapshot == null ? IncrementalSnapshotSettings.OFF : incrementalSnapshot;
    onPositionLost = onPositionLost == null ? io.syncline.streams.capture.PositionCheck.OnPositionLost.FAIL
        : onPositionLost;
    if (snapshotFetchSize <= 0 || maxBatchSize <= 0) {
      throw invalid(name, "snapshot-fetch-size/max-batch-size", "must be positive");
    }
    if (serverTimeout.isNegative() || tableDiscoveryInterval.isNegative()) {
      throw invalid(name, "server-timeout/table-discovery-interval", "must not be negative");
    }
    if (!serverTimeout.isZero() && !heartbeatInterval.isZero()
        && serverTimeout.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
      throw invalid(name, "server-timeout", "(" + serverTimeout.toMillis() + " ms) must be at least twice"
          + " 'heartbeat-interval' (" + heartbeatInterval.toMillis() + " ms): an idle stream hears from the server once"
          + " per heartbeat");
    }
  }

  private static void requireText(String v, String key) {
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("PostgreSQL source setting '" + key + "' is required");
    }
  }

  private static IllegalArgumentException invalid(String source, String key, String why) {
    return new IllegalArgumentException("source '" + source + "': setting '" + key + "' " + why);
  }

  /** Reads one source entry; missing keys fall back to {@code syncline.source-defaults.postgres}. */
  public static PgSourceSettings create(Config entry, Config defaults) {
    Config c = entry.withFallback(defaults);
    try {
      String name = c.getString("name");
      String safe = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
      return new PgSourceSettings(
          name,
          c.getString("host"),
          c.getInt("port"),
          c.getString("database"),
          c.getString("user"),
          new Secret(c.hasPath("password") ? c.getString("password") : ""),
          c.hasPath("slot-name") && !c.getString("slot-name").isEmpty() ? c.getString("slot-name") : "syncline_" + safe,
          c.hasPath("publication-name") && !c.getString("publication-name").isEmpty()
              ? c.getString("publication-name") : "syncline_" + safe,
          c.getBoolean("create-publication"),
          c.getStringList("include-tables"),
          c.getStringList("exclude-tables"),
          SnapshotMode.valueOf(c.getString("snapshot-mode").toUpperCase(Locale.ROOT)),
          c.getInt("snapshot-fetch-size"),
          c.getInt("max-batch-size"),
          c.getDuration("status-interval"),
          c.getDuration("heartbeat-interval"),
          c.getDuration("idle-emit-interval"),
          c.getDuration("connect-timeout"),
          c.getDuration("server-timeout"),
          c.getDuration("table-discovery-interval"),
          io.syncline.streams.TlsSettings.create(c, name),
          snapshotSettings(name, c), IncrementalSnapshotSettings.create(c, name),
          io.syncline.streams.capture.PositionCheck.OnPositionLost.parse(name, c.getString("on-position-lost")));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("PostgreSQL source configuration: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("No enum constant")) {
        throw new IllegalArgumentException("setting 'snapshot-mode' must be one of initial, never", e);
      }
      throw e;
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
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  @Override
  public String toString() {
    return "PgSourceSettings[name=" + name + ", " + user + "@" + host + ":" + port + "/" + database
        + ", slot=" + slotName + ", publication=" + publicationName + ", include=" + include
        + ", exclude=" + exclude + ", snapshot=" + snapshotMode + ", " + tls + "]";
  }
}
