package io.syncline.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.node.consume.ConsumeSettings;
import io.syncline.node.consume.CsvConsumers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code syncline} command.
 *
 * <pre>
 * syncline run  [--config FILE]
 * syncline demo [--source postgres|mariadb|mongodb|all] [--duration 30s] [--out DIR] [--kafka]
 * syncline consume --topic T --group G --out DIR [--bootstrap-servers H:P] [--consumers N]
 *                  [--from earliest|latest] [--config FILE]
 * syncline snapshot --config FILE --source NAME --table T[,T2] [--from K] [--to K] [--stop]
 * </pre>
 */
public final class Main {

  private Main() {}

  /**
   * Runs a command; exits with its status: 0 done (or stopped by SIGTERM / Ctrl-C), 1 the node could
   * not start or stopped on a fatal error, 2 bad command line or configuration. Errors are one line
   * each on stderr, naming the fix, without a stack trace.
   */
  public static void main(String[] args) {
    // logging set up before any other thread logs (else SLF4J reports replaying their early calls)
    org.slf4j.LoggerFactory.getILoggerFactory();
    int code;
    try {
      code = run(Arrays.asList(args));
    } catch (IllegalArgumentException e) {
      printError(e.getMessage());
      code = 2;
    } catch (StartFailure e) {
      printError(e.getMessage());
      code = 1;
    }
    System.exit(code);
  }

  private static void printError(String message) {
    for (String line : String.valueOf(message).split("\n")) {
      System.err.println("syncline: " + line);
    }
  }

  static int run(List<String> args) {
    if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
      usage();
      return args.isEmpty() ? 2 : 0;
    }
    String command = args.get(0);
    Args a = new Args(args.subList(1, args.size()));
    return switch (command) {
      case "run" -> runNode(a);
      case "demo" -> Demo.run(new Demo.Options(
          a.value("--source", "postgres"),
          parseDuration(a.value("--duration", "30s")),
          Path.of(a.value("--out", "syncline-demo-out")),
          a.flag("--kafka")));
      case "consume" -> consume(a);
      case "snapshot" -> snapshot(a);
      default -> throw new IllegalArgumentException("unknown command '" + command
          + "' (use run, demo, consume or snapshot; --help)");
    };
  }

  private static int runNode(Args a) {
    SynclineNode node = SynclineNode.start(loadConfig(a));
    node.stopOnSignals();
    return node.awaitExitStatus();
  }

  /** Kafka consumers writing CSV files until SIGTERM / Ctrl-C (docs/consumers.md). */
  private static int consume(Args a) {
    Map<String, Object> flags = new LinkedHashMap<>();
    String[][] keys = {
      {"--topic", "topic"}, {"--group", "group"}, {"--out", "out"}, {"--bootstrap-servers", "bootstrap-servers"},
      {"--consumers", "consumers"}, {"--from", "from"}, {"--max-poll-records", "max-poll-records"}};
    for (String[] k : keys) {
      String v = a.value(k[0], null);
      if (v != null) {
        flags.put(ConsumeSettings.CONFIG_PATH + "." + k[1], v);
      }
    }
    ConsumeSettings settings;
    try {
      settings = ConsumeSettings.create(ConfigFactory.parseMap(flags).withFallback(loadConfig(a)).resolve());
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    CsvConsumers consumers = CsvConsumers.start(settings);
    Thread hook = new Thread(() -> {
      try {
        consumers.close(); // commit what was flushed
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "syncline-consume-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    System.out.println("consuming topic " + settings.topic() + " as group " + settings.group() + " into "
        + String.join(", ", consumers.directories().stream().map(Path::toString).toList()));
    long last = 0;
    long lastNanos = System.nanoTime();
    try {
      while (!consumers.await(Duration.ofSeconds(10))) {
        long now = consumers.records();
        long nanos = System.nanoTime();
        System.out.printf("records=%d inserts=%d deletes=%d records_per_s=%d%n", now, consumers.insertRows(),
            consumers.deleteRows(), (now - last) * 1_000_000_000L / Math.max(1, nanos - lastNanos));
        last = now;
        lastNanos = nanos;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.out.printf("records=%d inserts=%d deletes=%d%n", consumers.records(), consumers.insertRows(),
        consumers.deleteRows());
    if (consumers.failure() != null) {
      System.err.println("syncline consume: " + consumers.failure().getMessage());
      return 1;
    }
    return 0;
  }

  /** Asks the running node for an incremental snapshot (docs/incremental-snapshots.md). */
  private static int snapshot(Args a) {
    SnapshotCommand.Request request = SnapshotCommand.Request.parse(a.value("--source", null), a.value("--table", null),
        a.value("--from", null), a.value("--to", null), a.flag("--stop"));
    String id = SnapshotCommand.run(loadConfig(a), request);
    System.out.println((request.stop() ? "stop-snapshot" : "execute-snapshot") + " signal " + id + " written for source "
        + request.source() + (request.tables().isEmpty() ? "" : ": " + String.join(", ", request.tables()))
        + (request.range().isAll() ? "" : " keys " + (request.range().from() == null ? "" : request.range().from())
            + ".." + (request.range().to() == null ? "" : request.range().to())));
    return 0;
  }

  /** The configuration file over the defaults; a file that cannot be read is one line: file, line, problem. */
  private static Config loadConfig(Args a) {
    String file = a.value("--config", null);
    try {
      if (file != null) {
        Path p = Path.of(file);
        if (!Files.isReadable(p) || Files.isDirectory(p)) {
          throw new IllegalArgumentException("--config " + file + ": no such readable file");
        }
        return ConfigFactory.load(ConfigFactory.parseFile(p.toFile(),
            com.typesafe.config.ConfigParseOptions.defaults().setAllowMissing(false)));
      }
      if (System.getProperty("config.file") != null || System.getProperty("config.resource") != null
          || System.getProperty("config.url") != null) {
        return ConfigFactory.load(); // the JVM options name the configuration
      }
      // no configuration given: the defaults (reference.conf) and -D overrides only. Not the
      // application.conf resources on the class path: none is ours, and libraries ship their own
      // (ElasticMQ's, for the embedded demo, sets pekko.loglevel = DEBUG and Pekko HTTP limits)
      return ConfigFactory.load(ConfigFactory.empty());
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException("cannot read the configuration: " + ConfigCheck.describe(e), e);
    }
  }

  static Duration parseDuration(String text) {
    try {
      return ConfigFactory.parseString("d = " + text).getDuration("d");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--duration '" + text + "' is not a duration (e.g. 30s, 2m)");
    }
  }

  private static void usage() {
    System.out.println(String.join("\n",
        "usage:",
        "  syncline run  [--config FILE]      start a node (HOCON config; see conf/application.conf)",
        "  syncline demo [--source postgres|mariadb|mongodb|all] [--duration 30s] [--out DIR] [--kafka]",
        "                                     embedded database(s) + write load, captured by one node",
        "    --source postgres|mariadb|mongodb|all  which embedded database to start and capture (default postgres;",
        "                                     mongodb: the mongo-java-server imitation; all: PostgreSQL and MariaDB at once)",
        "    --duration 30s                   how long the write load runs",
        "    --out DIR                        one <source>.<schema>.<table>.jsonl per table (default ./syncline-demo-out)",
        "    --kafka                          also deliver into an embedded Kafka broker",
        "  syncline consume --topic T --group G --out DIR [--bootstrap-servers H:P] [--consumers 1]",
        "                   [--from earliest|latest] [--max-poll-records 5000] [--config FILE]",
        "                                     Kafka consumers writing inserts.csv and deletes.csv per consumer into",
        "                                     DIR/<group>/<topic>/consumer-<i>/ (an update: a delete and an insert);",
        "                                     offsets committed after the rows are on disk; stop with Ctrl-C / SIGTERM",
        "    --bootstrap-servers H:P          brokers (default: syncline.transport.kafka.bootstrap-servers)",
        "    --consumers N                    consumers in this process, all in group G (they share the partitions)",
        "    --from earliest|latest           where a group without committed offsets starts (default earliest)",
        "  syncline snapshot --config FILE --source NAME --table T[,T2] [--from K] [--to K] [--stop]",
        "                                     incremental snapshot while the node streams: writes an execute-snapshot",
        "                                     signal into the source's signal-table; the node reads the tables in",
        "                                     chunks (docs/incremental-snapshots.md)",
        "    --from K --to K                  only keys K..K (inclusive; single-column keys)",
        "    --stop                           stop the incremental snapshot of the tables (all queued: no --table)"));
  }

  /** Minimal flag parsing: {@code --name value} and {@code --flag}. */
  private record Args(List<String> args) {
    String value(String name, String fallback) {
      int i = args.indexOf(name);
      if (i < 0) {
        return fallback;
      }
      if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
        throw new IllegalArgumentException(name + " needs a value");
      }
      return args.get(i + 1);
    }

    boolean flag(String name) {
      return args.contains(name);
    }
  }
}
