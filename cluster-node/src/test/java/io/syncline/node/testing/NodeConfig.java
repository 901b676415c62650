package io.syncline.node.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The config file of a node under test: state under {@code <dir>/state}, the JSON-lines sink into
 * {@code <dir>/out}, a free Pekko port, a quick restart backoff (0.5 s to 5 s, so a test waits
 * seconds for recovery, not the default 30 s), the given sources, then any further lines (HOCON: a
 * later key overrides an earlier one, so they may replace the defaults here).
 */
public final class NodeConfig {

  private NodeConfig() {}

  /** Writes {@code <dir>/node.conf} and returns its path. */
  public static Path write(Path dir, List<String> sources, String... lines) throws IOException {
    List<String> all = new ArrayList<>(List.of(
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.reader.min-backoff = 500ms",
        "syncline.reader.max-backoff = 5s",
        "pekko.remote.artery.canonical.port = 0",
        "syncline.sources = [" + String.join(",\n  ", sources) + "]"));
    all.addAll(List.of(lines));
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n", all) + "\n");
    return config;
  }

  /** The JSON-lines file of a table: {@code <dir>/out/<source>.<schema>.<table>.jsonl}. */
  public static Path output(Path dir, String source, String schemaTable) {
    return dir.resolve("out").resolve(source + "." + schemaTable + ".jsonl");
  }
}
