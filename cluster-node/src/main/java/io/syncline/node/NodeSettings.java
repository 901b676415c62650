package io.syncline.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.syncline.actors.source.SourceReader;
import io.syncline.persistence.JdbcSchemaHistoryStore;
import io.syncline.persistence.JournalSettings;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.mongo.MongoCaptureSource;
import io.syncline.streams.mongo.MongoSourceSettings;
import io.syncline.streams.mysql.MySqlCaptureSource;
import io.syncline.streams.mysql.MySqlSourceSettings;
import io.syncline.streams.postgres.PgCaptureSource;
import io.syncline.streams.postgres.PgSourceSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The node's typed settings, read once from the {@code syncline} config subtree (documented in
 * conf/application.conf, defaulted in reference.conf).
 */
public record NodeSettings(
    Path dataDir,
    List<CaptureSource> sources,
    List<String> sinks,
    SourceReader.Settings reader,
    boolean joinSelf,
    Duration logInterval,
    Duration stopTimeout,
    JournalStart journalStart) {

  /**
   * How long a starting node keeps trying to reach its journal ({@code syncline.journal.start-*}):
   * attempts {@code minBackoff} apart at first, doubling up to {@code maxBackoff}, until
   * {@code timeout} has passed; then the node exits with status 1.
   */
  public record JournalStart(Duration timeout, Duration minBackoff, Duration maxBackoff) {
    public JournalStart {
      if (timeout.isNegative() || minBackoff.isNegative() || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0) {
        throw new IllegalArgumentException("syncline.journal: start-timeout must be >= 0, start-min-backoff > 0 and"
            + " start-max-backoff >= start-min-backoff (got " + timeout + ", " + minBackoff + ", " + maxBackoff + ")");
      }
    }

    /** The wait after the {@code attempt}-th failed attempt (1-based). */
    public Duration backoff(int attempt) {
      long ms = minBackoff.toMillis() << Math.min(20, Math.max(0, attempt - 1));
      return Duration.ofMillis(Math.min(ms, maxBackoff.toMillis()));
    }
  }

  public NodeSettings {
    sources = List.copyOf(sources);
    sinks = List.copyOf(sinks);
    if (logInterval.isNegative()) {
      throw new IllegalArgumentException("syncline.reader.log-interval must not be negative (0s: no progress lines)");
    }
    if (stopTimeout.isNegative() || stopTimeout.isZero()) {
      throw new IllegalArgumentException("syncline.reader.stop-timeout must be positive, got " + stopTimeout);
    }
    for (String s : sinks) {
      if (!Set.of("jsonl", "kafka", "sqs", "noop").contains(s)) {
        throw new IllegalArgumentException("syncline.transport.sinks: unknown sink '" + s
            + "' (use jsonl, kafka, sqs or noop)");
      }
    }
    if (sinks.isEmpty()) {
      throw new IllegalArgumentException("syncline.transport.sinks is empty: name at least one of jsonl, kafka, sqs, noop");
    }
  }

  /**
   * Reads the {@code syncline} subtree. Fails with an {@link IllegalArgumentException} naming the
   * key and the fix, for unknown keys too ({@link ConfigCheck}).
   */
  public static NodeSettings create(Config root) {
    ConfigCheck.refuseUnknownKeys(root);
    Config c = root.getConfig("syncline");
    try {
      List<CaptureSource> sources = new ArrayList<>();
      Set<String> names = new HashSet<>();
      List<? extends Config> entries = c.getConfigList("sources");
      for (int i = 0; i < entries.size(); i++) {
        Config e = entries.get(i);
        String kind = e.hasPath("kind") ? e.getString("kind") : "";
        String defaults = sourceDefaultsPath(kind);
        if (defaults == null) {
          throw new IllegalArgumentException("syncline.sources[" + i + "].kind '" + kind
              + "' is not supported: use kind = postgres, mariadb (or mysql) or mongodb");
        }
        CaptureSource source = switch (defaults) {
          case "source-defaults.postgres" -> new PgCaptureSource(PgSourceSettings.create(e, c.getConfig(defaults)));
          case "source-defaults.mysql" -> new MySqlCaptureSource(MySqlSourceSettings.create(e, c.getConfig(defaults)),
              new JdbcSchemaHistoryStore(JournalSettings.create(root))); // schema history beside the journal
          default -> new MongoCaptureSource(MongoSourceSettings.create(e, c.getConfig(defaults)));
        };
        if (!names.add(source.name())) {
          throw new IllegalArgumentException("syncline.sources: two sources are named '" + source.name()
              + "': names must be unique (they prefix topics and table ids)");
        }
        sources.add(source);
      }
      Config r = c.getConfig("reader");
      return new NodeSettings(
          Path.of(c.getString("data-dir")),
          sources,
          sinkList(c),
          new SourceReader.Settings(r.getDuration("ask-timeout"), r.getDuration("min-backoff"),
              r.getDuration("max-backoff"), 64, r.getDuration("idle-table-commit"), r.getDuration("stop-timeout"),
              io.syncline.streams.strategy.TableStrategies.create(root)),
          c.getBoolean("join-self"),
          r.getDuration("log-interval"),
          r.getDuration("stop-timeout"),
          new JournalStart(c.getDuration("journal.start-timeout"), c.getDuration("journal.start-min-backoff"),
              c.getDuration("journal.start-max-backoff")));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("configuration: " + ConfigCheck.describe(e), e);
    }
  }

  /**
   * Where the defaults of a source kind are, relative to {@code syncline} (they also list the keys a
   * source entry of that kind may have), or null for a kind Syncline does not capture.
   */
  static String sourceDefaultsPath(String kind) {
    return switch (kind) {
      case "postgres", "postgresql" -> "source-defaults.postgres";
      case "mariadb", "mysql" -> "source-defaults.mysql";
      case "mongodb" -> "source-defaults.mongodb";
      default -> null;
    };
  }

  private static List<String> sinkList(Config c) {
    try {
      return c.getStringList("transport.sinks");
    } catch (ConfigException.WrongType e) {
      // SYNCLINE_SINKS=jsonl,kafka arrives as one string
      return List.of(c.getString("transport.sinks").split("\\s*,\\s*"));
    }
  }
}
