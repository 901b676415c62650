package io.syncline.streams.capture;

import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.event.TableRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a delivered batch (or several merged) moves: per table the highest delivered position and
 * the changes counted, snapshots completed, and the boundary up to which the source may be
 * acknowledged once the tables have recorded this.
 *
 * @param tables per table: highest delivered streaming position (null when only snapshot rows) and counts
 * @param snapshotsDone tables whose snapshot was entirely delivered
 * @param boundary the last checkpoint's boundary in the batch, or null: every change before it is delivered, for
 *     every table; the source is acknowledged up to it after recording, and idle tables may record it
 * @param events number of change events delivered
 * @param commitMicros source commit times of delivered streaming events (for lag), may be sampled
 * @param chunksDone snapshot chunks whose rows were all delivered
 * @param incremental the source's incremental-snapshot state as of the end of the batch, or null when
 *     the batch did not change it (docs/incremental-snapshots.md)
 * @param tableBoundaries per table, the last {@link CaptureRecord.TableCheckpoint} boundary of the batch
 */
public record Progress(
    Map<TableRef, TableProgress> tables,
    List<CaptureRecord.SnapshotDone> snapshotsDone,
    SourcePosition boundary,
    long events,
    long[] commitMicros,
    List<CaptureRecord.SnapshotChunkDone> chunksDone,
    IncrementalSnapshotState incremental,
    Map<TableRef, SourcePosition> tableBoundaries) {

  public Progress {
    if (boundary != null && !boundary.isBoundary()) {
      throw new IllegalArgumentException("progress boundary must be a boundary position, got " + boundary.display());
    }
    tableBoundaries = tableBoundaries == null ? Map.of() : Map.copyOf(tableBoundaries);
  }

  public Progress(Map<TableRef, TableProgress> tables, List<CaptureRecord.SnapshotDone> snapshotsDone,
      SourcePosition boundary, long events, long[] commitMicros) {
    this(tables, snapshotsDone, boundary, events, commitMicros, List.of(), null, Map.of());
  }

  /** Delivered position and counts of one table. */
  public record TableProgress(SourcePosition position, OpCounts counts) {

    TableProgress merge(TableProgress later) {
      SourcePosition p = position == null ? later.position
          : later.position == null ? position
          : later.position.isAfter(position) ? later.position : position;
      return new TableProgress(p, counts.plus(later.counts));
    }
  }

  public static final Progress EMPTY = new Progress(Map.of(), List.of(), null, 0, new long[0]);

  /** This progress followed by a later one. */
  public Progress merge(Progress later) {
    Map<TableRef, TableProgress> t = new HashMap<>(tables);
    later.tables.forEach((k, v) -> t.merge(k, v, TableProgress::merge));
    List<CaptureRecord.SnapshotDone> s = new ArrayList<>(snapshotsDone);
    s.addAll(later.snapshotsDone);
    long[] m = new long[commitMicros.length + later.commitMicros.length];
    System.arraycopy(commitMicros, 0, m, 0, commitMicros.length);
    System.arraycopy(later.commitMicros, 0, m, commitMicros.length, later.commitMicros.length);
    List<CaptureRecord.SnapshotChunkDone> c = chunksDone.isEmpty() ? later.chunksDone : new ArrayList<>(chunksDone);
    if (!chunksDone.isEmpty()) {
      c.addAll(later.chunksDone);
    }
    Map<TableRef, SourcePosition> b = tableBoundaries;
    if (!later.tableBoundaries.isEmpty()) {
      b = new HashMap<>(tableBoundaries);
      b.putAll(later.tableBoundaries); // a table's boundaries only grow along its stream
    }
    return new Progress(Map.copyOf(t), List.copyOf(s), later.boundary != null ? later.boundary : boundary,
        events + later.events, m, List.copyOf(c), later.incremental != null ? later.incremental : incremental, b);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Progress p && tables.equals(p.tables) && snapshotsDone.equals(p.snapshotsDone)
        && java.util.Objects.equals(boundary, p.boundary) && events == p.events
        && java.util.Arrays.equals(commitMicros, p.commitMicros) && chunksDone.equals(p.chunksDone)
        && java.util.Objects.equals(incremental, p.incremental) && tableBoundaries.equals(p.tableBoundaries);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(tables, snapshotsDone, boundary, events, chunksDone, incremental, tableBoundaries) * 31
        + java.util.Arrays.hashCode(commitMicros);
  }

  @Override
  public String toString() {
    return "Progress[tables=" + tables.keySet() + ", snapshotsDone=" + snapshotsDone.size()
        + ", chunksDone=" + chunksDone.size() + ", boundary=" + boundary
        + ", events=" + events + "]";
  }
}
