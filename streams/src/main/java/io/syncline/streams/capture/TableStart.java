package io.syncline.streams.capture;

import io.syncline.persistence.SourcePosition;

/**
 * What a table's entity had recorded when capture starts.
 *
 * @param committed the last committed position (null when none)
 * @param snapshotCompleted whether the table's initial snapshot was entirely delivered
 */
public record TableStart(SourcePosition committed, boolean snapshotCompleted) {
  public static final TableStart NEW = new TableStart(null, false);
}
