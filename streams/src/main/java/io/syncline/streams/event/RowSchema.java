package io.syncline.streams.event;

import java.util.Arrays;
import java.util.List;

/**
 * Column names of a row in table order, and which of them form the primary key (the message key).
 * One instance per table definition: when the table is altered a new instance replaces it.
 *
 * @param columns column names in table order
 * @param keyIndexes indexes into {@code columns} of the key columns, in key order; empty when the
 *     table has neither a primary key nor a replica-identity index: its message key is then null
 *     (see docs/type-mapping.md)
 */
public record RowSchema(String[] columns, int[] keyIndexes) {

  public RowSchema {
    columns = columns.clone();
    keyIndexes = keyIndexes.clone();
    for (int k : keyIndexes) {
      if (k < 0 || k >= columns.length) {
        throw new IllegalArgumentException("key index " + k + " outside " + columns.length + " columns");
      }
    }
  }

  public static RowSchema of(List<String> columns, List<String> keyColumns) {
    String[] cols = columns.toArray(String[]::new);
    int[] keys = keyColumns.stream().mapToInt(columns::indexOf).toArray();
    return new RowSchema(cols, keys);
  }

  public int size() {
    return columns.length;
  }

  public String column(int i) {
    return columns[i];
  }

  public int indexOf(String column) {
    for (int i = 0; i < columns.length; i++) {
      if (columns[i].equals(column)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public String[] columns() {
    return columns.clone();
  }

  @Override
  public int[] keyIndexes() {
    return keyIndexes.clone();
  }

  /** Number of key columns (0: the message key is null). */
  public int keyCount() {
    return keyIndexes.length;
  }

  /** Column index of the i-th key column. */
  public int keyIndex(int i) {
    return keyIndexes[i];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RowSchema other
        && Arrays.equals(columns, other.columns)
        && Arrays.equals(keyIndexes, other.keyIndexes);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(columns) + Arrays.hashCode(keyIndexes);
  }

  @Override
  public String toString() {
    return "RowSchema" + Arrays.toString(columns) + " key" + Arrays.toString(keyIndexes);
  }
}
