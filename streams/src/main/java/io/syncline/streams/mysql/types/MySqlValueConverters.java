package io.syncline.streams.mysql.types;

import com.github.shyiko.mysql.binlog.event.deserialization.json.JsonBinary;
import io.syncline.streams.event.JsonText;
import io.syncline.streams.event.TimeText;
import io.syncline.streams.mysql.types.MySqlColumn.Kind;
import java.io.IOException;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The converters from mysql-binlog-connector-java row cells to the JSON value model, one per
 * column, chosen by {@link #converterFor(MySqlColumn)} (see docs/type-mapping.md, MySQL / MariaDB).
 * The deserializer must run with {@code CompatibilityMode.DATE_AND_TIME_AS_LONG_MICRO} and
 * {@code CHAR_AND_BINARY_AS_BYTE_ARRAY}, as {@link BinlogDeserializers#create()} does; it then hands
 * over, per type (checked against MariaDB 11.4.5 by {@code MySqlTypesGoldenIT}):
 * <ul>
 *   <li>tinyint, smallint, mediumint, int: {@code Integer}, sign-extended even for UNSIGNED
 *       columns; bigint: {@code Long}, likewise</li>
 *   <li>decimal: {@code BigDecimal} with the column's scale; float: {@code Float}; double: {@code Double}</li>
 *   <li>bit(n): {@code BitSet}, bit 0 the least significant</li>
 *   <li>char, varchar, text, binary, varbinary, blob, MariaDB JSON, geometry, MySQL JSON: {@code byte[]}</li>
 *   <li>enum: {@code Integer}, the 1-based index (0 for the empty error value); set: {@code Long} bitmask</li>
 *   <li>date: {@code Long}, microseconds since the epoch of that day's midnight UTC</li>
 *   <li>datetime: {@code Long}, microseconds since the epoch with the wall-clock value read as UTC
 *       (both proleptic Gregorian for every year: {@link BinlogDeserializers} replaces the library's
 *       Julian fallback before 1582-10-15)</li>
 *   <li>timestamp: {@code Long}, microseconds since the epoch (a real instant)</li>
 *   <li>time: {@code Long}, signed microseconds; the library alone drops the sign of negative TIME
 *       values (it reads TIME2 as unsigned), {@link BinlogDeserializers#create()} keeps it</li>
 *   <li>year: {@code Integer}, 1900 + the stored byte, so the zero year {@code 0000} arrives as 1900
 *       (1900 itself is not a valid YEAR value)</li>
 *   <li>zero dates ({@code 0000-00-00}, also with zero month or day) and zero datetimes: {@code null},
 *       before any converter; the zero TIMESTAMP arrives as 0 and is written as null here</li>
 * </ul>
 *
 * <p>Error messages name the column and its type but never contain the value: values are row data.
 */
public final class MySqlValueConverters {

  private MySqlValueConverters() {}

  /** The converter of one column; resolved once per column, when its TABLE_MAP (or schema) is read. */
  public static BinlogValueConverter converterFor(MySqlColumn column) {
    String what = column.name() + " (" + column.kind().name().toLowerCase(Locale.ROOT)
        + (column.unsigned() ? " unsigned" : "") + ")";
    return switch (column.kind()) {
      case TINYINT -> column.unsigned() ? v -> integer(v, what) & 0xFF : v -> integer(v, what);
      case SMALLINT -> column.unsigned() ? v -> integer(v, what) & 0xFFFF : v -> integer(v, what);
      case MEDIUMINT -> column.unsigned() ? v -> integer(v, what) & 0xFFFFFF : v -> integer(v, what);
      case INT -> column.unsigned() ? v -> integer(v, what) & 0xFFFF_FFFFL : v -> integer(v, what);
      case BIGINT -> column.unsigned() ? v -> unsignedBigint(v, what) : v -> bigint(v, what);
      case DECIMAL -> v -> expect(v, BigDecimal.class, what);
      case FLOAT -> v -> expect(v, Float.class, what);
      case DOUBLE -> v -> expect(v, Double.class, what);
      case BIT -> bit(column.length(), what);
      case TEXT -> text(charsetFor(column, what), what);
      case BINARY -> column.length() > 0 ? fixedBinary(column.length(), what) : v -> expect(v, byte[].class, what);
      case ENUM -> enumeration(column.labels(), what);
      case SET -> set(column.labels(), what);
      case DATE -> v -> date(micros(v, what), what);
      case TIME -> v -> time(micros(v, what));
      case DATETIME -> v -> dateTime(micros(v, what), false, what);
      case TIMESTAMP -> v -> {
        long micros = micros(v, what);
        return micros == 0 ? null : dateTime(micros, true, what); // 0 is the zero timestamp
      };
      case YEAR -> v -> {
        int year = integer(v, what);
        return year == 1900 ? 0 : year; // the library's 1900 is the zero year 0000
      };
      case JSON -> v -> binaryJson(expect(v, byte[].class, what), what);
      case JSON_TEXT -> {
        BinlogValueConverter text = text(charsetFor(column, what), what);
        yield v -> JsonText.valueOf((String) text.convert(v));
      }
      case GEOMETRY -> v -> geometry(expect(v, byte[].class, what), what);
    };
  }

  // ---------------------------------------------------------------- numbers

  private static <T> T expect(Serializable v, Class<T> type, String what) {
    if (!type.isInstance(v)) {
      throw new IllegalArgumentException("column " + what + ": expected a " + type.getSimpleName() + " from the"
          + " binlog deserializer, got a " + v.getClass().getSimpleName());
    }
    return type.cast(v);
  }

  private static int integer(Serializable v, String what) {
    return expect(v, Integer.class, what);
  }

  private static long micros(Serializable v, String what) {
    if (!(v instanceof Long l)) {
      throw new IllegalArgumentException("column " + what + ": expected microseconds as a Long (is the binlog"
          + " deserializer in DATE_AND_TIME_AS_LONG_MICRO mode?), got a " + v.getClass().getSimpleName());
    }
    return l;
  }

  private static Long bigint(Serializable v, String what) {
    return expect(v, Long.class, what);
  }

  /** Unsigned bigint: a Long when it fits, else (above 2^63-1) an exact BigDecimal, written as a string. */
  private static Object unsignedBigint(Serializable v, String what) {
    long l = bigint(v, what);
    if (l >= 0) {
      return l;
    }
    return new BigDecimal(new BigInteger(1, ByteBuffer.allocate(8).putLong(l).array()));
  }

  // ---------------------------------------------------------------- bit

  /** bit(n) → n characters {@code 0}/{@code 1}, most significant first (PostgreSQL's bit(n) form). */
  private static BinlogValueConverter bit(int bits, String what) {
    if (bits < 1 || bits > 64) {
      throw new IllegalArgumentException("column " + what + " has " + bits + " bits; bit(n) has 1..64");
    }
    return v -> {
      BitSet set = expect(v, BitSet.class, what);
      if (set.length() > bits) {
        throw new IllegalArgumentException("column " + what + ": value has more than " + bits + " bits");
      }
      char[] out = new char[bits];
      for (int i = 0; i < bits; i++) {
        out[i] = set.get(bits - 1 - i) ? '1' : '0';
      }
      return new String(out);
    };
  }

  // ---------------------------------------------------------------- text and bytes

  /** MySQL's latin1 is Windows-1252 with the five bytes 1252 leaves undefined mapped to C1 controls. */
  private static final char[] LATIN1 = latin1Table();

  private static char[] latin1Table() {
    byte[] all = new byte[256];
    for (int i = 0; i < 256; i++) {
      all[i] = (byte) i;
    }
    char[] table = new String(all, Charset.forName("windows-1252")).toCharArray();
    for (int i = 0; i < 256; i++) {
      if (table[i] == '\uFFFD') {
        table[i] = (char) i; // 0x81, 0x8D, 0x8F, 0x90, 0x9D
      }
    }
    return table;
  }

  /** Java charsets of the MySQL character sets other than latin1 (which has its own table) and binary. */
  private static final Map<String, String> JAVA_CHARSETS = Map.ofEntries(
      Map.entry("utf8mb4", "UTF-8"), Map.entry("utf8mb3", "UTF-8"), Map.entry("utf8", "UTF-8"),
      Map.entry("ascii", "US-ASCII"), Map.entry("ucs2", "UTF-16BE"), Map.entry("utf16", "UTF-16BE"),
      Map.entry("utf16le", "UTF-16LE"), Map.entry("utf32", "UTF-32BE"), Map.entry("latin2", "ISO-8859-2"),
      Map.entry("latin5", "ISO-8859-9"), Map.entry("latin7", "ISO-8859-13"), Map.entry("greek", "ISO-8859-7"),
      Map.entry("hebrew", "ISO-8859-8"), Map.entry("cp1250", "windows-1250"), Map.entry("cp1251", "windows-1251"),
      Map.entry("cp1256", "windows-1256"), Map.entry("cp1257", "windows-1257"), Map.entry("cp850", "IBM850"),
      Map.entry("cp852", "IBM852"), Map.entry("cp866", "IBM866"), Map.entry("koi8r", "KOI8-R"),
      Map.entry("koi8u", "KOI8-U"), Map.entry("sjis", "Shift_JIS"), Map.entry("cp932", "windows-31j"),
      Map.entry("ujis", "EUC-JP"), Map.entry("eucjpms", "x-eucJP-Open"), Map.entry("gbk", "GBK"),
      Map.entry("gb2312", "GB2312"), Map.entry("gb18030", "GB18030"), Map.entry("big5", "Big5"),
      Map.entry("euckr", "EUC-KR"), Map.entry("tis620", "TIS-620"), Map.entry("macroman", "x-MacRoman"),
      Map.entry("macce", "x-MacCentralEurope"));

  /** The Java charset of a text column; null for latin1, which is decoded by its own table. */
  private static Charset charsetFor(MySqlColumn column, String what) {
    String name = column.charset();
    if (name == null) {
      throw new IllegalArgumentException("column " + what + " has an unknown character set (its collation id is"
          + " not in Syncline's collation table)");
    }
    if (name.equals("latin1")) {
      return null;
    }
    String java = JAVA_CHARSETS.get(name);
    if (java == null || !Charset.isSupported(java)) {
      throw new IllegalArgumentException("column " + what + " has character set " + name
          + ", which Syncline cannot decode");
    }
    return Charset.forName(java);
  }

  private static BinlogValueConverter text(Charset charset, String what) {
    if (charset == null) {
      return v -> {
        byte[] bytes = textBytes(v, what);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
          out[i] = LATIN1[bytes[i] & 0xFF];
        }
        return new String(out);
      };
    }
    if (charset.equals(StandardCharsets.UTF_8)) {
      return v -> new String(textBytes(v, what), StandardCharsets.UTF_8);
    }
    return v -> new String(textBytes(v, what), charset);
  }

  private static byte[] textBytes(Serializable v, String what) {
    if (!(v instanceof byte[] bytes)) {
      throw new IllegalArgumentException("column " + what + ": expected bytes (is the binlog deserializer in"
          + " CHAR_AND_BINARY_AS_BYTE_ARRAY mode?), got a " + v.getClass().getSimpleName());
    }
    return bytes;
  }

  /** binary(n): the binlog strips trailing zero bytes; they are put back so the value has its n bytes. */
  private static BinlogValueConverter fixedBinary(int length, String what) {
    return v -> {
      byte[] bytes = expect(v, byte[].class, what);
      if (bytes.length > length) {
        throw new IllegalArgumentException("column " + what + ": value is longer than binary(" + length + ")");
      }
      return bytes.length == length ? bytes : Arrays.copyOf(bytes, length);
    };
  }

  /**
   * MySQL binary JSON → JSON text; the JSON literal null → {@link io.syncline.streams.event.JsonNull#LITERAL}, as
   * is an empty value (MySQL writes one for a JSON null in some paths).
   */
  private static Object binaryJson(byte[] bytes, String what) {
    if (bytes.length == 0) {
      return io.syncline.streams.event.JsonNull.LITERAL;
    }
    try {
      return JsonText.valueOf(JsonBinary.parseAsString(bytes));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("column " + what + ": malformed MySQL binary JSON", e);
    }
  }

  /**
   * MySQL's internal geometry = 4-byte little-endian SRID + OGC WKB → Debezium's geometry form,
   * {@code {"wkb": "<base64 WKB>", "srid": n}} (SRID 0: none, as MySQL counts it).
   */
  private static JsonText geometry(byte[] bytes, String what) {
    if (bytes.length < 5) {
      throw new IllegalArgumentException("column " + what + ": geometry value shorter than SRID + WKB header");
    }
    long srid = Integer.toUnsignedLong((bytes[0] & 0xFF) | (bytes[1] & 0xFF) << 8 | (bytes[2] & 0xFF) << 16
        | (bytes[3] & 0xFF) << 24);
    return new JsonText("{\"wkb\":\"" + java.util.Base64.getEncoder().encodeToString(Arrays.copyOfRange(bytes, 4,
        bytes.length)) + "\",\"srid\":" + srid + "}");
  }

  // ---------------------------------------------------------------- enum and set

  private static BinlogValueConverter enumeration(List<String> labels, String what) {
    String[] byIndex = labels.toArray(String[]::new);
    return v -> {
      int index = integer(v, what);
      if (index == 0) {
        return ""; // MySQL's empty error value
      }
      if (index < 0 || index > byIndex.length) {
        throw new IllegalArgumentException("column " + what + ": index beyond its " + byIndex.length + " labels");
      }
      return byIndex[index - 1];
    };
  }

  private static BinlogValueConverter set(List<String> labels, String what) {
    String[] byBit = labels.toArray(String[]::new);
    return v -> {
      long mask = expect(v, Long.class, what);
      if (byBit.length < 64 && (mask >>> byBit.length) != 0) {
        throw new IllegalArgumentException("column " + what + ": bitmask beyond its " + byBit.length + " members");
      }
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < byBit.length; i++) {
        if ((mask & (1L << i)) != 0) {
          if (out.length() > 0) {
            out.append(',');
          }
          out.append(byBit[i]);
        }
      }
      return out.toString();
    };
  }

  // ---------------------------------------------------------------- dates and times

  private static String date(long micros, String what) {
    LocalDateTime t = civil(micros, what);
    if (t.toLocalTime().toNanoOfDay() != 0) {
      throw new IllegalArgumentException("column " + what + ": a date that is not at midnight");
    }
    StringBuilder out = new StringBuilder(10);
    TimeText.appendDate(out, t); // MySQL's years are 0..9999: always four digits
    return out.toString();
  }

  /** The wall-clock fields of {@code micros} (proleptic Gregorian, as {@link BinlogDeserializers#civilMillis} counts). */
  private static LocalDateTime civil(long micros, String what) {
    try {
      return LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000), 0, ZoneOffset.UTC);
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException("column " + what + ": outside the range of dates");
    }
  }

  /** {@code [-]HH:MM:SS.ffffff}; hours have two or more digits (MySQL's TIME reaches ±838:59:59.000000). */
  static String time(long micros) {
    StringBuilder out = new StringBuilder(17);
    if (micros < 0) {
      out.append('-');
      micros = -micros;
    }
    long seconds = micros / 1_000_000;
    long hours = seconds / 3600;
    if (hours < 10) {
      out.append('0');
    }
    out.append(hours).append(':');
    TimeText.pad(out, (int) (seconds / 60 % 60), 2);
    out.append(':');
    TimeText.pad(out, (int) (seconds % 60), 2);
    out.append('.');
    TimeText.pad(out, (int) (micros % 1_000_000), 6);
    return out.toString();
  }

  /** {@code YYYY-MM-DDTHH:MM:SS.ffffff}, with a trailing {@code Z} when {@code utc}. */
  private static String dateTime(long micros, boolean utc, String what) {
    return TimeText.dateTime(civil(micros, what), (int) Math.floorMod(micros, 1_000_000L), utc);
  }
}
