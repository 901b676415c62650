package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.actors.snapshot.IncrementalSnapshotEntity;
import io.syncline.embedded.PgServer;
import io.syncline.persistence.IncrementalSnapshotState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code syncline snapshot} against a running node: the signal is written, the node reads the table
 * in chunks while streaming, records its progress in the journal, and after a restart continues
 * from the recorded key rather than from the start.
 */
class IncrementalSnapshotNodeIT {

  private static final String DB = "incnode";
  private static final int ROWS = 200_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void shouldSnapshotOnCommandAndContinueFromTheRecordedKeyAfterARestart() throws Exception {
    PgServer pg = PgServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "DROP TABLE IF EXISTS big", "DROP TABLE IF EXISTS syncline_signals",
        "CREATE TABLE syncline_signals (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)",
        "CREATE TABLE big (id int PRIMARY KEY, v text)",
        "INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, " + ROWS + ") g");
    Path conf = dir.resolve("node.conf");
    Files.writeString(conf, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.sources = [{ kind = postgres, name = incn, host = localhost, port = " + pg.port()
            + ", database = " + DB + ", user = postgres, include-tables = [\"public.*\"], snapshot-mode = never,"
            + " signal-table = \"public.syncline_signals\" }]",
        "pekko.remote.artery.canonical.port = 0"));
    Config config = ConfigFactory.load(ConfigFactory.parseFile(conf.toFile()));

    IncrementalSnapshotState stoppedAt;
    try (SynclineNode node = SynclineNode.start(config)) {
      await(() -> slotActive(pg, "syncline_incn"), "the node streaming");
      assertThatThrownBy(() -> Main.run(List.of("snapshot", "--config", conf.toString(), "--source", "nope",
          "--table", "public.big"))).hasMessageContaining("no source named 'nope'");
      assertThatThrownBy(() -> Main.run(List.of("snapshot", "--config", conf.toString(), "--source", "incn",
          "--table", "public.syncline_signals"))).hasMessageContaining("does not capture table 'public.syncline_signals'");
      assertThat(Main.run(List.of("snapshot", "--config", conf.toString(), "--source", "incn", "--table", "public.big")))
          .isZero();
      // stop the node in the middle of the table, once some progress is recorded in the journal
      await(() -> {
        IncrementalSnapshotState s = state(node);
        return s != null && s.current() != null && s.current().rows() >= 5_000;
      }, "progress recorded");
      stoppedAt = state(node);
    }
    assertThat(stoppedAt.current().rows()).isLessThan(ROWS);
    int recordedKey = Integer.parseInt(stoppedAt.current().lastKey().get(0));
    Set<Integer> readBefore = readKeys();

    try (SynclineNode node = SynclineNode.start(config)) {
      await(() -> {
        IncrementalSnapshotState s = state(node);
        return s != null && s.isEmpty() && !s.finishedSignals().isEmpty();
      }, "the snapshot finished after the restart");
      long readAfter = node.metrics("incn").counts().reads();
      assertThat(readAfter).as("rows read after the restart: only those after the recorded key")
          .isPositive().isLessThanOrEqualTo(ROWS - recordedKey);
      assertThat(node.metrics("incn").counts().total()).isEqualTo(readAfter);
    }
    Set<Integer> all = readKeys();
    assertThat(all).as("every row read, across both runs").hasSize(ROWS);
    assertThat(readBefore).as("the first run read the table up to at least the recorded key")
        .contains(1, recordedKey);
  }

  private Set<Integer> readKeys() throws Exception {
    Set<Integer> keys = new HashSet<>();
    Path file = dir.resolve("out").resolve("incn.public.big.jsonl");
    for (String line : Files.readAllLines(file)) {
      JsonNode v = JSON.readTree(line);
      if (v.get("op").asText().equals("r")) {
        keys.add(v.at("/after/id").asInt());
      }
    }
    assertThat(Files.list(dir.resolve("out")).map(p -> p.getFileName().toString()))
        .as("signal-table events never reach the sink").noneMatch(n -> n.contains("syncline_signals"));
    return keys;
  }

  /** The recorded state; null while the node is still starting its sharding. */
  private static IncrementalSnapshotState state(SynclineNode node) {
    try {
      return ClusterSharding.get(node.system()).entityRefFor(IncrementalSnapshotEntity.ENTITY_KEY, "incn")
          .<IncrementalSnapshotState>ask(IncrementalSnapshotEntity.GetState::new, Duration.ofSeconds(10))
          .toCompletableFuture().join();
    } catch (IllegalStateException e) {
      return null; // "Shard type ... must be started first": the guardian has not initialised it yet
    }
  }

  private static boolean slotActive(PgServer pg, String slot) {
    try (Connection c = pg.connect(DB);
        PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      LockSupport.parkNanos(20_000_000L);
    }
  }
}
