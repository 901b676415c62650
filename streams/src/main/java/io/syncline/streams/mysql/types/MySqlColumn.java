package io.syncline.streams.mysql.types;

import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.TableMapEventMetadata;
import com.github.shyiko.mysql.binlog.event.TableMapEventMetadata.DefaultCharset;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What Syncline knows of one MySQL/MariaDB column: enough to choose its converter
 * ({@link MySqlValueConverters#converterFor(MySqlColumn)}). Built from a binlog TABLE_MAP event
 * ({@link #fromTableMap}, needs {@code binlog_row_metadata=FULL} for the names and enum/set labels)
 * or from {@code information_schema} ({@link #fromInformationSchema}); both give equal records for
 * the same table, except that MariaDB's JSON (a {@code LONGTEXT} with a {@code json_valid} check)
 * is invisible in the binlog: {@link #mariaDbJsonColumns} finds those, {@link #asJsonText()} marks them.
 *
 * @param name column name
 * @param kind the type family, which decides the conversion
 * @param unsigned true for UNSIGNED integer, decimal and floating-point columns
 * @param length BIT: the number of bits (1..64); BINARY: the fixed length in bytes (the binlog
 *     strips trailing zero bytes, the converter restores them); 0 for every other column
 * @param charset the MySQL character set name of a TEXT, ENUM, SET or JSON_TEXT column
 *     ({@code utf8mb4}, {@code latin1}, …), null for the others and when the collation is unknown
 * @param labels ENUM/SET: the member labels in definition order; empty for the others
 */
public record MySqlColumn(String name, Kind kind, boolean unsigned, int length, String charset, List<String> labels) {

  /** Type families; each has one conversion (see docs/type-mapping.md, MySQL / MariaDB). */
  public enum Kind {
    TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT, DECIMAL, FLOAT, DOUBLE, BIT,
    /** char, varchar, tinytext … longtext with a character set other than binary. */
    TEXT,
    /** binary, varbinary, tinyblob … longblob (and text types with the binary character set). */
    BINARY,
    ENUM, SET, DATE, TIME, DATETIME, TIMESTAMP, YEAR,
    /** MySQL's JSON type: MySQL's binary JSON format in the binlog. */
    JSON,
    /** MariaDB's JSON: a LONGTEXT with a json_valid check, JSON text in the binlog. */
    JSON_TEXT,
    GEOMETRY
  }

  public MySqlColumn {
    if (name == null || kind == null) {
      throw new IllegalArgumentException("a column needs a name and a kind");
    }
    labels = labels == null ? List.of() : List.copyOf(labels);
  }

  /** This column as MariaDB JSON (a TEXT column whose values are JSON text). */
  public MySqlColumn asJsonText() {
    if (kind != Kind.TEXT) {
      throw new IllegalArgumentException("column " + name + " (" + kind + ") is not a text column and cannot hold JSON text");
    }
    return new MySqlColumn(name, Kind.JSON_TEXT, false, 0, charset, labels);
  }

  // ---------------------------------------------------------------- TABLE_MAP

  // binlog column type codes (MySQL include/field_types.h, enum_field_types)
  private static final int DECIMAL = 0, TINY = 1, SHORT = 2, LONG = 3, FLOAT = 4, DOUBLE = 5, TIMESTAMP = 7,
      LONGLONG = 8, INT24 = 9, DATE = 10, TIME = 11, DATETIME = 12, YEAR = 13, NEWDATE = 14, VARCHAR = 15,
      BIT = 16, TIMESTAMP2 = 17, DATETIME2 = 18, TIME2 = 19, JSON = 245, NEWDECIMAL = 246, ENUM = 247, SET = 248,
      TINY_BLOB = 249, MEDIUM_BLOB = 250, LONG_BLOB = 251, BLOB = 252, VAR_STRING = 253, STRING = 254, GEOMETRY = 255;

  /** The binary character set: its "text" is bytes. */
  private static final int BINARY_COLLATION = 63;

  /**
   * The columns of a TABLE_MAP event written with {@code binlog_row_metadata=FULL}.
   *
   * @throws IllegalStateException when the event carries no column names (the server runs with
   *     {@code binlog_row_metadata=MINIMAL}: use {@link #fromInformationSchema} instead)
   */
  public static List<MySqlColumn> fromTableMap(TableMapEventData tableMap) {
    String table = tableMap.getDatabase() + "." + tableMap.getTable();
    TableMapEventMetadata meta = tableMap.getEventMetadata();
    byte[] types = tableMap.getColumnTypes();
    int[] metadata = tableMap.getColumnMetadata();
    if (meta == null || meta.getColumnNames() == null || meta.getColumnNames().size() != types.length) {
      throw new IllegalStateException("the TABLE_MAP event of " + table + " has no column names: set"
          + " binlog_row_metadata=FULL on the server, or read the columns from information_schema");
    }
    BitSet signedness = meta.getSignedness() == null ? new BitSet() : meta.getSignedness();
    List<String[]> enumLabels = meta.getEnumStrValues() == null ? List.of() : meta.getEnumStrValues();
    List<String[]> setLabels = meta.getSetStrValues() == null ? List.of() : meta.getSetStrValues();
    int characterColumns = 0;
    int enumOrSetColumns = 0;
    for (int i = 0; i < types.length; i++) {
      int code = realType(types[i] & 0xFF, metadata[i]);
      if (isCharacter(code)) {
        characterColumns++;
      } else if (code == ENUM || code == SET) {
        enumOrSetColumns++;
      }
    }
    int[] collations = collations(meta.getDefaultCharset(), meta.getColumnCharsets(), characterColumns);
    int[] enumSetCollations = collations(meta.getEnumAndSetDefaultCharset(), meta.getEnumAndSetColumnCharsets(),
        enumOrSetColumns);

    List<MySqlColumn> columns = new ArrayList<>(types.length);
    int character = 0;
    int enumOrSet = 0;
    int enums = 0;
    int sets = 0;
    for (int i = 0; i < types.length; i++) {
      String name = meta.getColumnNames().get(i);
      int type = types[i] & 0xFF;
      int m = metadata[i];
      int code = realType(type, m);
      boolean unsigned = isNumeric(code) && signedness.get(i); // the library indexes the bitmap by column
      MySqlColumn column;
      if (code == GEOMETRY) {
        character++;
        column = new MySqlColumn(name, Kind.GEOMETRY, false, 0, null, List.of());
      } else if (isCharacter(code)) {
        int collation = collations[character++];
        boolean binary = collation == BINARY_COLLATION;
        int length = binary && code == STRING ? stringLength(m) : 0;
        column = new MySqlColumn(name, binary ? Kind.BINARY : Kind.TEXT, false, length,
            binary ? null : Collations.charsetOf(collation), List.of());
      } else if (code == ENUM || code == SET) {
        String charset = Collations.charsetOf(enumSetCollations[enumOrSet++]);
        List<String[]> all = code == ENUM ? enumLabels : setLabels;
        int index = code == ENUM ? enums++ : sets++;
        if (index >= all.size()) {
          throw new IllegalStateException("the TABLE_MAP event of " + table + " has no labels for column " + name
              + ": set binlog_row_metadata=FULL on the server");
        }
        column = new MySqlColumn(name, code == ENUM ? Kind.ENUM : Kind.SET, false, 0, charset, List.of(all.get(index)));
      } else {
        Kind kind = switch (code) {
          case TINY -> Kind.TINYINT;
          case SHORT -> Kind.SMALLINT;
          case INT24 -> Kind.MEDIUMINT;
          case LONG -> Kind.INT;
          case LONGLONG -> Kind.BIGINT;
          case DECIMAL, NEWDECIMAL -> Kind.DECIMAL;
          case FLOAT -> Kind.FLOAT;
          case DOUBLE -> Kind.DOUBLE;
          case BIT -> Kind.BIT;
          case DATE, NEWDATE -> Kind.DATE;
          case TIME, TIME2 -> Kind.TIME;
          case DATETIME, DATETIME2 -> Kind.DATETIME;
          case TIMESTAMP, TIMESTAMP2 -> Kind.TIMESTAMP;
          case YEAR -> Kind.YEAR;
          case JSON -> Kind.JSON;
          case GEOMETRY -> Kind.GEOMETRY;
          default -> throw new IllegalStateException("column " + name + " of " + table
              + " has binlog type " + code + ", which Syncline does not support");
        };
        int length = kind == Kind.BIT ? (m >> 8) * 8 + (m & 0xFF) : 0;
        column = new MySqlColumn(name, kind, unsigned, length, null, List.of());
      }
      columns.add(column);
    }
    return List.copyOf(columns);
  }

  /** ENUM and SET arrive as STRING with the real type in the first metadata byte. */
  private static int realType(int type, int meta) {
    if (type == STRING && meta >= 256) {
      int meta0 = meta >> 8;
      if (meta0 == ENUM || meta0 == SET || meta0 == STRING) {
        return meta0;
      }
    }
    return type;
  }

  /** The byte length of a STRING (char/binary) column from its two metadata bytes. */
  private static int stringLength(int meta) {
    if (meta < 256) {
      return meta;
    }
    int meta0 = meta >> 8;
    int meta1 = meta & 0xFF;
    return (meta0 & 0x30) != 0x30 ? meta1 | (((meta0 & 0x30) ^ 0x30) << 4) : meta1;
  }

  /** Integer, decimal and floating-point columns (which can be UNSIGNED; YEAR also has a signedness bit, always set). */
  private static boolean isNumeric(int code) {
    return switch (code) {
      case DECIMAL, TINY, SHORT, INT24, LONG, LONGLONG, NEWDECIMAL, FLOAT, DOUBLE -> true;
      default -> false;
    };
  }

  /**
   * Columns counted by the (default/column) charset metadata: MySQL's and MariaDB's
   * {@code is_character_type} on the real type, which includes GEOMETRY (a blob underneath, with
   * the binary charset).
   */
  private static boolean isCharacter(int code) {
    return switch (code) {
      case STRING, VAR_STRING, VARCHAR, BLOB, TINY_BLOB, MEDIUM_BLOB, LONG_BLOB, GEOMETRY -> true;
      default -> false;
    };
  }

  /** One collation id per column of the group, from either metadata form (absent: -1). */
  private static int[] collations(DefaultCharset defaults, List<Integer> perColumn, int count) {
    int[] out = new int[count];
    if (perColumn != null && perColumn.size() == count) {
      for (int i = 0; i < count; i++) {
        out[i] = perColumn.get(i);
      }
      return out;
    }
    java.util.Arrays.fill(out, defaults == null ? -1 : defaults.getDefaultCharsetCollation());
    if (defaults != null && defaults.getCharsetCollations() != null) {
      for (Map.Entry<Integer, Integer> e : defaults.getCharsetCollations().entrySet()) {
        if (e.getKey() >= 0 && e.getKey() < count) {
          out[e.getKey()] = e.getValue();
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- information_schema

  /**
   * The columns of {@code db.table} from {@code information_schema.COLUMNS}, in table order;
   * MariaDB JSON columns come out as {@link Kind#JSON_TEXT}.
   *
   * @throws IllegalStateException when the table does not exist or has a type Syncline does not support
   */
  public static List<MySqlColumn> fromInformationSchema(Connection connection, String db, String table)
      throws SQLException {
    Set<String> json = mariaDbJsonColumns(connection, db, table);
    List<MySqlColumn> columns = new ArrayList<>();
    try (PreparedStatement s = connection.prepareStatement("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE,"
        + " CHARACTER_SET_NAME, NUMERIC_PRECISION, CHARACTER_OCTET_LENGTH FROM information_schema.COLUMNS"
        + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION")) {
      s.setString(1, db);
      s.setString(2, table);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(1);
          String dataType = rs.getString(2).toLowerCase(Locale.ROOT);
          String columnType = rs.getString(3).toLowerCase(Locale.ROOT);
          String charset = rs.getString(4);
          MySqlColumn column = fromSchemaRow(db + "." + table, name, dataType, rs.getString(3), charset,
              rs.getLong(5), rs.getLong(6), columnType.contains("unsigned"));
          columns.add(json.contains(name) && column.kind() == Kind.TEXT ? column.asJsonText() : column);
        }
      }
    }
    if (columns.isEmpty()) {
      throw new IllegalStateException("no table " + db + "." + table + " in information_schema");
    }
    return List.copyOf(columns);
  }

  private static MySqlColumn fromSchemaRow(String table, String name, String dataType, String columnType,
      String charset, long numericPrecision, long octetLength, boolean unsigned) {
    boolean binaryCharset = charset == null || charset.equals("binary");
    return switch (dataType) {
      case "tinyint" -> new MySqlColumn(name, Kind.TINYINT, unsigned, 0, null, List.of());
      case "smallint" -> new MySqlColumn(name, Kind.SMALLINT, unsigned, 0, null, List.of());
      case "mediumint" -> new MySqlColumn(name, Kind.MEDIUMINT, unsigned, 0, null, List.of());
      case "int", "integer" -> new MySqlColumn(name, Kind.INT, unsigned, 0, null, List.of());
      case "bigint" -> new MySqlColumn(name, Kind.BIGINT, unsigned, 0, null, List.of());
      case "decimal", "numeric" -> new MySqlColumn(name, Kind.DECIMAL, unsigned, 0, null, List.of());
      case "float" -> new MySqlColumn(name, Kind.FLOAT, unsigned, 0, null, List.of());
      case "double", "real" -> new MySqlColumn(name, Kind.DOUBLE, unsigned, 0, null, List.of());
      case "bit" -> new MySqlColumn(name, Kind.BIT, false, (int) numericPrecision, null, List.of());
      case "char", "varchar", "tinytext", "text", "mediumtext", "longtext" -> binaryCharset
          ? new MySqlColumn(name, Kind.BINARY, false, 0, null, List.of())
          : new MySqlColumn(name, Kind.TEXT, false, 0, charset, List.of());
      case "binary" -> new MySqlColumn(name, Kind.BINARY, false, (int) octetLength, null, List.of());
      case "varbinary", "tinyblob", "blob", "mediumblob", "longblob" ->
          new MySqlColumn(name, Kind.BINARY, false, 0, null, List.of());
      case "enum" -> new MySqlColumn(name, Kind.ENUM, false, 0, charset, labels(columnType));
      case "set" -> new MySqlColumn(name, Kind.SET, false, 0, charset, labels(columnType));
      case "date" -> new MySqlColumn(name, Kind.DATE, false, 0, null, List.of());
      case "time" -> new MySqlColumn(name, Kind.TIME, false, 0, null, List.of());
      case "datetime" -> new MySqlColumn(name, Kind.DATETIME, false, 0, null, List.of());
      case "timestamp" -> new MySqlColumn(name, Kind.TIMESTAMP, false, 0, null, List.of());
      case "year" -> new MySqlColumn(name, Kind.YEAR, false, 0, null, List.of());
      case "json" -> new MySqlColumn(name, Kind.JSON, false, 0, null, List.of());
      case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
          "geometrycollection", "geomcollection" -> new MySqlColumn(name, Kind.GEOMETRY, false, 0, null, List.of());
      default -> throw new IllegalStateException("column " + name + " of " + table + " has type " + dataType
          + ", which Syncline does not support");
    };
  }

  /** The labels of {@code enum('a','b''c')} / {@code set(...)}, unquoted, in definition order. */
  static List<String> labels(String columnType) {
    int open = columnType.indexOf('(');
    List<String> labels = new ArrayList<>();
    StringBuilder current = null;
    for (int i = open + 1; i < columnType.length(); i++) {
      char c = columnType.charAt(i);
      if (current == null) {
        if (c == '\'') {
          current = new StringBuilder();
        }
      } else if (c == '\'') {
        if (i + 1 < columnType.length() && columnType.charAt(i + 1) == '\'') {
          current.append('\'');
          i++;
        } else {
          labels.add(current.toString());
          current = null;
        }
      } else if (c == '\\' && i + 1 < columnType.length()) {
        current.append(columnType.charAt(++i));
      } else {
        current.append(c);
      }
    }
    return labels;
  }

  /**
   * The MariaDB JSON columns of {@code db.table}: MariaDB stores JSON as LONGTEXT with a
   * {@code json_valid(`column`)} check constraint, which the binlog does not show. Empty on MySQL
   * (whose JSON type is its own binlog type).
   */
  public static Set<String> mariaDbJsonColumns(Connection connection, String db, String table) throws SQLException {
    Set<String> json = new HashSet<>();
    try (PreparedStatement s = connection.prepareStatement("SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS"
        + " WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?")) {
      s.setString(1, db);
      s.setString(2, table);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          String clause = rs.getString(1).trim();
          if (clause.startsWith("json_valid(`") && clause.endsWith("`)")) {
            json.add(clause.substring("json_valid(`".length(), clause.length() - 2).replace("``", "`"));
          }
        }
      }
    }
    return json;
  }
}
