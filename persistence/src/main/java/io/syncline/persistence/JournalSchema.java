package io.syncline.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.persistence.jdbc.db.SlickDatabase;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the event journal and snapshot tables of pekko-persistence-jdbc when they are missing.
 *
 * <p>We ship our own DDL ({@code io/syncline/persistence/journal/h2.sql} and {@code postgres.sql})
 * instead of calling pekko-persistence-jdbc's {@code SchemaUtils.createIfNotExists}. Its H2 script
 * does run on H2 2.5.252 (checked with {@code createIfNotExists("jdbc-journal", system)}), but the
 * helper lives in a testkit package, its no-argument form looks for a shared database named
 * {@code slick}, and it logs every failing statement at DEBUG and carries on: its second run
 * already fails on {@code CREATE UNIQUE INDEX} without {@code IF NOT EXISTS}, silently, so a real
 * failure (wrong database, missing rights) would look like success too. Every statement here is
 * {@code IF NOT EXISTS}, so the script runs on every start and any error fails the returned stage.
 *
 * <p>Call it once at start-up and wait for it before the first entity persists. The JDBC work runs
 * on Pekko's blocking dispatcher over a connection of the shared {@code syncline} pool. On
 * PostgreSQL, nodes starting at the same instant may race on {@code CREATE TABLE IF NOT EXISTS};
 * the loser fails and should retry (the second attempt sees the tables).
 */
public final class JournalSchema {

  private static final Logger log = LoggerFactory.getLogger(JournalSchema.class);

  private JournalSchema() {}

  /**
   * Creates the journal and snapshot tables of the configured database ({@code syncline.journal})
   * when missing. Completes with {@link Done} once the tables exist; fails when the database is
   * unreachable, a statement fails, or the ActorSystem was not created from
   * {@link JournalSettings#applyTo}.
   */
  public static CompletionStage<Done> createIfMissing(ActorSystem<?> system) {
    JournalSettings settings;
    try {
      settings = JournalSettings.create(system.settings().config());
      checkProfile(system, settings);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    return CompletableFuture.supplyAsync(() -> apply(system, settings), blocking);
  }

  /**
   * Opens and closes one connection to the journal database outside the connection pool: fails at
   * once with the driver's own error (connection refused, unknown database, wrong password) where
   * the pool would wait its whole connection timeout. Blocking; for PostgreSQL the connection
   * attempt gives up after {@code connectTimeout}.
   */
  public static void connectOnce(JournalSettings settings, java.time.Duration connectTimeout) throws SQLException {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("user", settings.user());
    if (!settings.password().isEmpty()) {
      p.setProperty("password", settings.password());
    }
    if (settings.kind() == JournalSettings.Kind.POSTGRES) {
      p.setProperty("connectTimeout", String.valueOf(Math.max(1, connectTimeout.toSeconds())));
      p.setProperty("ApplicationName", "syncline-journal");
    }
    try (Connection c = java.sql.DriverManager.getConnection(settings.url(), p)) {
      c.isValid((int) Math.max(1, connectTimeout.toSeconds()));
    }
  }

  /** The DDL statements for a database kind, in execution order. */
  static List<String> statements(JournalSettings.Kind kind) {
    String resource = "journal/" + kind.name().toLowerCase(java.util.Locale.ROOT) + ".sql";
    try (InputStream in = JournalSchema.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing DDL resource " + resource);
      }
      return split(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read DDL resource " + resource, e);
    }
  }

  private static Done apply(ActorSystem<?> system, JournalSettings settings) {
    SlickDatabase db =
        ((SlickExtensionImpl) SlickExtension.get(system))
            .database(system.settings().config().getConfig("jdbc-journal"));
    List<String> ddl = statements(settings.kind());
    try (Connection connection = db.database().source().createConnection();
        Statement statement = connection.createStatement()) {
      connection.setAutoCommit(true);
      for (String sql : ddl) {
        statement.execute(sql);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("creating the journal tables failed on " + settings.displayUrl(), e);
    }
    log.info("Journal tables present ({} at {})", settings.kind(), settings.displayUrl());
    return Done.getInstance();
  }

  private static void checkProfile(ActorSystem<?> system, JournalSettings settings) {
    String configured = system.settings().config().getString(JournalSettings.SHARED_DB_PATH + ".profile");
    if (!configured.equals(settings.kind().slickProfile())) {
      throw new IllegalStateException(
          "syncline.journal.kind is " + settings.kind() + " but the journal's Slick profile is " + configured
              + ": create the ActorSystem from JournalSettings.applyTo(config)");
    }
  }

  /** Splits a script into statements: a statement ends with ';' at the end of a line; '--' lines are comments. */
  private static List<String> split(String script) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : script.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("--")) {
        continue;
      }
      if (trimmed.endsWith(";")) {
        current.append(trimmed, 0, trimmed.length() - 1);
        out.add(current.toString());
        current.setLength(0);
      } else {
        current.append(trimmed).append('\n');
      }
    }
    if (!current.toString().isBlank()) {
      throw new IllegalStateException("DDL script ends without ';': " + current);
    }
    return List.copyOf(out);
  }
}
