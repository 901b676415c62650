package io.syncline.streams.mysql;

import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.TableRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Drops the binlog changes a snapshot already holds: once the snapshot of a table is done at
 * position {@code s} ({@link CaptureRecord.SnapshotDone}, which comes before any binlog record in the
 * stream), its binlog changes at or before {@code s} are dropped. They occur when the binlog is read
 * from a position older than the snapshot's (tables snapshotted later than others). A table's fence
 * is forgotten once a transaction after it has ended. One instance per stream; not thread-safe.
 */
final class MySqlSnapshotFilter {

  private final Map<TableRef, SourcePosition> fences = new HashMap<>();
  private long dropped;

  /** The records to pass on: {@code chunk} itself when nothing is dropped. */
  List<CaptureRecord> apply(List<CaptureRecord> chunk) {
    if (fences.isEmpty()) {
      for (CaptureRecord r : chunk) {
        if (r instanceof CaptureRecord.SnapshotDone d) {
          fences.put(d.table(), d.position());
        }
      }
      return chunk;
    }
    List<CaptureRecord> out = new ArrayList<>(chunk.size());
    for (CaptureRecord r : chunk) {
      if (r instanceof CaptureRecord.SnapshotDone d) {
        fences.put(d.table(), d.position());
      } else if (r instanceof CaptureRecord.Change c && !c.event().snapshot()) {
        SourcePosition fence = fences.get(c.event().table());
        if (fence != null && !c.event().position().isAfter(fence)) {
          dropped++;
          continue;
        }
      } else if (r instanceof CaptureRecord.Checkpoint cp && cp.completed() != null) {
        fences.values().removeIf(fence -> cp.completed().isAfter(fence));
      }
      out.add(r);
    }
    return out;
  }

  /** Binlog changes dropped so far. */
  long dropped() {
    return dropped;
  }
}
