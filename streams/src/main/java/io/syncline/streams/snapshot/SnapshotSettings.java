package io.syncline.streams.snapshot;

import com.typesafe.config.Config;

/**
 * How a source reads its initial snapshot, from its settings entry.
 *
 * @param parallelism connections reading chunks at the same time (each one database session)
 * @param chunkSize rows per chunk: the unit of parallel work and of resumption after a crash
 */
public record SnapshotSettings(int parallelism, int chunkSize) {

  public SnapshotSettings {
    if (parallelism < 1 || parallelism > 64) {
      throw new IllegalArgumentException("setting 'snapshot-parallelism' must be between 1 and 64, got " + parallelism
          + " (fix: a small number, e.g. the database server's cores)");
    }
    if (chunkSize < 1) {
      throw new IllegalArgumentException("setting 'snapshot-chunk-size' must be positive, got " + chunkSize);
    }
  }

  /** Reads {@code snapshot-parallelism} and {@code snapshot-chunk-size} of a source entry (defaults applied). */
  public static SnapshotSettings create(Config c) {
    return new SnapshotSettings(c.getInt("snapshot-parallelism"), c.getInt("snapshot-chunk-size"));
  }
}
