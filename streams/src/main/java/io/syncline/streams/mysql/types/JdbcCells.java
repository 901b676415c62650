package io.syncline.streams.mysql.types;

import io.syncline.streams.mysql.types.MySqlColumn.Kind;
import java.io.Serializable;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.BitSet;
import java.util.List;

/**
 * Snapshot reads in the binlog's shape: a {@code SELECT} of a column (text protocol, session with
 * {@code character_set_results = NULL} and {@code time_zone = '+00:00'}) gives bytes (text, binary,
 * geometry) or the server's own text of the value (everything else), which
 * {@link #readerFor} turns into exactly the cell mysql-binlog-connector-java hands over for the same
 * value (see {@link MySqlValueConverters}), so that snapshot and binlog share one conversion: the
 * binlog converter of the column. Where the text form would lose information the select expression
 * asks for another form:
 * <ul>
 *   <li>float: {@code c + 0e0}, the exact double (the server prints float with 6 digits only)</li>
 *   <li>bit: {@code c + 0}, the number the binlog carries</li>
 *   <li>text: the column's own bytes (no conversion to the connection's character set), decoded by
 *       the converter with the column's charset, as for the binlog</li>
 *   <li>enum and set: the value's own bytes, its label(s) in the column's charset, read as text: the
 *       labels the server describes a column with (information_schema, {@code SHOW CREATE TABLE})
 *       are utf8mb3 and turn characters outside the BMP into {@code ?}; the binlog's TABLE_MAP has
 *       them right</li>
 *   <li>date and datetime: proleptic Gregorian microseconds ({@link BinlogDeserializers#civilMillis},
 *       as the binlog's); zero and partial-zero dates are null, as in the binlog</li>
 *   <li>timestamp: read in UTC; the zero timestamp is 0, as in the binlog</li>
 *   <li>year: the zero year is 1900 (the library adds 1900 to the stored byte)</li>
 *   <li>MySQL's JSON type: the server's JSON text, converted as JSON text (the binlog has MySQL's
 *       binary JSON, which a {@code SELECT} cannot return): the same JSON value, spacing may differ</li>
 * </ul>
 * Values never appear in error messages.
 */
public final class JdbcCells {

  private JdbcCells() {}

  /** One column's bytes → the binlog cell; null for SQL NULL and for zero dates. Stateless. */
  @FunctionalInterface
  public interface CellReader {
    Serializable read(byte[] text);
  }

  /**
   * The {@code SELECT} expression of {@code column}: bytes, or the server's text as a string, so the
   * driver never decodes a value itself.
   */
  public static String selectExpression(MySqlColumn column) {
    String quoted = quote(column.name());
    return switch (column.kind()) {
      case TEXT, BINARY, JSON_TEXT, GEOMETRY, ENUM, SET -> quoted;
      case FLOAT -> "CAST(" + quoted + " + 0e0 AS CHAR)";
      case BIT -> "CAST(" + quoted + " + 0 AS CHAR)";
      default -> "CAST(" + quoted + " AS CHAR)";
    };
  }

  /** {@code name} as a MySQL identifier. */
  public static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  /** The column whose binlog converter applies to the snapshot cell of {@code column}. */
  public static MySqlColumn converterColumn(MySqlColumn column) {
    if (column.kind() == Kind.JSON) {
      // a SELECT returns MySQL's JSON as utf8mb4 JSON text, never its binary form
      return new MySqlColumn(column.name(), Kind.JSON_TEXT, false, 0, "utf8mb4", List.of());
    }
    if (column.kind() == Kind.ENUM || column.kind() == Kind.SET) {
      // the label text itself ("" for enum's error value and the empty set, as the binlog's converter gives)
      return new MySqlColumn(column.name(), Kind.TEXT, false, 0, column.charset(), List.of());
    }
    return column;
  }

  /** The reader of one column; resolved once per column. */
  public static CellReader readerFor(MySqlColumn column) {
    String what = column.name() + " (" + column.kind().name().toLowerCase(java.util.Locale.ROOT) + ")";
    return switch (column.kind()) {
      case TINYINT, SMALLINT, MEDIUMINT, INT -> b -> b == null ? null : (int) Long.parseLong(ascii(b));
      case BIGINT -> column.unsigned()
          ? b -> b == null ? null : Long.parseUnsignedLong(ascii(b))
          : b -> b == null ? null : Long.parseLong(ascii(b));
      case DECIMAL -> b -> b == null ? null : new BigDecimal(ascii(b));
      case FLOAT -> b -> b == null ? null : (float) Double.parseDouble(ascii(b));
      case DOUBLE -> b -> b == null ? null : Double.parseDouble(ascii(b));
      case BIT -> b -> b == null ? null : BitSet.valueOf(new long[] {Long.parseUnsignedLong(ascii(b))});
      case TEXT, BINARY, JSON, JSON_TEXT, GEOMETRY, ENUM, SET -> b -> b;
      case DATE, DATETIME -> b -> b == null ? null : civilMicros(ascii(b), what);
      case TIMESTAMP -> b -> b == null ? null : timestampMicros(ascii(b), what);
      case TIME -> b -> b == null ? null : timeMicros(ascii(b), what);
      case YEAR -> b -> {
        if (b == null) {
          return null;
        }
        int year = Integer.parseInt(ascii(b));
        return year == 0 ? 1900 : year;
      };
    };
  }

  private static String ascii(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  // ---------------------------------------------------------------- dates and times

  /** {@code YYYY-MM-DD[ HH:MM:SS[.f…]]} → the binlog's microseconds; null for zero dates. */
  static Long civilMicros(String text, String what) {
    int[] f = dateTimeFields(text, what);
    Long millis = BinlogDeserializers.civilMillis(f[0], f[1], f[2], f[3], f[4], f[5], f[6] / 1000);
    return millis == null ? null : millis * 1000 + f[6] % 1000;
  }

  /** A TIMESTAMP read in UTC → microseconds since the epoch; the zero timestamp is 0. */
  static Long timestampMicros(String text, String what) {
    int[] f = dateTimeFields(text, what);
    if (f[0] == 0 && f[1] == 0 && f[2] == 0) {
      return 0L;
    }
    try {
      return LocalDateTime.of(f[0], f[1], f[2], f[3], f[4], f[5]).toEpochSecond(ZoneOffset.UTC) * 1_000_000L + f[6];
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException("column " + what + ": not a valid timestamp");
    }
  }

  /** year, month, day, hour, minute, second, microseconds. */
  private static int[] dateTimeFields(String text, String what) {
    int[] f = new int[7];
    try {
      f[0] = Integer.parseInt(text, 0, 4, 10);
      f[1] = Integer.parseInt(text, 5, 7, 10);
      f[2] = Integer.parseInt(text, 8, 10, 10);
      if (text.length() > 10) {
        f[3] = Integer.parseInt(text, 11, 13, 10);
        f[4] = Integer.parseInt(text, 14, 16, 10);
        f[5] = Integer.parseInt(text, 17, 19, 10);
        f[6] = fraction(text, 19);
      }
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("column " + what + ": unexpected date/time text from the server");
    }
    return f;
  }

  /** {@code [-]H…H:MM:SS[.f…]} → signed microseconds. */
  static Long timeMicros(String text, String what) {
    try {
      boolean negative = text.startsWith("-");
      int start = negative ? 1 : 0;
      int c1 = text.indexOf(':', start);
      long hours = Long.parseLong(text, start, c1, 10);
      long minutes = Integer.parseInt(text, c1 + 1, c1 + 3, 10);
      long seconds = Integer.parseInt(text, c1 + 4, c1 + 6, 10);
      long micros = ((hours * 60 + minutes) * 60 + seconds) * 1_000_000L + fraction(text, c1 + 6);
      return negative ? -micros : micros;
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("column " + what + ": unexpected time text from the server");
    }
  }

  /** The fractional seconds starting with the {@code .} at {@code dot} (none: 0), as microseconds. */
  private static int fraction(String text, int dot) {
    if (dot >= text.length()) {
      return 0;
    }
    if (text.charAt(dot) != '.') {
      throw new NumberFormatException("no fraction separator");
    }
    int digits = text.length() - dot - 1;
    if (digits < 1 || digits > 6) {
      throw new NumberFormatException("fraction of " + digits + " digits");
    }
    int value = Integer.parseInt(text, dot + 1, text.length(), 10);
    for (int i = digits; i < 6; i++) {
      value *= 10;
    }
    return value;
  }
}
