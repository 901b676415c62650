package io.syncline.streams.mysql.schema;

import java.util.List;

/** What one DDL statement does to table definitions, as {@link DdlParser} reads it. */
public sealed interface SchemaChange {

  /**
   * CREATE TABLE with its column list.
   *
   * @param replace {@code CREATE OR REPLACE}, or a recorded definition that replaces what is known
   * @param jsonChecks columns named by a table-level {@code CHECK (json_valid(col))}
   */
  record CreateTable(TableName name, boolean ifNotExists, boolean replace, List<ColumnDefinition> columns,
      List<String> primaryKey, List<String> jsonChecks, String charset, String collation) implements SchemaChange {
    public CreateTable {
      columns = List.copyOf(columns);
      primaryKey = List.copyOf(primaryKey);
      jsonChecks = List.copyOf(jsonChecks);
    }
  }

  /** {@code CREATE TABLE name LIKE source}. */
  record CreateTableLike(TableName name, TableName source, boolean ifNotExists, boolean replace) implements SchemaChange {}

  /** ALTER TABLE with the specifications that change columns or the key, in order. */
  record AlterTable(TableName name, List<AlterSpec> specs) implements SchemaChange {
    public AlterTable {
      specs = List.copyOf(specs);
    }
  }

  /** One pair of {@code RENAME TABLE a TO b, c TO d} (pairs apply in order). */
  record RenameTable(TableName from, TableName to) implements SchemaChange {}

  /** One table of {@code DROP TABLE a, b}. */
  record DropTable(TableName name) implements SchemaChange {}

  /** {@code DROP DATABASE}: every table in it is gone. */
  record DropDatabase(String database) implements SchemaChange {}

  /** {@code CREATE/ALTER DATABASE … CHARACTER SET}: the default for tables created later. */
  record DatabaseCharset(String database, String charset) implements SchemaChange {}

  /**
   * A statement on a table that the parser does not understand well enough to know its effect on
   * the columns.
   *
   * @param table the table, or null when even its name could not be read
   */
  record NotUnderstood(TableName table, String reason) implements SchemaChange {}

  /** Where ADD/MODIFY/CHANGE puts a column: at the end (both null), FIRST, or AFTER a column. */
  record ColumnPosition(boolean first, String after) {
    public static final ColumnPosition END = new ColumnPosition(false, null);
  }

  /** One specification of ALTER TABLE that matters to the row images. */
  sealed interface AlterSpec {
    record AddColumn(ColumnDefinition column, ColumnPosition position, boolean ifNotExists) implements AlterSpec {}

    record DropColumn(String column, boolean ifExists) implements AlterSpec {}

    /** MODIFY (same name) and CHANGE (old name, new definition). */
    record ChangeColumn(String column, ColumnDefinition definition, ColumnPosition position, boolean ifExists)
        implements AlterSpec {}

    record RenameColumn(String from, String to, boolean ifExists) implements AlterSpec {}

    record RenameTo(TableName to) implements AlterSpec {}

    record AddPrimaryKey(List<String> columns) implements AlterSpec {
      public AddPrimaryKey {
        columns = List.copyOf(columns);
      }
    }

    record DropPrimaryKey() implements AlterSpec {}

    /** {@code ADD CONSTRAINT … CHECK (json_valid(col))}: MariaDB's JSON marker. */
    record AddJsonCheck(String column) implements AlterSpec {}

    /** {@code CONVERT TO CHARACTER SET}: every character column and the default take the charset. */
    record ConvertCharset(String charset, String collation) implements AlterSpec {}

    /** {@code [DEFAULT] CHARACTER SET}: only the default for columns added later. */
    record DefaultCharset(String charset, String collation) implements AlterSpec {}
  }
}
