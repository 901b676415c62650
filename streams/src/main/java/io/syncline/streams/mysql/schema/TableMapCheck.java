package io.syncline.streams.mysql.schema;

import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import io.syncline.streams.mysql.types.MySqlColumn;
import io.syncline.streams.mysql.types.MySqlColumn.Kind;
import java.util.List;

/**
 * The safety net of schema tracking: a TABLE_MAP event always carries the column count and each
 * column's binlog type, so a tracked definition that disagrees is found before a row is decoded
 * with it.
 */
public final class TableMapCheck {

  // binlog column type codes (MySQL include/field_types.h)
  private static final int DECIMAL = 0, TINY = 1, SHORT = 2, LONG = 3, FLOAT = 4, DOUBLE = 5, TIMESTAMP = 7,
      LONGLONG = 8, INT24 = 9, DATE = 10, TIME = 11, DATETIME = 12, YEAR = 13, NEWDATE = 14, VARCHAR = 15,
      BIT = 16, TIMESTAMP2 = 17, DATETIME2 = 18, TIME2 = 19, JSON = 245, NEWDECIMAL = 246, ENUM = 247, SET = 248,
      TINY_BLOB = 249, MEDIUM_BLOB = 250, LONG_BLOB = 251, BLOB = 252, VAR_STRING = 253, STRING = 254, GEOMETRY = 255;

  private TableMapCheck() {}

  /** Null when {@code columns} fit the event; else what differs, for the error message. */
  public static String mismatch(TableMapEventData map, List<MySqlColumn> columns) {
    byte[] types = map.getColumnTypes();
    int[] meta = map.getColumnMetadata();
    if (types.length != columns.size()) {
      return "the binlog has " + types.length + " columns, the tracked definition " + columns.size();
    }
    for (int i = 0; i < types.length; i++) {
      int type = types[i] & 0xFF;
      int code = type == STRING && meta[i] >= 256 && isStringReal(meta[i] >> 8) ? meta[i] >> 8 : type;
      MySqlColumn c = columns.get(i);
      if (!fits(code, c.kind())) {
        return "column " + (i + 1) + " (" + c.name() + ") is " + c.kind() + " in the tracked definition but has"
            + " binlog type " + code;
      }
      if (c.kind() == Kind.BIT && (meta[i] >> 8) * 8 + (meta[i] & 0xFF) != c.length()) {
        return "column " + (i + 1) + " (" + c.name() + ") is BIT(" + c.length() + ") in the tracked definition but"
            + " BIT(" + ((meta[i] >> 8) * 8 + (meta[i] & 0xFF)) + ") in the binlog";
      }
    }
    return null;
  }

  private static boolean isStringReal(int meta0) {
    return meta0 == ENUM || meta0 == SET || meta0 == STRING;
  }

  private static boolean fits(int code, Kind kind) {
    return switch (kind) {
      case TINYINT -> code == TINY;
      case SMALLINT -> code == SHORT;
      case MEDIUMINT -> code == INT24;
      case INT -> code == LONG;
      case BIGINT -> code == LONGLONG;
      case DECIMAL -> code == NEWDECIMAL || code == DECIMAL;
      case FLOAT -> code == FLOAT;
      case DOUBLE -> code == DOUBLE;
      case BIT -> code == BIT;
      case TEXT, BINARY, JSON_TEXT -> code == STRING || code == VARCHAR || code == VAR_STRING || code == BLOB
          || code == TINY_BLOB || code == MEDIUM_BLOB || code == LONG_BLOB;
      case ENUM -> code == ENUM;
      case SET -> code == SET;
      case DATE -> code == DATE || code == NEWDATE;
      case TIME -> code == TIME || code == TIME2;
      case DATETIME -> code == DATETIME || code == DATETIME2;
      case TIMESTAMP -> code == TIMESTAMP || code == TIMESTAMP2;
      case YEAR -> code == YEAR;
      case JSON -> code == JSON;
      case GEOMETRY -> code == GEOMETRY;
    };
  }
}
