package io.syncline.streams.postgres.types;

import io.syncline.streams.event.JsonText;
import io.syncline.streams.event.TimeText;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The converters from PostgreSQL text output to the JSON value model, one per type family (see
 * docs/type-mapping.md). The text forms are those of a session with
 * {@code DateStyle=ISO,MDY IntervalStyle=iso_8601 TimeZone=UTC extra_float_digits=3 bytea_output=hex};
 * timestamptz and timetz accept any numeric offset. Dates and times are rewritten by string
 * manipulation on the hot path; java.time only normalises non-UTC offsets.
 *
 * <p>Error messages name what was expected but never contain the value: values are row data.
 */
public final class PgValueConverters {

  private PgValueConverters() {}

  /** The text as a string: text types, numeric (exact, as the server prints it), uuid, interval, inet, … */
  public static final ValueConverter TEXT = text -> text;

  /** smallint → Short. */
  public static final ValueConverter INT2 = text -> {
    int v = parseInt(text, "smallint");
    if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
      throw new IllegalArgumentException("smallint out of range");
    }
    return Short.valueOf((short) v);
  };

  /** integer → Integer. */
  public static final ValueConverter INT4 = text -> parseInt(text, "integer");

  /** bigint → Long. */
  public static final ValueConverter INT8 = PgValueConverters::parseLong;

  /** oid (unsigned 32 bits) → Long. */
  public static final ValueConverter OID = PgValueConverters::parseLong;

  /** real → Float; {@code NaN}, {@code Infinity}, {@code -Infinity} included. */
  public static final ValueConverter FLOAT4 = text -> {
    try {
      return Float.parseFloat(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a real (" + text.length() + " chars)");
    }
  };

  /** double precision → Double; {@code NaN}, {@code Infinity}, {@code -Infinity} included. */
  public static final ValueConverter FLOAT8 = text -> {
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a double precision (" + text.length() + " chars)");
    }
  };

  /** boolean ({@code t}/{@code f}) → Boolean. */
  public static final ValueConverter BOOL = PgValueConverters::bool;

  /** bytea ({@code \x} hex, or the escape form) → byte[]. */
  public static final ValueConverter BYTEA = PgValueConverters::bytea;

  /** json/jsonb → {@link JsonText}, embedded as JSON; the JSON literal null → {@link io.syncline.streams.event.JsonNull#LITERAL}. */
  public static final ValueConverter JSON = JsonText::valueOf;

  /** date → {@code YYYY-MM-DD}, ISO-8601 proleptic years for BC; {@code infinity}/{@code -infinity} kept. */
  public static final ValueConverter DATE = PgValueConverters::date;

  /** time → {@code HH:MM:SS.ffffff}. */
  public static final ValueConverter TIME = PgValueConverters::time;

  /** timetz → {@code HH:MM:SS.ffffffZ}, normalised to UTC. */
  public static final ValueConverter TIMETZ = PgValueConverters::timetz;

  /** timestamp → {@code YYYY-MM-DDTHH:MM:SS.ffffff}. */
  public static final ValueConverter TIMESTAMP = PgValueConverters::timestamp;

  /** timestamptz → {@code YYYY-MM-DDTHH:MM:SS.ffffffZ} in UTC. */
  public static final ValueConverter TIMESTAMPTZ = PgValueConverters::timestamptz;

  /**
   * An array type: the array literal becomes a (nested, for several dimensions) list whose
   * elements are converted by {@code element}; {@code NULL} elements become null.
   *
   * @param delimiter the element type's {@code typdelim} ({@code ,} for all but {@code box}: {@code ;})
   */
  public static ValueConverter array(ValueConverter element, char delimiter) {
    return text -> parseArray(text, delimiter, element);
  }

  // ---------------------------------------------------------------- numbers and booleans

  private static int parseInt(String text, String type) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a " + type + " (" + text.length() + " chars)");
    }
  }

  private static Long parseLong(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a bigint/oid (" + text.length() + " chars)");
    }
  }

  private static Boolean bool(String text) {
    if (text.length() == 1) {
      char c = text.charAt(0);
      if (c == 't') {
        return Boolean.TRUE;
      }
      if (c == 'f') {
        return Boolean.FALSE;
      }
    } else if (text.equals("true")) {
      return Boolean.TRUE;
    } else if (text.equals("false")) {
      return Boolean.FALSE;
    }
    throw new IllegalArgumentException("not a boolean: expected t or f (" + text.length() + " chars)");
  }

  // ---------------------------------------------------------------- bytea

  private static byte[] bytea(String text) {
    if (text.startsWith("\\x")) {
      int n = text.length() - 2;
      if ((n & 1) != 0) {
        throw new IllegalArgumentException("bytea hex form has an odd number of digits (" + n + ")");
      }
      byte[] out = new byte[n / 2];
      for (int i = 0, p = 2; i < out.length; i++, p += 2) {
        out[i] = (byte) ((hex(text.charAt(p)) << 4) | hex(text.charAt(p + 1)));
      }
      return out;
    }
    return byteaEscape(text);
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    throw new IllegalArgumentException("bytea hex form has a non-hex character");
  }

  /** The legacy escape form ({@code bytea_output=escape}): {@code \\} and {@code \ooo} octal escapes. */
  private static byte[] byteaEscape(String text) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '\\') {
        if (c > 0xFF) {
          throw new IllegalArgumentException("bytea escape form has a character above 0xFF");
        }
        out.write(c);
      } else if (i + 1 < text.length() && text.charAt(i + 1) == '\\') {
        out.write('\\');
        i++;
      } else if (i + 3 < text.length()) {
        out.write(((text.charAt(i + 1) - '0') << 6) | ((text.charAt(i + 2) - '0') << 3) | (text.charAt(i + 3) - '0'));
        i += 3;
      } else {
        throw new IllegalArgumentException("bytea escape form has a dangling backslash");
      }
    }
    return out.toByteArray();
  }

  // ---------------------------------------------------------------- dates and times

  private static boolean isInfinity(String text) {
    return text.equals("infinity") || text.equals("-infinity");
  }

  private static String date(String text) {
    if (isInfinity(text)) {
      return text;
    }
    boolean bc = text.endsWith(" BC");
    int end = bc ? text.length() - 3 : text.length();
    if (!bc && end == 10 && text.charAt(4) == '-') {
      return text; // already YYYY-MM-DD
    }
    StringBuilder out = new StringBuilder(14);
    appendDate(out, text, 0, end, bc, "date");
    return out.toString();
  }

  private static String time(String text) {
    char[] out = new char[15];
    writeTime(text, 0, text.length(), out, 0, "time");
    return new String(out);
  }

  private static String timestamp(String text) {
    if (isInfinity(text)) {
      return text;
    }
    int space = text.indexOf(' ');
    if (space < 0) {
      throw new IllegalArgumentException("not a timestamp: no space between date and time");
    }
    boolean bc = text.endsWith(" BC");
    int end = bc ? text.length() - 3 : text.length();
    if (!bc && space == 10) { // the common case: a four-digit AD year
      char[] out = new char[26];
      text.getChars(0, 10, out, 0);
      out[10] = 'T';
      writeTime(text, 11, end, out, 11, "timestamp");
      return new String(out);
    }
    StringBuilder out = new StringBuilder(30);
    appendDate(out, text, 0, space, bc, "timestamp");
    char[] time = new char[15];
    writeTime(text, space + 1, end, time, 0, "timestamp");
    return out.append('T').append(time).toString();
  }

  private static String timestamptz(String text) {
    if (isInfinity(text)) {
      return text;
    }
    int space = text.indexOf(' ');
    if (space < 0) {
      throw new IllegalArgumentException("not a timestamptz: no space between date and time");
    }
    boolean bc = text.endsWith(" BC");
    int end = bc ? text.length() - 3 : text.length();
    int zone = zoneStart(text, space + 1, end, "timestamptz");
    if (!bc && space == 10 && isUtc(text, zone, end)) { // the common case with TimeZone=UTC
      char[] out = new char[27];
      text.getChars(0, 10, out, 0);
      out[10] = 'T';
      writeTime(text, 11, zone, out, 11, "timestamptz");
      out[26] = 'Z';
      return new String(out);
    }
    int offsetSeconds = offsetSeconds(text, zone, end, "timestamptz");
    int year = parseYear(text, 0, space, bc, "timestamptz");
    int yearEnd = text.indexOf('-', 1);
    int month = digits(text, yearEnd + 1, 2, "timestamptz");
    int day = digits(text, yearEnd + 4, 2, "timestamptz");
    char[] time = new char[15];
    writeTime(text, space + 1, zone, time, 0, "timestamptz");
    int hour = digits(time, 0);
    int minute = digits(time, 3);
    int second = digits(time, 6);
    int micros = Integer.parseInt(new String(time, 9, 6));
    LocalDateTime utc = LocalDateTime.of(year, month, day, hour, minute, second, micros * 1000)
        .minusSeconds(offsetSeconds);
    StringBuilder out = new StringBuilder(30);
    TimeText.appendYear(out, utc.getYear());
    out.append('-');
    pad2(out, utc.getMonthValue());
    out.append('-');
    pad2(out, utc.getDayOfMonth());
    out.append('T');
    pad2(out, utc.getHour());
    out.append(':');
    pad2(out, utc.getMinute());
    out.append(':');
    pad2(out, utc.getSecond());
    out.append('.').append(time, 9, 6).append('Z');
    return out.toString();
  }

  private static String timetz(String text) {
    int zone = zoneStart(text, 0, text.length(), "timetz");
    char[] out = new char[16];
    writeTime(text, 0, zone, out, 0, "timetz");
    out[15] = 'Z';
    if (isUtc(text, zone, text.length())) {
      return new String(out);
    }
    int offsetSeconds = offsetSeconds(text, zone, text.length(), "timetz");
    long seconds = digits(out, 0) * 3600L + digits(out, 3) * 60L + digits(out, 6) - offsetSeconds;
    seconds = Math.floorMod(seconds, 86_400L);
    write2(out, 0, (int) (seconds / 3600));
    write2(out, 3, (int) (seconds / 60 % 60));
    write2(out, 6, (int) (seconds % 60));
    return new String(out);
  }

  /** Index of the {@code +}/{@code -} that starts the zone offset after {@code HH:MM:SS[.f]}. */
  private static int zoneStart(String text, int timeStart, int end, String type) {
    for (int i = timeStart + 8; i < end; i++) {
      char c = text.charAt(i);
      if (c == '+' || c == '-') {
        return i;
      }
    }
    throw new IllegalArgumentException("not a " + type + ": no zone offset after the time");
  }

  private static boolean isUtc(String text, int zone, int end) {
    for (int i = zone + 1; i < end; i++) {
      char c = text.charAt(i);
      if (c != '0' && c != ':') {
        return false;
      }
    }
    return true;
  }

  /** {@code ±HH[:MM[:SS]]} → seconds east of UTC. */
  private static int offsetSeconds(String text, int zone, int end, String type) {
    int sign = text.charAt(zone) == '-' ? -1 : 1;
    int p = zone + 1;
    int total = 0;
    int unit = 3600;
    while (p < end && unit >= 1) {
      int q = p;
      while (q < end && Character.isDigit(text.charAt(q))) {
        q++;
      }
      if (q == p) {
        throw new IllegalArgumentException("not a " + type + ": malformed zone offset");
      }
      total += Integer.parseInt(text, p, q, 10) * unit;
      unit /= 60;
      p = q + 1; // skip ':'
    }
    return sign * total;
  }

  /**
   * Writes {@code HH:MM:SS.ffffff} (15 chars) from {@code HH:MM:SS} with an optional fraction of
   * 1..6 digits in {@code text[from, to)}.
   */
  private static void writeTime(String text, int from, int to, char[] out, int o, String type) {
    int n = to - from;
    if (n < 8 || text.charAt(from + 2) != ':' || text.charAt(from + 5) != ':' || (n > 8 && text.charAt(from + 8) != '.')
        || n == 9 || n > 15) {
      throw new IllegalArgumentException("not a " + type + ": expected HH:MM:SS[.ffffff]");
    }
    text.getChars(from, to, out, o);
    if (n == 8) {
      out[o + 8] = '.';
      n = 9;
    }
    for (int i = n; i < 15; i++) {
      out[o + i] = '0';
    }
  }

  /** Appends the ISO-8601 date of {@code YYYY-MM-DD} in {@code text[from, to)}, {@code bc} meaning a BC year. */
  private static void appendDate(StringBuilder out, String text, int from, int to, boolean bc, String type) {
    int dash = text.indexOf('-', from + 1);
    if (dash < 0 || to - dash != 6 || text.charAt(dash + 3) != '-') {
      throw new IllegalArgumentException("not a " + type + ": expected YYYY-MM-DD");
    }
    TimeText.appendYear(out, parseYear(text, from, to, bc, type));
    out.append(text, dash, to);
  }

  /** The ISO-8601 (astronomical) year: 1 BC is year 0, 2 BC is -1. */
  private static int parseYear(String text, int from, int to, boolean bc, String type) {
    int dash = text.indexOf('-', from + 1);
    if (dash < 0 || dash > to) {
      throw new IllegalArgumentException("not a " + type + ": expected a year");
    }
    int year;
    try {
      year = Integer.parseInt(text, from, dash, 10);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a " + type + ": malformed year");
    }
    return bc ? 1 - year : year;
  }

  private static int digits(String text, int at, int n, String type) {
    int v = 0;
    for (int i = at; i < at + n; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        throw new IllegalArgumentException("not a " + type + ": expected digits");
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static int digits(char[] chars, int at) {
    return (chars[at] - '0') * 10 + (chars[at + 1] - '0');
  }

  private static void write2(char[] out, int at, int v) {
    out[at] = (char) ('0' + v / 10);
    out[at + 1] = (char) ('0' + v % 10);
  }

  private static void pad2(StringBuilder out, int v) {
    out.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
  }

  // ---------------------------------------------------------------- arrays

  /**
   * Parses a PostgreSQL array literal as {@code array_out} prints it: {@code {a,b}}, nested braces
   * for more dimensions, an optional {@code [lo:hi]=} bounds prefix (dropped: JSON arrays start at
   * 0), double-quoted elements with backslash escapes, unquoted {@code NULL} as SQL null.
   */
  public static List<Object> parseArray(String text, char delimiter, ValueConverter element) {
    int start = 0;
    if (text.startsWith("[")) {
      start = text.indexOf('=') + 1;
      if (start == 0) {
        throw new IllegalArgumentException("malformed array literal: bounds without '='");
      }
    }
    ArrayParser p = new ArrayParser(text, delimiter, element, start);
    List<Object> result = p.list();
    p.skipSpace();
    if (p.pos != text.length()) {
      throw new IllegalArgumentException("malformed array literal: unexpected text after '}' at offset " + p.pos);
    }
    return result;
  }

  /** One parse of one literal; local to {@link #parseArray}, never shared. */
  private static final class ArrayParser {
    private final String s;
    private final char delimiter;
    private final ValueConverter element;
    private int pos;

    ArrayParser(String s, char delimiter, ValueConverter element, int pos) {
      this.s = s;
      this.delimiter = delimiter;
      this.element = element;
      this.pos = pos;
    }

    List<Object> list() {
      skipSpace();
      expect('{');
      skipSpace();
      if (peek() == '}') {
        pos++;
        return Collections.emptyList();
      }
      List<Object> items = new ArrayList<>();
      while (true) {
        skipSpace();
        char c = peek();
        if (c == '{') {
          items.add(list());
        } else if (c == '"') {
          items.add(element.convert(quoted()));
        } else {
          String token = unquoted();
          items.add(token.equalsIgnoreCase("NULL") ? null : element.convert(token));
        }
        skipSpace();
        char next = peek();
        pos++;
        if (next == '}') {
          return items;
        }
        if (next != delimiter) {
          throw new IllegalArgumentException("malformed array literal: expected '" + delimiter
              + "' or '}' at offset " + (pos - 1));
        }
      }
    }

    private String quoted() {
      pos++; // opening quote
      StringBuilder out = null;
      int runStart = pos;
      while (true) {
        char c = peek();
        if (c == '"') {
          String run = s.substring(runStart, pos);
          pos++;
          return out == null ? run : out.append(run).toString();
        }
        if (c == '\\') {
          if (out == null) {
            out = new StringBuilder();
          }
          out.append(s, runStart, pos);
          pos++;
          out.append(peek());
          runStart = pos + 1;
        }
        pos++;
      }
    }

    private String unquoted() {
      StringBuilder out = null;
      int runStart = pos;
      while (true) {
        char c = peek();
        if (c == delimiter || c == '}') {
          break;
        }
        if (c == '{' || c == '"') {
          throw new IllegalArgumentException("malformed array literal: unexpected '" + c + "' at offset " + pos);
        }
        if (c == '\\') {
          if (out == null) {
            out = new StringBuilder();
          }
          out.append(s, runStart, pos);
          pos++;
          out.append(peek());
          runStart = pos + 1;
        }
        pos++;
      }
      String token = out == null ? s.substring(runStart, pos) : out.append(s, runStart, pos).toString();
      if (token.isEmpty()) {
        throw new IllegalArgumentException("malformed array literal: empty element at offset " + pos);
      }
      return token.strip();
    }

    void skipSpace() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    private char peek() {
      if (pos >= s.length()) {
        throw new IllegalArgumentException("malformed array literal: ends early at offset " + pos);
      }
      return s.charAt(pos);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw new IllegalArgumentException("malformed array literal: expected '" + c + "' at offset " + pos);
      }
      pos++;
    }
  }
}
