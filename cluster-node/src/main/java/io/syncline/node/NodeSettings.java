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
    boolean joinSelf) {

  public NodeSettings {
    sources = List.copyOf(sources);
    sinks = List.copyOf(sinks);
    for (String s : sinks) {
      if (!Set.of("jsonl", "kafka", "noop").contains(s)) {
        throw new IllegalArgumentException("syncline.transport.sinks: unknown sink '" + s + "' (use jsonl, kafka or noop)");
      }
    }
    if (sinks.isEmpty()) {
      throw new IllegalArgumentException("syncline.transport.sinks is empty: name at least one of jsonl, kafka, noop");
    }
  }

  public static NodeSettings create(Config root) {
    Config c = root.getConfig("syncline");
    try {
      List<CaptureSource> sources = new ArrayList<>();
      Set<String> names = new HashSet<>();
      List<? extends Config> entries = c.getConfigList("sources");
      for (int i = 0; i < entries.size(); i++) {
        Config e = entries.get(i);
        String kind = e.hasPath("kind") ? e.getString("kind") : "";
        CaptureSource source = switch (kind) {
          case "postgres", "postgresql" -> new PgCaptureSource(
              PgSourceSettings.create(e, c.getConfig("source-defaults.postgres")));
          case "mariadb", "mysql" -> new MySqlCaptureSource(
              MySqlSourceSettings.create(e, c.getConfig("source-defaults.mysql")),
              new JdbcSchemaHistoryStore(JournalSettings.create(root))); // schema history beside the journal
          case "mongodb" -> new MongoCaptureSource(
              MongoSourceSettings.create(e, c.getConfig("source-defaults.mongodb")));
          default -> throw new IllegalArgumentException("syncline.sources[" + i + "].kind '" + kind
              + "' is not supported: use kind = postgres, mariadb (or mysql) or mongodb");
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
              r.getDuration("max-backoff"), 64, r.getDuration("idle-table-commit")),
          c.getBoolean("join-self"));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
    }
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
