package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk under the JSON-lines output fails a write, for real: the node's file-size limit
 * ({@code RLIMIT_FSIZE}, set on the running node with {@code prlimit}) is lowered just above the
 * output's size, so the next batch's write puts part of a line into the file and then fails with
 * EFBIG, exactly as a full disk does (ENOSPC). The capture stream fails and restarts while the disk
 * stays full; then the limit is lifted. Every line of the output must be whole JSON and its replay
 * must equal the table.
 */
class JsonLinesDiskFaultIT {

  private static final String DB = "diskfault";
  private static final int SEED_ROWS = 2000;
  private static final int UPDATES = 300;

  @TempDir
  Path dir;

  @Test
  void shouldLeaveNoFragmentAfterAFailedWriteAndDeliverEverythingOnceTheDiskHasRoomAgain() throws Exception {
    PgServer pg = PgServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "DROP TABLE IF EXISTS items",
        "CREATE TABLE items (id bigint PRIMARY KEY, v text NOT NULL)",
        "INSERT INTO items SELECT g, repeat('x', 1000) FROM generate_series(1, " + SEED_ROWS + ") g");
    Path out = dir.resolve("out");
    Path state = dir.resolve("state");
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + state + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + out + "\"",
        "syncline.reader.min-backoff = 200ms",
        "syncline.reader.max-backoff = 1s",
        "syncline.sources = [{ kind = postgres, name = diskfault, host = localhost, port = " + pg.port()
            + ", database = " + DB + ", user = postgres, include-tables = [\"public.items\"], max-batch-size = 50 }]",
        "pekko.remote.artery.canonical.port = 0"));
    Path file = out.resolve("diskfault.public.items.jsonl");
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"))) {
      node.await(() -> Delivered.count(file) >= SEED_ROWS, SEED_ROWS + " snapshot rows", Duration.ofSeconds(90));
      node.awaitLog("streaming from slot", Duration.ofSeconds(30));
      long output = Files.size(file);
      assertThat(largestFile(state)).as("the journal stays below the limit set just above the output").isLessThan(output);

      // room for a few lines more, then the disk is "full"
      node.limitFileSize(Long.toString(output + 5_000));
      for (int i = 1; i <= UPDATES; i++) {
        pg.execute(DB, "UPDATE items SET v = repeat('y', 1000) || " + i + " WHERE id = " + i);
      }
      node.awaitLog("File too large", Duration.ofSeconds(60));
      // the stream fails and restarts at least once more against the full disk
      node.await(() -> occurrences(node.logText(), "File too large") >= 2, "a second failed write",
          Duration.ofSeconds(30));

      node.limitFileSize("unlimited");
      Map<String, Map<String, String>> expected = Delivered.rows(pg.connect(DB), "SELECT id, v FROM items", "id");
      node.await(() -> Delivered.replay(file, "id").equals(expected), "the replay of the output equal to the table",
          Duration.ofSeconds(90));
      assertThat(Files.readString(file)).endsWith("\n");
    } finally {
      pg.dropSlotWhenReleased(DB, "syncline_diskfault", Duration.ofSeconds(30));
    }
  }

  /** An output path that exists as a file: the node says which setting is wrong and how to fix it. */
  @Test
  void shouldRefuseAnOutputDirectoryThatIsAFileNamingTheSettingAndTheFix() throws Exception {
    PgServer pg = PgServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "CREATE TABLE IF NOT EXISTS items (id bigint PRIMARY KEY, v text NOT NULL)");
    Path out = Files.writeString(dir.resolve("out"), "not a directory");
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + out + "\"",
        "syncline.sources = [{ kind = postgres, name = outfile, host = localhost, port = " + pg.port()
            + ", database = " + DB + ", user = postgres, include-tables = [\"public.items\"] }]",
        "pekko.remote.artery.canonical.port = 0"));
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"))) {
      node.await(() -> node.logText().contains("'syncline.transport.jsonl.directory' is " + out
              + ", which exists but is a file, not a directory. Fix: set syncline.transport.jsonl.directory to a"
              + " directory (it is created if missing), or move the file away") || !node.isAlive(),
          "the reason in the log", Duration.ofSeconds(60));
      assertThat(node.logText()).contains("'syncline.transport.jsonl.directory' is " + out
          + ", which exists but is a file, not a directory. Fix:");
    }
  }

  private static long largestFile(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).max().orElse(0);
    }
  }

  private static int occurrences(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
      n++;
    }
    return n;
  }
}
