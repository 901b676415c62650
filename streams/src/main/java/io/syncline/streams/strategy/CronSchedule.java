package io.syncline.streams.strategy;

import java.time.DayOfWeek;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;

/**
 * A cron schedule of five fields, {@code minute hour day-of-month month day-of-week}, as crontab(5)
 * reads them: {@code *}, numbers, ranges {@code a-b}, lists {@code a,b}, steps {@code * /n} and
 * {@code a-b/n}; months and days of the week also by their three-letter English names; day of week
 * 0 or 7 is Sunday. When both day fields are restricted, a day matching either fires (as cron does).
 * Times are of the zone of the {@link ZonedDateTime} given to {@link #next}.
 */
public final class CronSchedule {

  private final String text;
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet daysOfMonth;
  private final BitSet months;
  private final BitSet daysOfWeek;
  private final boolean anyDayOfMonth;
  private final boolean anyDayOfWeek;

  private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
      "nov", "dec"};
  private static final String[] DAYS = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

  private CronSchedule(String text, String[] f) {
    this.text = text;
    this.minutes = field(text, "minute", f[0], 0, 59, null, 0);
    this.hours = field(text, "hour", f[1], 0, 23, null, 0);
    this.daysOfMonth = field(text, "day of month", f[2], 1, 31, null, 0);
    this.months = field(text, "month", f[3], 1, 12, MONTHS, 1);
    BitSet dow = field(text, "day of week", f[4], 0, 7, DAYS, 0);
    if (dow.get(7)) {
      dow.set(0);
      dow.clear(7);
    }
    this.daysOfWeek = dow;
    this.anyDayOfMonth = f[2].startsWith("*");
    this.anyDayOfWeek = f[4].startsWith("*");
  }

  /** Parses {@code text}, or fails with an error naming the field and what is wrong. */
  public static CronSchedule parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("schedule is empty: give five cron fields, e.g. \"0 * * * *\" (hourly)");
    }
    String[] f = text.trim().split("\\s+");
    if (f.length != 5) {
      throw new IllegalArgumentException("schedule \"" + text + "\" has " + f.length + " fields, cron needs five:"
          + " minute hour day-of-month month day-of-week (e.g. \"0 * * * *\" hourly, \"30 2 * * *\" daily at 02:30)");
    }
    return new CronSchedule(text, f);
  }

  private static BitSet field(String text, String name, String value, int min, int max, String[] names, int nameBase) {
    BitSet bits = new BitSet(max + 1);
    for (String part : value.split(",", -1)) {
      String range = part;
      int step = 1;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        range = part.substring(0, slash);
        step = number(text, name, part.substring(slash + 1), 1, max, null, 0);
      }
      int lo;
      int hi;
      if (range.equals("*")) {
        lo = min;
        hi = max == 7 ? 6 : max;
      } else {
        int dash = range.indexOf('-');
        if (dash > 0) {
          lo = number(text, name, range.substring(0, dash), min, max, names, nameBase);
          hi = number(text, name, range.substring(dash + 1), min, max, names, nameBase);
          if (hi < lo) {
            throw invalid(text, name, "range " + range + " runs backwards");
          }
        } else {
          lo = number(text, name, range, min, max, names, nameBase);
          hi = slash >= 0 ? (max == 7 ? 6 : max) : lo;
        }
      }
      for (int i = lo; i <= hi; i += step) {
        bits.set(i);
      }
    }
    return bits;
  }

  private static int number(String text, String name, String s, int min, int max, String[] names, int nameBase) {
    if (names != null) {
      String lower = s.toLowerCase(Locale.ROOT);
      for (int i = 0; i < names.length; i++) {
        if (names[i].equals(lower)) {
          return i + nameBase;
        }
      }
    }
    int n;
    try {
      n = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw invalid(text, name, "'" + s + "' is not a number" + (names == null ? "" : " nor a name"));
    }
    if (n < min || n > max) {
      throw invalid(text, name, n + " is outside " + min + "-" + max);
    }
    return n;
  }

  private static IllegalArgumentException invalid(String text, String field, String why) {
    return new IllegalArgumentException("schedule \"" + text + "\": " + field + ": " + why);
  }

  /** The first time strictly after {@code after}, to the minute, that the schedule fires. */
  public ZonedDateTime next(ZonedDateTime after) {
    ZonedDateTime t = after.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    ZonedDateTime limit = t.plusYears(5); // a schedule such as "0 0 30 2 *" never fires
    while (t.isBefore(limit)) {
      if (!months.get(t.getMonthValue())) {
        t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
        continue;
      }
      if (!dayMatches(t)) {
        t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
        continue;
      }
      if (!hours.get(t.getHour())) {
        t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
        continue;
      }
      if (!minutes.get(t.getMinute())) {
        t = t.plusMinutes(1);
        continue;
      }
      return t;
    }
    throw new IllegalStateException("schedule \"" + text + "\" never fires");
  }

  private boolean dayMatches(ZonedDateTime t) {
    boolean dom = daysOfMonth.get(t.getDayOfMonth());
    int dayOfWeek = t.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : t.getDayOfWeek().getValue();
    boolean dow = daysOfWeek.get(dayOfWeek);
    if (anyDayOfMonth || anyDayOfWeek) {
      return dom && dow;
    }
    return dom || dow;
  }

  @Override
  public String toString() {
    return text;
  }
}
