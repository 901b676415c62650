package io.syncline.streams.lake;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Settings of the lake writer, read from {@code syncline.lake} (every key documented and defaulted
 * in the streams module's {@code reference.conf}).
 *
 * @param path the lake's root directory: {@code bronze/events}, {@code silver/<table>} under it ({@code path})
 * @param commitInterval how long events wait before they are committed ({@code commit-interval})
 * @param maxBatchEvents commit earlier when this many events are waiting ({@code max-batch-events})
 * @param checkpointInterval a Delta checkpoint every this many versions of a table ({@code checkpoint-interval})
 * @param bronze whether bronze is written ({@code bronze.enabled})
 * @param silver whether silver is written ({@code silver.enabled})
 * @param textColumns silver columns kept as strings whatever their source type, as
 *     {@code <source>.<schema>.<table>.<column>} ({@code silver.text-columns})
 * @param rowsPerBatch rows per batch handed to the Parquet writer ({@code rows-per-batch})
 * @param dispatcher the dispatcher blocking Delta and Parquet I/O runs on ({@code dispatcher})
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
    String dispatcher) {

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
  }

  /** Reads {@code syncline.lake} of an application configuration. */
  public static LakeSettings create(Config root) {
    Config c = root.getConfig(CONFIG_PATH);
    return new LakeSettings(
        Paths.get(c.getString("path")),
        c.getDuration("commit-interval"),
        c.getInt("max-batch-events"),
        c.getInt("checkpoint-interval"),
        c.getBoolean("bronze.enabled"),
        c.getBoolean("silver.enabled"),
        Set.copyOf(c.getStringList("silver.text-columns")),
        c.getInt("rows-per-batch"),
        c.getString("dispatcher"));
  }

  /** The same settings with another root directory and commit interval (tests, the demo). */
  public LakeSettings withPath(Path newPath) {
    return new LakeSettings(newPath, commitInterval, maxBatchEvents, checkpointInterval, bronze, silver, textColumns,
        rowsPerBatch, dispatcher);
  }

  public Path bronzePath() {
    return path.resolve("bronze").resolve("events");
  }

  public Path silverPath(String tableId) {
    return path.resolve("silver").resolve(tableId);
  }

  /** The silver type of a column: its own, or a string when listed in {@code text-columns}. */
  LakeType silverType(String tableId, LakeColumn column) {
    return textColumns.contains(tableId + "." + column.name()) ? LakeType.TEXT : column.type();
  }

  /** Delta table properties every lake table is created with, plus {@code extra}. */
  Map<String, String> tableProperties(Map<String, String> extra) {
    Map<String, String> p = new HashMap<>(extra);
    p.put("delta.checkpointInterval", Integer.toString(checkpointInterval));
    return p;
  }
}
