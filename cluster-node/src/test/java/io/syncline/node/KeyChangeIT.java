package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Updates that change the primary key, captured by a node from PostgreSQL (which sends the old
 * key) and MariaDB (which sends the whole before image) at once: each must arrive as a delete of
 * the old key and a create of the new one, so that replaying the JSON-lines output by key gives
 * the table ({@link Delivered#replay} refuses an update whose key changed).
 */
class KeyChangeIT {

  private static final String DB = "keychange";
  private static final String[] KEY_CHANGES = {
    "UPDATE items SET id = 10 WHERE id = 1",                 // one row to a new key
    "UPDATE items SET id = id + 100 WHERE id IN (2, 3, 10)", // several rows in one statement
    "UPDATE items SET id = 20, v = 'moved and changed' WHERE id = 102",
    "INSERT INTO items VALUES (1, 'old key used again')",
    "UPDATE items SET v = 'same key' WHERE id = 103",
    "DELETE FROM items WHERE id = 110",
  };

  @TempDir
  Path dir;

  @Test
  void shouldDeliverAKeyChangeAsADeleteAndACreateSoTheReplayEqualsTheTable() throws Exception {
    PgServer pg = PgServer.shared();
    MariaDbServer maria = MariaDbServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "DROP TABLE IF EXISTS items", "CREATE TABLE items (id bigint PRIMARY KEY, v text NOT NULL)",
        "INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')");
    maria.createDatabase(DB);
    maria.execute(DB, "DROP TABLE IF EXISTS items", "CREATE TABLE items (id BIGINT PRIMARY KEY, v TEXT NOT NULL)",
        "INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')");
    Path out = dir.resolve("out");
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + out + "\"",
        "syncline.sources = [",
        "  { kind = postgres, name = keypg, host = localhost, port = " + pg.port() + ", database = " + DB
            + ", user = postgres, include-tables = [\"public.items\"] },",
        "  { kind = mariadb, name = keymaria, host = localhost, port = " + maria.port() + ", user = root,"
            + " include-tables = [\"" + DB + ".items\"] }",
        "]",
        "pekko.remote.artery.canonical.port = 0"));
    Path pgFile = out.resolve("keypg.public.items.jsonl");
    Path mariaFile = out.resolve("keymaria." + DB + ".items.jsonl");
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"))) {
      node.await(() -> Delivered.count(pgFile) >= 4 && Delivered.count(mariaFile) >= 4, "both snapshots",
          Duration.ofSeconds(120));
      pg.execute(DB, KEY_CHANGES);
      maria.execute(DB, KEY_CHANGES);

      Map<String, Map<String, String>> pgTable = Delivered.rows(pg.connect(DB), "SELECT id, v FROM items", "id");
      Map<String, Map<String, String>> mariaTable = Delivered.rows(maria.connect(DB), "SELECT id, v FROM items", "id");
      assertThat(pgTable.keySet()).containsExactlyInAnyOrder("1", "4", "20", "103");
      node.await(() -> Delivered.replay(pgFile, "id").equals(pgTable), "PostgreSQL's replay equal to its table",
          Duration.ofSeconds(60));
      node.await(() -> Delivered.replay(mariaFile, "id").equals(mariaTable), "MariaDB's replay equal to its table",
          Duration.ofSeconds(60));

      // the key change of id 1 -> 10: a delete of 1 (PostgreSQL: the old key; MariaDB: the whole row), then a create of 10
      for (Path file : List.of(pgFile, mariaFile)) {
        List<JsonNode> streamed = Delivered.envelopes(file).subList(4, Delivered.envelopes(file).size());
        assertThat(streamed.get(0).get("op").asText()).isEqualTo("d");
        assertThat(streamed.get(0).at("/before/id").asLong()).isEqualTo(1);
        assertThat(streamed.get(1).get("op").asText()).isEqualTo("c");
        assertThat(streamed.get(1).get("before").isNull()).isTrue();
        assertThat(streamed.get(1).at("/after/id").asLong()).isEqualTo(10);
        assertThat(streamed.get(1).at("/after/v").asText()).isEqualTo("a");
        assertThat(streamed.get(0).get("source")).as("both at the change's position").isEqualTo(streamed.get(1).get("source"));
        assertThat(streamed).as("no update that changes the key").noneMatch(e -> e.get("op").asText().equals("u")
            && !e.at("/before/id").isMissingNode() && !e.get("before").isNull()
            && !e.at("/before/id").equals(e.at("/after/id")));
      }
    } finally {
      pg.dropSlotWhenReleased(DB, "syncline_keypg", Duration.ofSeconds(30));
    }
  }
}
