package io.syncline.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code syncline.journal} block of the configuration: which database holds the event journal
 * and snapshots. Read once with {@link #create(Config)}; {@link #applyTo(Config)} turns it into the
 * pekko-persistence-jdbc settings of the shared database {@code syncline}, choosing the Slick
 * profile and JDBC driver from {@link Kind} (HOCON cannot select a value by another key).
 *
 * <p>Every ActorSystem that persists must be created from {@code JournalSettings.applyTo(config)};
 * {@link JournalSchema#createIfMissing} refuses to run when the profile does not match the kind.
 *
 * @param kind database kind
 * @param url JDBC URL; a relative H2 file path is made absolute (H2 refuses implicit relative paths)
 * @param user database user
 * @param password database password (never logged; {@link #toString()} masks it)
 */
public record JournalSettings(Kind kind, String url, String user, String password) {

  /** Name of the database that journal, snapshot store and read journal share. */
  public static final String SHARED_DB_NAME = "syncline";

  /** Path of the shared database's settings in the configuration. */
  public static final String SHARED_DB_PATH = "pekko-persistence-jdbc.shared-databases." + SHARED_DB_NAME;

  private static final String H2_FILE_PREFIX = "jdbc:h2:file:";

  /** Journal database kinds Syncline supports. */
  public enum Kind {
    /** Embedded H2 file database: one node, nothing to install. */
    H2("slick.jdbc.H2Profile$", "org.h2.Driver", "jdbc:h2:"),
    /** PostgreSQL: required for a cluster. */
    POSTGRES("slick.jdbc.PostgresProfile$", "org.postgresql.Driver", "jdbc:postgresql:");

    private final String slickProfile;
    private final String driver;
    private final String urlPrefix;

    Kind(String slickProfile, String driver, String urlPrefix) {
      this.slickProfile = slickProfile;
      this.driver = driver;
      this.urlPrefix = urlPrefix;
    }

    /** Slick profile object name for pekko-persistence-jdbc. */
    public String slickProfile() {
      return slickProfile;
    }

    /** JDBC driver class name. */
    public String driver() {
      return driver;
    }

    /** Parses the configuration value ({@code h2}, {@code postgres}). */
    public static Kind parse(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "h2" -> H2;
        case "postgres", "postgresql" -> POSTGRES;
        default -> throw new IllegalArgumentException(
            "syncline.journal.kind must be h2 or postgres, was: " + value);
      };
    }
  }

  /** Validates the settings and normalises a relative H2 file path. */
  public JournalSettings {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    if (!url.startsWith(kind.urlPrefix)) {
      throw new IllegalArgumentException(
          "syncline.journal.url must start with " + kind.urlPrefix + " for kind " + kind
              + " (set syncline.journal.url / SYNCLINE_JOURNAL_URL), was: " + url);
    }
    if (kind == Kind.H2 && url.startsWith(H2_FILE_PREFIX)) {
      url = H2_FILE_PREFIX + absoluteH2Path(url.substring(H2_FILE_PREFIX.length()));
    }
    if (kind == Kind.H2 && !url.toUpperCase(Locale.ROOT).contains(";DB_CLOSE_ON_EXIT=")) {
      // H2 would close the database from its own JVM shutdown hook, under the entities still
      // recording their last positions; the node closes the pool (and so the database) last
      url = url + ";DB_CLOSE_ON_EXIT=FALSE";
    }
  }

  /**
   * The H2 database file's path without the {@code .mv.db} suffix, when the journal is an H2 file
   * database; empty otherwise.
   */
  public java.util.Optional<Path> h2File() {
    if (kind != Kind.H2 || !url.startsWith(H2_FILE_PREFIX)) {
      return java.util.Optional.empty();
    }
    String rest = url.substring(H2_FILE_PREFIX.length());
    int semicolon = rest.indexOf(';');
    String path = semicolon < 0 ? rest : rest.substring(0, semicolon);
    return java.util.Optional.of(path.startsWith("~") ? Path.of(System.getProperty("user.home") + path.substring(1))
        : Path.of(path));
  }

  /** The URL for messages: without its options and parameters, which may hold credentials. */
  public String displayUrl() {
    int cut = url.length();
    for (char c : new char[] {'?', ';'}) {
      int i = url.indexOf(c);
      if (i >= 0) {
        cut = Math.min(cut, i);
      }
    }
    return url.substring(0, cut);
  }

  /** Reads {@code syncline.journal} from a resolved configuration. */
  public static JournalSettings create(Config config) {
    Config c = config.getConfig("syncline.journal");
    return new JournalSettings(
        Kind.parse(c.getString("kind")), c.getString("url"), c.getString("user"), c.getString("password"));
  }

  /**
   * Returns {@code config} with the shared journal database set from {@code syncline.journal}:
   * the configuration to create the ActorSystem from.
   */
  public static Config applyTo(Config config) {
    return create(config).toConfig().withFallback(config);
  }

  /**
   * The persistence overlay: the shared database {@code syncline} (profile, driver, URL,
   * credentials), and the plugin selection and {@code use-shared-db} keys that our
   * {@code reference.conf} also sets. Those override keys of Pekko's and pekko-persistence-jdbc's
   * own {@code reference.conf}, and which duplicate wins depends on the classpath order, so the
   * overlay repeats them to win in every order.
   */
  public Config toConfig() {
    return ConfigFactory.parseMap(
        Map.of(
            SHARED_DB_PATH + ".profile", kind.slickProfile(),
            SHARED_DB_PATH + ".db.driver", kind.driver(),
            SHARED_DB_PATH + ".db.url", url,
            SHARED_DB_PATH + ".db.user", user,
            SHARED_DB_PATH + ".db.password", password,
            "pekko.persistence.journal.plugin", "jdbc-journal",
            "pekko.persistence.snapshot-store.plugin", "jdbc-snapshot-store",
            "jdbc-journal.use-shared-db", SHARED_DB_NAME,
            "jdbc-snapshot-store.use-shared-db", SHARED_DB_NAME,
            "jdbc-read-journal.use-shared-db", SHARED_DB_NAME),
        "syncline.journal (JournalSettings)");
  }

  @Override
  public String toString() {
    return "JournalSettings[kind=" + kind + ", url=" + url + ", user=" + user + ", password=***]";
  }

  /** H2 accepts absolute paths, {@code ./x} and {@code ~/x}; anything else becomes absolute. */
  private static String absoluteH2Path(String pathAndOptions) {
    int semicolon = pathAndOptions.indexOf(';');
    String path = semicolon < 0 ? pathAndOptions : pathAndOptions.substring(0, semicolon);
    String options = semicolon < 0 ? "" : pathAndOptions.substring(semicolon);
    if (path.startsWith("~") || Path.of(path).isAbsolute()) {
      return pathAndOptions;
    }
    return Path.of(path).toAbsolutePath().normalize() + options;
  }
}
