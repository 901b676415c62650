package io.syncline.streams.event;

import java.time.LocalDateTime;

/**
 * The text forms of dates and timestamps every source writes (docs/type-mapping.md): dates
 * {@code YYYY-MM-DD}, timestamps {@code YYYY-MM-DDTHH:MM:SS.ffffff} with a trailing {@code Z} when
 * the value is an instant (timestamptz). Years as PostgreSQL prints them: four digits, {@code -YYYY}
 * before year 0, {@code +YYYYY} after 9999.
 */
public final class TimeText {

  private TimeText() {}

  /** {@code YYYY-MM-DD} of {@code t}. */
  public static void appendDate(StringBuilder out, LocalDateTime t) {
    appendYear(out, t.getYear());
    out.append('-');
    pad(out, t.getMonthValue(), 2);
    out.append('-');
    pad(out, t.getDayOfMonth(), 2);
  }

  /** {@code YYYY-MM-DDTHH:MM:SS.ffffff}, and {@code Z} when {@code utc}. */
  public static String dateTime(LocalDateTime t, int micros, boolean utc) {
    StringBuilder out = new StringBuilder(28);
    appendDate(out, t);
    out.append('T');
    pad(out, t.getHour(), 2);
    out.append(':');
    pad(out, t.getMinute(), 2);
    out.append(':');
    pad(out, t.getSecond(), 2);
    out.append('.');
    pad(out, micros, 6);
    if (utc) {
      out.append('Z');
    }
    return out.toString();
  }

  /** The year: {@code YYYY} for 0..9999, {@code -YYYY} before year 0, {@code +YYYYY} after 9999. */
  public static void appendYear(StringBuilder out, int year) {
    if (year > 9999) {
      out.append('+').append(year);
      return;
    }
    if (year < 0) {
      out.append('-');
      year = -year;
    }
    pad(out, year, 4);
  }

  /** {@code value} with leading zeros to {@code width} digits (non-negative values). */
  public static void pad(StringBuilder out, int value, int width) {
    // digits written in place: a String per field was a tenth of the MariaDB reader's samples
    int digits = 1;
    for (int v = value; v >= 10; v /= 10) {
      digits++;
    }
    for (int i = digits; i < width; i++) {
      out.append('0');
    }
    int at = out.length();
    out.setLength(at + digits);
    for (int i = at + digits - 1, v = value; i >= at; i--, v /= 10) {
      out.setCharAt(i, (char) ('0' + v % 10));
    }
  }
}
