package io.syncline.streams.mysql.schema;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which server a statement was written for: MariaDB or MySQL, and its version as the number the
 * servers compare versioned comments with ({@code MYSQL_VERSION_ID}: 11.4.5 → 110405, 8.0.36 →
 * 80036). It decides which executable comments ({@code /*!50100 …}, {@code /*M!100100 …}) the
 * server ran (see {@link DdlTokenizer}).
 */
public record ServerVersion(boolean mariaDb, int number) {

  /** The server the tests run against, and what statements are read as when nothing else is known. */
  public static final ServerVersion MARIADB_11_4 = new ServerVersion(true, 110405);

  private static final Pattern NUMBERS = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)");

  public ServerVersion {
    if (number < 0) {
      throw new IllegalArgumentException("server version number must not be negative: " + number);
    }
  }

  /**
   * From {@code SELECT VERSION()}: {@code 11.4.5-MariaDB-log}, {@code 8.0.36}, or the handshake's
   * {@code 5.5.5-10.6.12-MariaDB} (MariaDB's prefix for old clients).
   */
  public static ServerVersion of(String version) {
    boolean maria = version.toLowerCase(Locale.ROOT).contains("mariadb");
    String v = maria && version.startsWith("5.5.5-") ? version.substring("5.5.5-".length()) : version;
    Matcher m = NUMBERS.matcher(v);
    if (!m.find()) {
      throw new IllegalArgumentException("not a MySQL/MariaDB version: '" + version + "'");
    }
    return new ServerVersion(maria, Integer.parseInt(m.group(1)) * 10_000 + Integer.parseInt(m.group(2)) * 100
        + Integer.parseInt(m.group(3)));
  }

  /**
   * Whether this server runs the content of a versioned comment: {@code /*!NNNNN} when
   * {@code mariaSyntax} is false, {@code /*M!NNNNNN} when true; {@code version} -1 when the comment
   * has no version. MySQL runs {@code /*!} comments of its version or older and treats
   * {@code /*M!} as a plain comment. MariaDB runs both of its version or older, except
   * {@code /*!} comments of MySQL 5.7 to 9.x (50700–99999), whose syntax it may not have.
   */
  public boolean runs(boolean mariaSyntax, long version) {
    if (mariaSyntax && !mariaDb) {
      return false;
    }
    if (version < 0) {
      return true;
    }
    if (version > number) {
      return false;
    }
    return !mariaDb || mariaSyntax || version < 50700 || version > 99999;
  }
}
