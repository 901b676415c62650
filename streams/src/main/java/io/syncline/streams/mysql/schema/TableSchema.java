package io.syncline.streams.mysql.schema;

import io.syncline.streams.mysql.types.MySqlColumn;
import java.util.List;

/**
 * The definition of one table at one point of the binlog: its columns in table order (charsets
 * resolved), its primary key and its default character set (for columns added later).
 */
public record TableSchema(TableName name, List<ColumnDefinition> columns, List<String> primaryKey, String defaultCharset) {

  public TableSchema {
    columns = List.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
  }

  /** The position of column {@code column} (any case), or -1. */
  public int indexOf(String column) {
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).name().equalsIgnoreCase(column)) {
        return i;
      }
    }
    return -1;
  }

  public List<String> columnNames() {
    return columns.stream().map(ColumnDefinition::name).toList();
  }

  /** The columns as the converters see them. */
  public List<MySqlColumn> mySqlColumns(boolean mariaDb) {
    return columns.stream().map(c -> c.toMySqlColumn(mariaDb, name)).toList();
  }

  public TableSchema withName(TableName newName) {
    return new TableSchema(newName, columns, primaryKey, defaultCharset);
  }
}
