package io.syncline.streams.mysql.schema;

import io.syncline.streams.mysql.types.MySqlColumn;
import io.syncline.streams.mysql.types.MySqlColumn.Kind;
import java.util.List;
import java.util.Set;

/**
 * One column as a DDL statement defines it: what the converters need and nothing else (defaults,
 * nullability and comments do not change how the binlog encodes a value).
 *
 * @param name column name (compared without regard to case, as the server does)
 * @param type the base type in lower case, aliases resolved ({@code integer} → {@code int},
 *     {@code national varchar} → {@code varchar} with utf8mb3, {@code double precision} → {@code double})
 * @param args the numbers in the type's parentheses ({@code decimal(12,4)} → 12, 4); empty if none
 * @param unsigned UNSIGNED or ZEROFILL
 * @param charset the character set of a character, ENUM or SET column: as written, or once the
 *     column is in a {@link TableSchema} the effective one (table or database default); null for the others
 * @param collation the collation as written, or null
 * @param labels ENUM/SET members in order; empty for the others
 * @param json MariaDB JSON: declared {@code JSON}, or a text column with a {@code json_valid(col)} check
 */
public record ColumnDefinition(String name, String type, List<String> args, boolean unsigned, String charset,
    String collation, List<String> labels, boolean json) {

  private static final Set<String> CHARACTER_TYPES = Set.of("char", "varchar", "tinytext", "text", "mediumtext",
      "longtext", "enum", "set");

  public ColumnDefinition {
    if (name == null || name.isEmpty() || type == null) {
      throw new IllegalArgumentException("a column needs a name and a type");
    }
    args = List.copyOf(args);
    labels = List.copyOf(labels);
  }

  /** Whether the column's values are text in a character set (so a table or database default applies). */
  public boolean isCharacter() {
    return CHARACTER_TYPES.contains(type) || (json && !type.equals("json"));
  }

  public ColumnDefinition withName(String newName) {
    return new ColumnDefinition(newName, type, args, unsigned, charset, collation, labels, json);
  }

  public ColumnDefinition withCharset(String newCharset, String newCollation) {
    return new ColumnDefinition(name, type, args, unsigned, newCharset, newCollation, labels, json);
  }

  public ColumnDefinition withJson(boolean isJson) {
    return new ColumnDefinition(name, type, args, unsigned, charset, collation, labels, isJson);
  }

  /**
   * The column as the converters see it; equal to what {@link MySqlColumn#fromInformationSchema}
   * gives for the same column.
   *
   * @param mariaDb true on MariaDB, where {@code JSON} is a LONGTEXT holding JSON text
   * @param table the table, for the error message
   * @throws IllegalStateException for a type Syncline does not support
   */
  public MySqlColumn toMySqlColumn(boolean mariaDb, TableName table) {
    boolean binaryCharset = charset == null || charset.equals("binary");
    MySqlColumn c = switch (type) {
      case "tinyint" -> simple(Kind.TINYINT, unsigned);
      case "smallint" -> simple(Kind.SMALLINT, unsigned);
      case "mediumint" -> simple(Kind.MEDIUMINT, unsigned);
      case "int" -> simple(Kind.INT, unsigned);
      case "bigint" -> simple(Kind.BIGINT, unsigned);
      case "decimal" -> simple(Kind.DECIMAL, unsigned);
      case "float" -> simple(args.size() == 1 && Integer.parseInt(args.get(0)) > 24 ? Kind.DOUBLE : Kind.FLOAT, unsigned);
      case "double" -> simple(Kind.DOUBLE, unsigned);
      case "bit" -> new MySqlColumn(name, Kind.BIT, false, args.isEmpty() ? 1 : Integer.parseInt(args.get(0)), null, List.of());
      case "char" -> binaryCharset
          ? new MySqlColumn(name, Kind.BINARY, false, args.isEmpty() ? 1 : Integer.parseInt(args.get(0)), null, List.of())
          : text();
      case "varchar", "tinytext", "text", "mediumtext", "longtext" -> binaryCharset ? simple(Kind.BINARY, false) : text();
      case "binary" -> new MySqlColumn(name, Kind.BINARY, false, args.isEmpty() ? 1 : Integer.parseInt(args.get(0)), null, List.of());
      case "varbinary", "tinyblob", "blob", "mediumblob", "longblob" -> simple(Kind.BINARY, false);
      case "enum" -> new MySqlColumn(name, Kind.ENUM, false, 0, charset, labels);
      case "set" -> new MySqlColumn(name, Kind.SET, false, 0, charset, labels);
      case "date" -> simple(Kind.DATE, false);
      case "time" -> simple(Kind.TIME, false);
      case "datetime" -> simple(Kind.DATETIME, false);
      case "timestamp" -> simple(Kind.TIMESTAMP, false);
      case "year" -> simple(Kind.YEAR, false);
      case "json" -> mariaDb ? new MySqlColumn(name, Kind.JSON_TEXT, false, 0, charset == null ? "utf8mb4" : charset, List.of())
          : simple(Kind.JSON, false);
      case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
          "geometrycollection", "geomcollection" -> simple(Kind.GEOMETRY, false);
      default -> throw new IllegalStateException("column " + name + " of " + table + " has type " + type
          + ", which Syncline does not support");
    };
    return json && c.kind() == Kind.TEXT ? c.asJsonText() : c;
  }

  private MySqlColumn simple(Kind kind, boolean isUnsigned) {
    return new MySqlColumn(name, kind, isUnsigned, 0, null, List.of());
  }

  private MySqlColumn text() {
    return new MySqlColumn(name, Kind.TEXT, false, 0, charset, List.of());
  }
}
