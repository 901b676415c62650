package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM is a clean stop, tried as a user would: a node streaming PostgreSQL into JSON lines under a
 * write load is stopped with SIGTERM; it exits 0 within seconds with no error or stack trace in its
 * log (in-flight batches delivered and recorded, the journal closed last); started again it delivers
 * everything written meanwhile, and what was delivered before the stop is not delivered again.
 * The same run checks the periodic progress line a running node logs per source.
 */
class CleanStopIT {

  private static final String DB = "cleanstop";
  private static final Duration STOP_BOUND = Duration.ofSeconds(15);

  @TempDir
  Path dir;

  @Test
  void shouldStopCleanlyOnSigtermAndResumeWithoutLossOrDuplicates() throws Exception {
    PgServer pg = PgServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "DROP TABLE IF EXISTS items", "CREATE TABLE items (id bigint PRIMARY KEY, v int NOT NULL)",
        "INSERT INTO items SELECT g, 0 FROM generate_series(1, 500) g");
    Path out = dir.resolve("out");
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.jsonl.directory = \"" + out + "\"",
        "syncline.reader.log-interval = 1s",
        "syncline.sources = [{ kind = postgres, name = stop, host = localhost, port = " + pg.port() + ", database = "
            + DB + ", user = postgres, include-tables = [\"public.items\"], max-batch-size = 200 }]",
        "pekko.remote.artery.canonical.port = 0"));
    Path file = out.resolve("stop.public.items.jsonl");

    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong nextId = new AtomicLong(501);
    CompletableFuture<Void> writer;
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node1.log"))) {
      node.await(() -> Delivered.count(file) >= 500, "the 500 snapshot rows delivered", Duration.ofSeconds(60));
      writer = CompletableFuture.runAsync(() -> write(pg, writing, nextId));
      node.await(() -> Delivered.count(file) >= 3000, "3000 changes delivered", Duration.ofSeconds(60));
      long t0 = System.nanoTime();
      int status = node.stop(STOP_BOUND); // under write load
      long stopMillis = (System.nanoTime() - t0) / 1_000_000;
      System.out.println("SIGTERM to exit: " + stopMillis + " ms, status " + status);
      assertThat(status).as("exit status after SIGTERM (log: node1.log)\n" + node.tail(40)).isZero();
      assertNoErrorIn(node);
      // the periodic line while streaming: events, rate, lag and position of the source, at INFO
      assertThat(node.logText().lines().filter(l -> l.contains(" INFO ") && l.contains("source 'stop':")
          && l.contains("events") && l.contains("/s") && l.contains("lag") && l.contains("position")
          && !l.contains("none acknowledged")))
          .as("progress lines of source 'stop' (one a second)").isNotEmpty();
    }
    long deliveredBeforeRestart = Delivered.count(file);
    // more changes while the node is down
    long idAtStop = nextId.get();
    while (nextId.get() < idAtStop + 500) {
      LockSupport.parkNanos(10_000_000L);
    }
    writing.set(false);
    writer.get(60, TimeUnit.SECONDS);

    Map<String, Map<String, String>> table = Delivered.rows(pg.connect(DB), "SELECT id, v FROM items", "id");
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node2.log"))) {
      node.await(() -> Delivered.replay(file, "id").equals(table), "replay of the delivered changes equal to the table",
          Duration.ofSeconds(60));
      assertThat(node.stop(STOP_BOUND)).as("exit status of the restarted node after SIGTERM").isZero();
      assertNoErrorIn(node);
    }
    List<JsonNode> all = Delivered.envelopes(file);
    Map<String, Integer> seen = new HashMap<>();
    long duplicates = 0;
    for (JsonNode e : all) {
      // one change: its WAL position, operation and key (a snapshot row: its key)
      String id = e.path("source").path("lsn").asText() + "/" + e.path("op").asText() + "/"
          + (e.path("op").asText().equals("d") ? e.at("/before/id") : e.at("/after/id")).asText();
      if (seen.merge(id, 1, Integer::sum) > 1) {
        duplicates++;
      }
    }
    System.out.println("delivered " + all.size() + " (" + deliveredBeforeRestart + " before the restart), duplicates "
        + duplicates);
    assertThat(duplicates).as("changes delivered twice across a clean stop").isZero();
  }

  private static void assertNoErrorIn(NodeProcess node) {
    List<String> bad = node.logText().lines()
        .filter(l -> l.contains(" ERROR ") || l.contains("Exception") || l.startsWith("\tat ")).limit(20).toList();
    assertThat(bad).as("errors or stack traces in " + node.log().getFileName()).isEmpty();
  }

  /** Transactions of 20 inserts and 20 updates, until told to stop. */
  private static void write(PgServer pg, AtomicBoolean writing, AtomicLong nextId) {
    try (Connection c = pg.connect(DB); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      while (writing.get()) {
        for (int i = 0; i < 20; i++) {
          long id = nextId.getAndIncrement();
          s.executeUpdate("INSERT INTO items VALUES (" + id + ", 0)");
          s.executeUpdate("UPDATE items SET v = v + 1 WHERE id = " + (id - 400));
        }
        c.commit();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
