package io.syncline.streams.capture;

import io.syncline.persistence.SourcePosition;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.TableRef;

/** What a source reader emits, in log order: changes and the marks that let positions move. */
public sealed interface CaptureRecord {

  /** One change. */
  record Change(ChangeEvent event) implements CaptureRecord {}

  /**
   * Everything read before this mark is complete at the source (a transaction ended, or the reader
   * is idle with nothing open), for every table of the source. Once everything before it is
   * delivered, the source may be acknowledged up to {@code boundary}, and a table may record
   * {@code boundary} as its position.
   *
   * @param completed the position of the transaction that just ended ({@code (txn, COMPLETE)}), as a
   *     table position for the tables it changed; null when idle
   * @param boundary where the source's next change will be: a boundary position ({@code index 0},
   *     {@link SourcePosition#isBoundary()}), after every change read before this mark and before
   *     every change read after it (PostgreSQL: the commit's end LSN, a heartbeat's LSN, the server's
   *     sent position when idle; MySQL: the offset after the XID, a heartbeat's or ROTATE's position)
   */
  record Checkpoint(SourcePosition completed, SourcePosition boundary) implements CaptureRecord {
    public Checkpoint {
      if (boundary == null || !boundary.isBoundary()) {
        throw new IllegalArgumentException("a checkpoint's boundary must be a boundary position (index 0), got "
            + (boundary == null ? "null" : boundary.display()));
      }
      if (completed != null && (completed.isBoundary() || !boundary.isAfter(completed))) {
        throw new IllegalArgumentException("a checkpoint's completed transaction " + completed.display()
            + " must be a transaction before its boundary " + boundary.display());
      }
    }
  }

  /**
   * Every change of {@code table} read before this mark is before {@code boundary}, and every
   * change of it read after the mark is after it: a source that reads each table on a stream of its
   * own (MongoDB: one change stream per collection) says so per table. Once delivered, the table
   * may record {@code boundary} as its position.
   */
  record TableCheckpoint(TableRef table, SourcePosition boundary) implements CaptureRecord {
    public TableCheckpoint {
      if (table == null) {
        throw new IllegalArgumentException("a table checkpoint needs its table");
      }
      if (boundary == null || !boundary.isBoundary()) {
        throw new IllegalArgumentException("a table checkpoint's boundary must be a boundary position (index 0), got "
            + (boundary == null ? "null" : boundary.display()));
      }
    }
  }

  /** The initial snapshot of {@code table} has been read entirely ({@code rows} rows). */
  record SnapshotDone(TableRef table, SourcePosition position, long rows) implements CaptureRecord {}

  /**
   * The source's incremental snapshots reached {@code state} (docs/incremental-snapshots.md): once
   * everything before this mark is delivered, it is recorded, and a restart continues from it.
   */
  record IncrementalSnapshotProgress(io.syncline.persistence.IncrementalSnapshotState state) implements CaptureRecord {}

  /**
   * Every row of one chunk of {@code table}'s initial snapshot was read (the chunk's rows come
   * before this mark). Once it is delivered, the table entity records the chunk, and a restart
   * does not read it again.
   *
   * @param view the position of the consistent view the chunk was read at
   */
  record SnapshotChunkDone(TableRef table, io.syncline.streams.snapshot.KeyRange range, SourcePosition view, long rows)
      implements CaptureRecord {}
}
