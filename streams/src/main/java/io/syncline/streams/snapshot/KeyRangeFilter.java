package io.syncline.streams.snapshot;

import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.TableRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * Drops the streamed changes a snapshot chunk already holds. A chunk of key range R read at a
 * consistent view V holds every change to a key of R at or before V; the change log is read from
 * the original snapshot's position S (at or before V), so its changes to keys of R at or before V
 * would be applied twice, and in the wrong order relative to the rows read. Each chunk is a fence
 * {@code (table, R, V)}: a streamed change is dropped when every key it touches (the key of its
 * before image and of its after image) lies in a fenced range whose view is not before the change.
 * Fences come from chunks recorded by earlier runs and from the {@link CaptureRecord.SnapshotChunkDone}
 * marks of this run (which come before any streamed change); all are forgotten once a transaction
 * after the latest of them has ended. One instance per stream; not thread-safe.
 *
 * <p>A change whose keys fall partly in a fenced range and partly outside (a primary-key update
 * moving a row between a chunk read at S and one re-read later) is kept: see
 * docs/positions-and-recovery.md.
 */
public final class KeyRangeFilter {

  private record Fence(KeyRange range, SourcePosition view) {}

  private final Map<TableRef, List<Fence>> fences = new HashMap<>();
  private SourcePosition latest;
  private long dropped;

  /** @param recorded chunks recorded by earlier runs, per table, whose rows this run does not read again */
  public KeyRangeFilter(Map<TableRef, List<SnapshotChunk>> recorded) {
    recorded.forEach((t, chunks) -> chunks.forEach(c -> fence(t, c.range(), c.view())));
  }

  /** The filter as a stream stage (one filter per materialization). */
  public static Flow<List<CaptureRecord>, List<CaptureRecord>, NotUsed> flow(Map<TableRef, List<SnapshotChunk>> recorded) {
    Map<TableRef, List<SnapshotChunk>> copy = Map.copyOf(recorded);
    return Flow.<List<CaptureRecord>>create().statefulMapConcat(() -> {
      KeyRangeFilter filter = new KeyRangeFilter(copy);
      return chunk -> {
        List<CaptureRecord> out = filter.apply(chunk);
        return out.isEmpty() ? List.<List<CaptureRecord>>of() : List.of(out);
      };
    });
  }

  private void fence(TableRef table, KeyRange range, SourcePosition view) {
    fences.computeIfAbsent(table, t -> new ArrayList<>()).add(new Fence(range, view));
    if (latest == null || view.isAfter(latest)) {
      latest = view;
    }
  }

  /** The records to pass on: {@code chunk} itself when nothing is dropped. */
  public List<CaptureRecord> apply(List<CaptureRecord> chunk) {
    List<CaptureRecord> out = null;
    for (int i = 0; i < chunk.size(); i++) {
      CaptureRecord r = chunk.get(i);
      boolean drop = false;
      if (r instanceof CaptureRecord.SnapshotChunkDone d) {
        fence(d.table(), d.range(), d.view());
      } else if (r instanceof CaptureRecord.Change c && !c.event().snapshot() && !fences.isEmpty()) {
        drop = covered(c.event());
      } else if (r instanceof CaptureRecord.Checkpoint cp && cp.completed() != null && latest != null
          && cp.completed().isAfter(latest)) {
        fences.clear();
        latest = null;
      }
      if (drop) {
        dropped++;
        if (out == null) {
          out = new ArrayList<>(chunk.subList(0, i));
        }
      } else if (out != null) {
        out.add(r);
      }
    }
    return out == null ? chunk : out;
  }

  private boolean covered(ChangeEvent e) {
    List<Fence> f = fences.get(e.table());
    if (f == null) {
      return false;
    }
    if (e.before() == null && e.after() == null) {
      return false; // a truncate: never covered by a key range
    }
    return (e.before() == null || covered(f, e.before(), e.position()))
        && (e.after() == null || covered(f, e.after(), e.position()));
  }

  private static boolean covered(List<Fence> fences, Row row, SourcePosition position) {
    Long key = integerKey(row);
    for (Fence fence : fences) {
      if (!position.isAfter(fence.view()) && (fence.range().isAll() || (key != null && fence.range().contains(key)))) {
        return true;
      }
    }
    return false;
  }

  /** The row's key when it is one integer column, else null. */
  static Long integerKey(Row row) {
    if (row.schema().keyCount() != 1) {
      return null;
    }
    Object v = row.get(row.schema().keyIndex(0));
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof java.math.BigInteger b && b.bitLength() < 64) {
      return b.longValue();
    }
    return null;
  }

  /** Changes dropped so far. */
  public long dropped() {
    return dropped;
  }
}
