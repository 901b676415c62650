package io.syncline.streams.snapshot.incremental;

import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The de-duplication window of one chunk (DBLog): from the low watermark to the high watermark in
 * the change stream, the keys of the chunk's table that streamed events changed. At the high
 * watermark the chunk's rows minus those keys are what may be emitted as reads: for every other
 * key the streamed event (delivered in order) already carries a state at least as new as the
 * chunk's. Pure; one per chunk.
 */
public final class ChunkWindow {

  /** A row's key values (by value, arrays compared deeply). */
  public record Key(Object[] values) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.deepEquals(values, k.values);
    }

    @Override
    public int hashCode() {
      return Arrays.deepHashCode(values);
    }

    @Override
    public String toString() {
      return "Key(" + values.length + " columns)"; // never the values: row data
    }

    /** The key of {@code row} by its schema's key columns; null when the row is null or keyless. */
    public static Key of(Row row) {
      if (row == null || row.schema().keyCount() == 0) {
        return null;
      }
      Object[] v = new Object[row.schema().keyCount()];
      for (int i = 0; i < v.length; i++) {
        v[i] = row.get(row.schema().keyIndex(i));
      }
      return new Key(v);
    }
  }

  private final Set<Key> changed = new HashSet<>();
  private boolean truncated;

  /** A streamed change of the chunk's table inside the window: its keys (old and new) are remembered. */
  public void changed(ChangeEvent e) {
    if (e.op() == Op.TRUNCATE) {
      truncated = true;
      return;
    }
    Key before = Key.of(e.before());
    Key after = Key.of(e.after());
    if (before != null) {
      changed.add(before);
    }
    if (after != null) {
      changed.add(after);
    }
  }

  /** How many distinct keys changed inside the window. */
  public int changedKeys() {
    return changed.size();
  }

  /** The chunk's rows that no streamed event inside the window touched (none after a truncate). */
  public List<Row> close(List<Row> chunk) {
    if (truncated) {
      return List.of();
    }
    List<Row> out = new ArrayList<>(chunk.size());
    for (Row r : chunk) {
      if (!changed.contains(Key.of(r))) {
        out.add(r);
      }
    }
    return out;
  }
}
