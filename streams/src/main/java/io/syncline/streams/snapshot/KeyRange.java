package io.syncline.streams.snapshot;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A range of a table's single-column integer primary key: {@code lo < key <= hi}, a null bound
 * being unbounded. A chunk's bounds are key values, so a chunk is read with
 * {@code WHERE pk > lo AND pk <= hi} and stays well defined whatever is inserted or deleted later.
 * {@link #ALL} (both bounds null) is a whole table, whatever its key (also none, or composite).
 *
 * @param lo exclusive lower bound, null: from the smallest key
 * @param hi inclusive upper bound, null: to the largest key
 */
public record KeyRange(Long lo, Long hi) {

  /** The whole table. */
  public static final KeyRange ALL = new KeyRange(null, null);

  /** Rejects an empty range ({@code lo >= hi}). */
  public KeyRange {
    if (lo != null && hi != null && lo >= hi) {
      throw new IllegalArgumentException("empty key range (" + lo + ", " + hi + "]");
    }
  }

  /** True for the whole table. */
  public boolean isAll() {
    return lo == null && hi == null;
  }

  /** True when {@code key} is inside. */
  public boolean contains(long key) {
    return (lo == null || key > lo) && (hi == null || key <= hi);
  }

  /**
   * What the completed ranges leave of the whole key space, in key order. The completed ranges
   * must not overlap (chunks of one plan never do; ranges re-planned from this complement neither).
   */
  public static List<KeyRange> remaining(List<KeyRange> completed) {
    if (completed.isEmpty()) {
      return List.of(ALL);
    }
    List<KeyRange> done = new ArrayList<>(completed);
    done.sort(Comparator.comparing(KeyRange::lo, Comparator.nullsFirst(Comparator.naturalOrder())));
    List<KeyRange> out = new ArrayList<>();
    KeyRange first = done.get(0);
    if (first.lo != null) {
      out.add(new KeyRange(null, first.lo));
    }
    Long covered = first.hi; // every key at or below it is covered (null: the top was reached)
    for (KeyRange r : done.subList(1, done.size())) {
      if (covered == null || r.lo == null || r.lo < covered) {
        throw new IllegalArgumentException("completed key ranges overlap: " + completed);
      }
      if (r.lo > covered) {
        out.add(new KeyRange(covered, r.lo));
      }
      covered = r.hi;
    }
    if (covered != null) {
      out.add(new KeyRange(covered, null));
    }
    return List.copyOf(out);
  }

  /** The SQL condition selecting this range of {@code quotedKey} (with a leading space), or "" for the whole table. */
  public String where(String quotedKey) {
    if (isAll()) {
      return "";
    }
    StringBuilder b = new StringBuilder(" WHERE ");
    if (lo != null) {
      b.append(quotedKey).append(" > ").append(lo.longValue());
    }
    if (hi != null) {
      b.append(lo != null ? " AND " : "").append(quotedKey).append(" <= ").append(hi.longValue());
    }
    return b.toString();
  }

  @Override
  public String toString() {
    return "(" + (lo == null ? "-inf" : lo) + ", " + (hi == null ? "+inf" : hi) + "]";
  }
}
