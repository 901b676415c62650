package io.syncline.streams.capture;

import io.syncline.persistence.SourcePosition;
import io.syncline.streams.snapshot.SnapshotChunk;
import java.util.List;

/**
 * What a table's entity had recorded when capture starts.
 *
 * @param committed the last committed position (null when none)
 * @param snapshotCompleted whether the table's initial snapshot was entirely delivered
 * @param snapshotChunks chunks of an unfinished initial snapshot whose rows were all delivered
 * @param sourceIdentity the source history the position belongs to ({@link PositionCheck.Valid#identity()}), or null
 */
public record TableStart(SourcePosition committed, boolean snapshotCompleted, List<SnapshotChunk> snapshotChunks,
    String sourceIdentity) {
  public static final TableStart NEW = new TableStart(null, false);

  public TableStart {
    snapshotChunks = snapshotChunks == null ? List.of() : List.copyOf(snapshotChunks);
  }

  public TableStart(SourcePosition committed, boolean snapshotCompleted, List<SnapshotChunk> snapshotChunks) {
    this(committed, snapshotCompleted, snapshotChunks, null);
  }

  public TableStart(SourcePosition committed, boolean snapshotCompleted) {
    this(committed, snapshotCompleted, List.of());
  }
}
