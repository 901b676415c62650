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
   * is idle with nothing open). Once everything before it is delivered, the source may be
   * acknowledged up to {@code ack}.
   *
   * @param completed the position of the transaction that just ended, as a table position (null when idle)
   * @param ack the source position to acknowledge (PostgreSQL: the commit's end LSN, or the server's
   *     sent position when idle)
   */
  record Checkpoint(SourcePosition completed, SourcePosition ack) implements CaptureRecord {}

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
