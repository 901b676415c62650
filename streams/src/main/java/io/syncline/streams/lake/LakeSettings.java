package io.syncline.streams.lake;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Settings of the lake writer, read from {@code syncline.lake} (every key documented and defaulted
 * in the streams module's {@code reference.conf}).
 *
 * @param path the lake's root directory: {@code bronze/events}, {@code silver/<table>}, {@code gold/<name>}
 *     under it ({@code path}; empty: {@code <syncline.data-dir>/lake})
 * @param commitInterval how long events wait before they are committed ({@code commit-interval})
 * @param maxBatchEvents commit earlier when this many events are waiting ({@code max-batch-events})
 * @param checkpointInterval a Delta checkpoint every this many versions of a table ({@code checkpoint-interval})
 * @param bronze whether bronze is written ({@code bronze.enabled})
 * @param silver whether silver is written ({@code silver.enabled})
 * @param textColumns silver columns kept as strings whatever their source type, as
 *     {@code <source>.<schema>.<table>.<column>} ({@code silver.text-columns})
 * @param rowsPerBatch rows per batch handed to the Parquet writer ({@code rows-per-batch})
 * @param dispatcher the dispatcher blocking Delta and Parquet I/O runs on ({@code dispatcher})
 * @param gold the gold tables ({@code gold}): aggregates over silver tables
 * @param maintenance compaction, vacuum and log retention ({@code housekeeping})
 * @param hadoop Hadoop properties for Kernel's engine ({@code hadoop}); may hold secrets, which
 *     {@link #toString()} never shows
 */
public record LakeSettings(
    Path path,
    Duration commitInterval,
    int maxBatchEvents,
    int checkpointInterval,
    boolean bronze,
    boolean silver,
    Set<String> textColumns,
    int rowsPerBatch,
    String dispatcher,
    List<GoldSettings> gold,
    Maintenance maintenance,
    Map<String, String> hadoop) {

  /**
   * Delta housekeeping ({@code syncline.lake.housekeeping}).
   *
   * @param compaction whether small files are merged ({@code compaction.enabled})
   * @param compactEvery compaction of a table is looked at after every this many of its commits ({@code compaction.every-commits})
   * @param smallFileBytes files below this size are small ({@code compaction.small-file-size})
   * @param minFiles a partition is compacted when it has at least this many small files ({@code compaction.min-files})
   * @param maxFiles at most this many files merged in one compaction commit ({@code compaction.max-files})
   * @param vacuum whether unreferenced files are deleted ({@code vacuum.enabled})
   * @param vacuumEvery vacuum of a table after every this many of its commits ({@code vacuum.every-commits})
   * @param retention versions younger than this stay readable (time travel); older unreferenced files go ({@code vacuum.retention})
   * @param logRetention Delta log entries older than this are removed at checkpoints ({@code log-retention})
   */
  public record Maintenance(boolean compaction, int compactEvery, long smallFileBytes, int minFiles, int maxFiles,
      boolean vacuum, int vacuumEvery, Duration retention, Duration logRetention) {

    public static final Maintenance DEFAULT = new Maintenance(true, 10, 32L << 20, 10, 100, true, 100,
        Duration.ofDays(7), Duration.ofDays(30));

    public Maintenance {
      if (compactEvery < 1 || vacuumEvery < 1 || minFiles < 2 || maxFiles < minFiles || smallFileBytes < 1) {
        throw new IllegalArgumentException("syncline.lake.housekeeping: every-commits must be at least 1, min-files"
            + " at least 2 and at most max-files, small-file-size positive");
      }
      if (retention.isNegative() || logRetention.isNegative()) {
        throw new IllegalArgumentException("syncline.lake.housekeeping: retentions must not be negative");
      }
    }

    static Maintenance create(Config c) {
      return new Maintenance(c.getBoolean("compaction.enabled"), c.getInt("compaction.every-commits"),
          c.getBytes("compaction.small-file-size"), c.getInt("compaction.min-files"), c.getInt("compaction.max-files"),
          c.getBoolean("vacuum.enabled"), c.getInt("vacuum.every-commits"), c.getDuration("vacuum.retention"),
          c.getDuration("log-retention"));
    }
  }


  public static final String CONFIG_PATH = "syncline.lake";

  public LakeSettings {
    if (path == null) {
      throw new IllegalArgumentException("syncline.lake.path must be set");
    }
    if (commitInterval.isNegative() || commitInterval.isZero()) {
      throw new IllegalArgumentException("syncline.lake.commit-interval must be positive, not " + commitInterval);
    }
    if (maxBatchEvents < 1 || checkpointInterval < 1 || rowsPerBatch < 1) {
      throw new IllegalArgumentException(
          "syncline.lake.max-batch-events, checkpoint-interval and rows-per-batch must be at least 1");
    }
    textColumns = Set.copyOf(textColumns);
    hadoop = Map.copyOf(hadoop);
    gold = List.copyOf(gold);
  }

  /** Local settings with the defaults of reference.conf (tests, benchmarks, the demo). */
  public LakeSettings(Path path, Duration commitInterval) {
    this(path, commitInterval, 50_000, 10, true, true, Set.of(), 4096, "syncline.lake.io-dispatcher", List.of(),
        Maintenance.DEFAULT, Map.of());
  }

  /** Reads {@code syncline.lake} of an application configuration. */
  public static LakeSettings create(Config root) {
    Config c = root.getConfig(CONFIG_PATH);
    String path = c.getString("path");
    if (path.isBlank()) {
      path = Paths.get(root.getString("syncline.data-dir"), "lake").toString();
    }
    return new LakeSettings(
        Paths.get(path),
        c.getDuration("commit-interval"),
        c.getInt("max-batch-events"),
        c.getInt("checkpoint-interval"),
        c.getBoolean("bronze.enabled"),
        c.getBoolean("silver.enabled"),
        Set.copyOf(c.getStringList("silver.text-columns")),
        c.getInt("rows-per-batch"),
        c.getString("dispatcher"),
        GoldSettings.list(c),
        Maintenance.create(c.getConfig("housekeeping")),
        hadoop(c.getConfig("hadoop")));
  }

  private static Map<String, String> hadoop(Config c) {
    Map<String, String> out = new HashMap<>();
    c.entrySet().forEach(e -> out.put(com.typesafe.config.ConfigUtil.splitPath(e.getKey()).stream()
        .collect(java.util.stream.Collectors.joining(".")), String.valueOf(e.getValue().unwrapped())));
    return out;
  }

  /** The same settings with another root directory and commit interval (tests, the demo). */
  public LakeSettings withPath(Path newPath) {
    return new LakeSettings(newPath, commitInterval, maxBatchEvents, checkpointInterval, bronze, silver, textColumns,
        rowsPerBatch, dispatcher, gold, maintenance, hadoop);
  }

  /** Never prints the Hadoop property values (object-store credentials). */
  @Override
  public String toString() {
    return "LakeSettings[path=" + path + ", commitInterval=" + commitInterval + ", maxBatchEvents=" + maxBatchEvents
        + ", checkpointInterval=" + checkpointInterval + ", bronze=" + bronze + ", silver=" + silver
        + ", textColumns=" + textColumns + ", rowsPerBatch=" + rowsPerBatch + ", dispatcher=" + dispatcher
        + ", gold=" + gold + ", maintenance=" + maintenance + ", hadoop=" + hadoop.keySet() + "]";
  }

  public Path bronzePath() {
    return path.resolve("bronze").resolve("events");
  }

  public Path silverPath(String tableId) {
    return path.resolve("silver").resolve(tableId);
  }

  public Path goldPath(String name) {
    return path.resolve("gold").resolve(name);
  }

  /** The same settings with these gold tables (tests, the demo). */
  public LakeSettings withGold(List<GoldSettings> tables) {
    return new LakeSettings(path, commitInterval, maxBatchEvents, checkpointInterval, bronze, silver, textColumns,
        rowsPerBatch, dispatcher, tables, maintenance, hadoop);
  }

  /** The silver type of a column: its own, or a string when listed in {@code text-columns}. */
  LakeType silverType(String tableId, LakeColumn column) {
    return textColumns.contains(tableId + "." + column.name()) ? LakeType.TEXT : column.type();
  }

  /** Delta table properties every lake table is created with, plus {@code extra}. */
  Map<String, String> tableProperties(Map<String, String> extra) {
    Map<String, String> p = new HashMap<>(extra);
    p.put("delta.checkpointInterval", Integer.toString(checkpointInterval));
    p.put("delta.logRetentionDuration", "interval " + Math.max(1, maintenance.logRetention().toHours()) + " hours");
    return p;
  }
}
