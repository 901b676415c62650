package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL source's faults as a user meets them: a node process ({@code syncline run}) against
 * the real server, each case ending with "replay of what was delivered equals the table", or with the
 * one clear error the user must act on.
 */
class PgSourceFaultsIT {

  private static final String DB = "pgfaults";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static PgServer pg;

  @TempDir
  Path dir;

  @BeforeAll
  static void server() {
    pg = PgServer.shared();
    pg.createDatabase(DB);
  }

  /** A node configuration with one PostgreSQL source {@code name} (slot and publication named after it). */
  private Path config(String name, String sourceKeys) throws Exception {
    Path config = dir.resolve(name + ".conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.sources = [{ kind = postgres, name = " + name + ", host = localhost, port = " + pg.port()
            + ", database = " + DB + ", user = postgres, slot-name = " + name + "_slot, publication-name = " + name
            + "_pub, " + sourceKeys + " }]",
        "pekko.remote.artery.canonical.port = 0"));
    return config;
  }

  private Path out(String source, String table) {
    return dir.resolve("out").resolve(source + ".public." + table + ".jsonl");
  }

  private static Map<String, Map<String, String>> table(String query) throws Exception {
    return Delivered.rows(pg.connect(DB), query, "id");
  }

  /** Waits until replaying {@code file} gives exactly the rows of {@code query}. */
  private static void awaitReplayEqualsTable(NodeProcess node, Path file, String query) throws Exception {
    Map<String, Map<String, String>> expected = table(query);
    node.await(() -> Delivered.replay(file, "id").equals(expected), "replay of " + file.getFileName()
        + " equal to the table", WAIT);
  }

  // ------------------------------------------------------------------ item 8a: publication flags

  @Test
  void shouldRefuseAPublicationThatDoesNotPublishUpdatesAndDeletes() throws Exception {
    pg.execute(DB, "DROP TABLE IF EXISTS ins_only", "CREATE TABLE ins_only (id int PRIMARY KEY, v int)",
        "DROP PUBLICATION IF EXISTS insonly_pub",
        "CREATE PUBLICATION insonly_pub FOR TABLE ins_only WITH (publish = 'insert')");
    Path config = config("insonly", "include-tables = [\"public.ins_only\"], create-publication = false");
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("insonly.log"))) {
      node.awaitLog("publication 'insonly_pub' does not publish update, delete, truncate", Duration.ofSeconds(30));
      assertThat(node.logText())
          .contains("ALTER PUBLICATION \"insonly_pub\" SET (publish = 'insert, update, delete, truncate')")
          .doesNotContain("capturing 1 tables");
    } finally {
      pg.dropSlotWhenReleased(DB, "insonly_slot", WAIT); // created only before the check existed
    }
  }
}
