package io.syncline.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code syncline} command.
 *
 * <pre>
 * syncline run  [--config FILE]
 * syncline demo [--source postgres|mariadb|mongodb|all] [--duration 30s] [--out DIR] [--kafka]
 * </pre>
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    int code;
    try {
      code = run(Arrays.asList(args));
    } catch (IllegalArgumentException e) {
      System.err.println("syncline: " + e.getMessage());
      code = 2;
    }
    System.exit(code);
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
      default -> throw new IllegalArgumentException("unknown command '" + command + "' (use run or demo; --help)");
    };
  }

  private static int runNode(Args a) {
    String file = a.value("--config", null);
    Config config;
    if (file != null) {
      Path p = Path.of(file);
      if (!Files.isReadable(p)) {
        throw new IllegalArgumentException("--config " + file + ": no such readable file");
      }
      config = ConfigFactory.load(ConfigFactory.parseFile(p.toFile()));
    } else {
      config = ConfigFactory.load();
    }
    SynclineNode node = SynclineNode.start(config);
    node.system().getWhenTerminated().toCompletableFuture().join();
    return 0;
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
        "    --kafka                          also deliver into an embedded Kafka broker"));
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
