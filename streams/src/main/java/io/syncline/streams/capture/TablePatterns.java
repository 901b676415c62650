package io.syncline.streams.capture;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Include/exclude lists of {@code container.table} names ({@code schema.table} in PostgreSQL,
 * {@code database.table} in MySQL) with {@code *} (any characters) and {@code ?} (one character).
 */
public final class TablePatterns {

  private TablePatterns() {}

  public static boolean isPattern(String entry) {
    return entry.indexOf('*') >= 0 || entry.indexOf('?') >= 0;
  }

  /** {@code public.order_*} → a regex matching the whole qualified name. */
  public static Pattern glob(String entry) {
    StringBuilder re = new StringBuilder();
    for (char ch : entry.toCharArray()) {
      switch (ch) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        default -> re.append(Pattern.quote(String.valueOf(ch)));
      }
    }
    return Pattern.compile(re.toString());
  }

  /** True when {@code qualified} matches any of the entries. */
  public static boolean matchesAny(List<String> entries, String qualified) {
    for (String e : entries) {
      if (glob(e).matcher(qualified).matches()) {
        return true;
      }
    }
    return false;
  }
}
