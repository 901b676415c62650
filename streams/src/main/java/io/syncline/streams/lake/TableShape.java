package io.syncline.streams.lake;

import io.syncline.streams.event.TableRef;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The columns of one source table as the lake types them, and its key columns: what silver needs
 * besides the envelope (which carries values, not types). One instance per table definition, like
 * {@link io.syncline.streams.event.RowSchema}: the source gives a new one when the table changes.
 *
 * @param table the source table
 * @param columns columns in table order
 * @param keyColumns names of the primary-key columns, in key order; empty for a table without a key
 * @param open the columns are those of this change only, not the table's (MongoDB documents of one
 *     collection need not share fields): a column silver has and the shape lacks is not a dropped
 *     column, and silver's schema is the union of the columns seen
 */
public record TableShape(TableRef table, List<LakeColumn> columns, List<String> keyColumns, boolean open) {

  /** A closed shape: the table's complete column list (relational sources). */
  public TableShape(TableRef table, List<LakeColumn> columns, List<String> keyColumns) {
    this(table, columns, keyColumns, false);
  }

  public TableShape {
    columns = List.copyOf(columns);
    keyColumns = List.copyOf(keyColumns);
    Set<String> names = new HashSet<>();
    for (LakeColumn c : columns) {
      if (!names.add(c.name())) {
        throw new IllegalArgumentException("column " + c.name() + " of " + table + " is listed twice");
      }
      if (c.name().startsWith("_")) {
        // not refused: a source column may start with '_'; only the metadata names are taken
        if (SilverTable.METADATA_COLUMNS.contains(c.name())) {
          throw new IllegalArgumentException("column " + c.name() + " of " + table
              + " has the name of a silver metadata column; rename it at the source or leave the table out of the lake");
        }
      }
    }
    for (String k : keyColumns) {
      if (!names.contains(k)) {
        throw new IllegalArgumentException("key column " + k + " of " + table + " is not one of its columns");
      }
    }
  }

  /**
   * An open shape without types (every column a string, see {@code open}): for sources without
   * column types or a fixed column list (MongoDB collections: the fields of the change's document).
   */
  public static TableShape untyped(TableRef table, List<String> columns, List<String> keyColumns) {
    List<LakeColumn> cols = new ArrayList<>(columns.size());
    for (String c : columns) {
      cols.add(new LakeColumn(c, LakeType.TEXT));
    }
    return new TableShape(table, cols, keyColumns, true);
  }

  /** The column of this name, or null. */
  public LakeColumn column(String name) {
    for (LakeColumn c : columns) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    return null;
  }
}
