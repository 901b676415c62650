package io.syncline.streams.snapshot.incremental;

import com.typesafe.config.Config;

/**
 * Settings of incremental snapshots for one source (docs/incremental-snapshots.md), read from the
 * source's entry ({@code signal-table}, {@code incremental-snapshot.chunk-size}).
 *
 * @param signalTable {@code schema.table} ({@code database.table} in MySQL/MariaDB) of the signal
 *     table; empty: incremental snapshots are off for this source
 * @param chunkSize rows read per chunk (Debezium's default, 1024)
 */
public record IncrementalSnapshotSettings(String signalTable, int chunkSize) {

  public static final IncrementalSnapshotSettings OFF = new IncrementalSnapshotSettings("", 1024);

  public IncrementalSnapshotSettings {
    signalTable = signalTable == null ? "" : signalTable.trim();
    if (!signalTable.isEmpty() && !signalTable.matches("[^.\\s]+\\.[^.\\s]+")) {
      throw new IllegalArgumentException("setting 'signal-table' must be schema.table (database.table in MySQL/MariaDB),"
          + " got '" + signalTable + "'");
    }
    if (chunkSize <= 0) {
      throw new IllegalArgumentException("setting 'incremental-snapshot.chunk-size' must be positive, got " + chunkSize);
    }
  }

  /** Reads the keys from a source entry (already merged with its defaults). */
  public static IncrementalSnapshotSettings create(Config c, String sourceName) {
    try {
      return new IncrementalSnapshotSettings(
          c.hasPath("signal-table") ? c.getString("signal-table") : "",
          c.hasPath("incremental-snapshot.chunk-size") ? c.getInt("incremental-snapshot.chunk-size") : 1024);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("source '" + sourceName + "': " + e.getMessage(), e);
    }
  }

  public boolean enabled() {
    return !signalTable.isEmpty();
  }

  public String signalSchema() {
    return signalTable.substring(0, signalTable.indexOf('.'));
  }

  public String signalTableName() {
    return signalTable.substring(signalTable.indexOf('.') + 1);
  }
}
