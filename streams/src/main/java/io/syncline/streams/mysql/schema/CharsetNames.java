package io.syncline.streams.mysql.schema;

import java.util.Locale;
import java.util.Set;

/** MySQL/MariaDB character set names as DDL writes them, normalised as information_schema shows them. */
final class CharsetNames {

  private static final Set<String> KNOWN = Set.of("armscii8", "ascii", "big5", "binary", "cp1250", "cp1251",
      "cp1256", "cp1257", "cp850", "cp852", "cp866", "cp932", "dec8", "eucjpms", "euckr", "gb18030", "gb2312", "gbk",
      "geostd8", "greek", "hebrew", "hp8", "keybcs2", "koi8r", "koi8u", "latin1", "latin2", "latin5", "latin7",
      "macce", "macroman", "sjis", "swe7", "tis620", "ucs2", "ujis", "utf16", "utf16le", "utf32", "utf8mb3", "utf8mb4");

  private CharsetNames() {}

  /** {@code utf8} is {@code utf8mb3} (MariaDB's and MySQL 8's default meaning); lower case. */
  static String normalise(String charset) {
    if (charset == null) {
      return null;
    }
    String c = charset.toLowerCase(Locale.ROOT);
    return c.equals("utf8") ? "utf8mb3" : c;
  }

  /** The character set of a collation ({@code latin1_swedish_ci} → latin1), null when the name does not say. */
  static String ofCollation(String collation) {
    if (collation == null) {
      return null;
    }
    String c = collation.toLowerCase(Locale.ROOT);
    if (c.equals("binary")) {
      return "binary";
    }
    int underscore = c.indexOf('_');
    String prefix = normalise(underscore < 0 ? c : c.substring(0, underscore));
    return KNOWN.contains(prefix) ? prefix : null;
  }
}
