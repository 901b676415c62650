package io.syncline.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Refuses configuration keys under {@code syncline} that nothing reads: a typo ({@code snapshot-mod},
 * {@code transprt}) would otherwise be silently ignored and its default used. The known keys are
 * those of the {@code reference.conf} files on the class path, where every key has its documented
 * default; a {@code sources} entry is checked against the defaults of its kind
 * ({@code syncline.source-defaults.<kind>}) plus its own {@code kind} and {@code name}.
 *
 * <p>Not checked: the inside of the maps handed to Kafka as client properties (any Kafka property
 * is allowed there), and keys set as Java system properties ({@code -Dsyncline.x=...}: the test
 * harness sets some of its own).
 */
final class ConfigCheck {

  /** Maps whose keys are passed on as they are (client properties), relative to {@code syncline}. */
  private static final Set<String> OPEN_MAPS = Set.of("transport.kafka.producer", "consume.consumer");

  /** The keys every {@code sources} entry has besides those of its kind's defaults. */
  private static final Set<String> ENTRY_KEYS = Set.of("kind", "name");

  private ConfigCheck() {}

  /**
   * Fails with one line per unknown key, naming where it is and the nearest known key.
   *
   * @param config the node's resolved configuration
   */
  static void refuseUnknownKeys(Config config) {
    refuseUnknownKeys(config, ConfigFactory.defaultReference());
  }

  static void refuseUnknownKeys(Config config, Config reference) {
    if (!config.hasPath("syncline")) {
      return;
    }
    Config known = reference.getConfig("syncline");
    Set<String> problems = new LinkedHashSet<>();
    Config user = config.getConfig("syncline");
    for (var e : user.entrySet()) {
      String path = e.getKey();
      if (path.equals("sources") || isFromSystemProperties(e.getValue().origin()) || isInOpenMap(path)) {
        continue;
      }
      if (!known.hasPathOrNull(path)) {
        problems.add(unknown("syncline", known, user, path));
      }
    }
    if (user.hasPath("sources") && user.getValue("sources").valueType() == ConfigValueType.LIST) {
      List<? extends ConfigValue> entries = user.getList("sources");
      for (int i = 0; i < entries.size(); i++) {
        if (entries.get(i) instanceof ConfigObject entry) {
          checkSourceEntry(i, entry.toConfig(), known, problems);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", problems));
    }
  }

  private static void checkSourceEntry(int index, Config entry, Config known, Set<String> problems) {
    String kind = entry.hasPath("kind") ? entry.getString("kind") : "";
    String defaults = NodeSettings.sourceDefaultsPath(kind);
    if (defaults == null || !known.hasPath(defaults)) {
      return; // an unknown kind: NodeSettings names it
    }
    Config kindKeys = known.getConfig(defaults);
    for (var e : entry.entrySet()) {
      String path = e.getKey();
      if (!ENTRY_KEYS.contains(path) && !kindKeys.hasPathOrNull(path)) {
        problems.add(unknown("syncline.sources[" + index + "]", kindKeys, entry, path));
      }
    }
  }

  /**
   * The message for {@code path} (relative to {@code prefix}): names its first segment that is not
   * known, where it was set, and the nearest known key beside it.
   */
  private static String unknown(String prefix, Config known, Config user, String path) {
    List<String> segments = ConfigUtil.splitPath(path);
    int depth = 0;
    while (depth < segments.size() - 1 && known.hasPath(join(segments.subList(0, depth + 1)))
        && known.getValue(join(segments.subList(0, depth + 1))).valueType() == ConfigValueType.OBJECT) {
      depth++;
    }
    List<String> parent = segments.subList(0, depth);
    String key = segments.get(depth);
    Set<String> siblings = new TreeSet<>(parent.isEmpty() ? known.root().keySet()
        : known.getConfig(join(parent)).root().keySet());
    if (prefix.startsWith("syncline.sources[") && parent.isEmpty()) {
      siblings.addAll(ENTRY_KEYS);
    }
    String unknownPath = join(segments.subList(0, depth + 1));
    String where = where(user.getValue(user.hasPath(unknownPath) ? unknownPath : path).origin());
    String nearest = nearest(key, siblings);
    return "unknown configuration key '" + prefix + "." + unknownPath + "'" + where
        + (nearest != null ? ": did you mean '" + nearest + "'?"
            : ": not a Syncline setting (known here: " + String.join(", ", siblings) + ")");
  }

  private static String join(List<String> segments) {
    return ConfigUtil.joinPath(segments);
  }

  private static boolean isInOpenMap(String path) {
    for (String open : OPEN_MAPS) {
      if (path.startsWith(open + ".")) {
        return true;
      }
    }
    return false;
  }

  private static boolean isFromSystemProperties(ConfigOrigin origin) {
    return origin.description().contains("system properties");
  }

  /** {@code " (node.conf:12)"}, or empty when the origin names no file. */
  static String where(ConfigOrigin origin) {
    String file = origin.filename() != null ? Path.of(origin.filename()).getFileName().toString()
        : origin.resource() != null ? origin.resource()
        : origin.description().replaceFirst(": \\d+$", "");
    if (file.startsWith("String") || file.startsWith("merge of") || file.contains("system properties")) {
      return "";
    }
    return " (" + file + (origin.lineNumber() > 0 ? ":" + origin.lineNumber() : "") + ")";
  }

  /** The known key closest to {@code key} by edit distance, if close enough to be a typo of it. */
  static String nearest(String key, Set<String> known) {
    String k = key.toLowerCase(Locale.ROOT);
    return known.stream()
        .filter(c -> distance(k, c.toLowerCase(Locale.ROOT)) <= Math.max(2, c.length() / 3)
            || (k.length() >= 3 && (c.startsWith(k) || k.startsWith(c))))
        .min(Comparator.comparingInt((String c) -> distance(k, c.toLowerCase(Locale.ROOT))).thenComparing(c -> c))
        .orElse(null);
  }

  /** Levenshtein distance, with a transposition of neighbours counting one (Damerau, restricted). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /**
   * One line for a configuration that cannot be read: file, line and what is wrong (malformed
   * HOCON, a substitution without value, a value of the wrong type).
   */
  static String describe(ConfigException e) {
    ConfigOrigin origin = e.origin();
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (origin == null) {
      return message;
    }
    // the library prefixes its messages with "<description>: "; say it once, as file and line
    String description = origin.description();
    if (message.startsWith(description + ": ")) {
      message = message.substring(description.length() + 2);
    }
    String file = origin.filename() != null ? origin.filename() : origin.resource();
    if (file == null) {
      return message;
    }
    return file + (origin.lineNumber() > 0 ? ", line " + origin.lineNumber() : "") + ": " + message;
  }
}
