package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.actors.table.TableEntity;
import io.syncline.embedded.MariaDbServer;
import io.syncline.persistence.BinlogPosition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table without changes keeps its recorded position up with the source: a restart must not go
 * back to its last change, which on MySQL/MariaDB may be in a binlog purged since.
 */
class IdleTablePositionIT {

  @TempDir
  Path dir;

  @Test
  void shouldCommitTheAcknowledgedPositionForATableThatStaysIdle() throws Exception {
    MariaDbServer maria = MariaDbServer.shared();
    maria.createDatabase("idlepos");
    maria.execute("idlepos", "DROP TABLE IF EXISTS busy", "DROP TABLE IF EXISTS quiet",
        "CREATE TABLE busy (id INT PRIMARY KEY)", "CREATE TABLE quiet (id INT PRIMARY KEY)");
    Config config = ConfigFactory.load(ConfigFactory.parseString(String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.reader.idle-table-commit = 1s",
        "syncline.sources = [",
        "  { kind = mariadb, name = idl, port = " + maria.port() + ", user = root,"
            + " include-tables = [\"idlepos.busy\", \"idlepos.quiet\"], snapshot-mode = never }",
        "]",
        "pekko.remote.artery.canonical.port = 0")));
    try (SynclineNode node = SynclineNode.start(config)) {
      maria.awaitBinlogReaders(1, Duration.ofSeconds(60));
      maria.execute("idlepos", "INSERT INTO quiet VALUES (1)");
      BinlogPosition quietChange = awaitCommitted(node, "idl/idlepos.quiet", null);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      BinlogPosition busyNow = null;
      BinlogPosition quietNow = quietChange;
      int id = 0;
      // only the busy table changes; after a second or so the quiet one records the source's position
      while (System.nanoTime() < deadline && (busyNow == null || !quietNow.isAfter(quietChange))) {
        maria.execute("idlepos", "INSERT INTO busy VALUES (" + (++id) + ")");
        LockSupport.parkNanos(200_000_000L);
        busyNow = awaitCommitted(node, "idl/idlepos.busy", null);
        quietNow = awaitCommitted(node, "idl/idlepos.quiet", null);
      }
      assertThat(quietNow.isAfter(quietChange)).as("quiet table's position moved past its last change").isTrue();
      assertThat(node.metrics("idl").counts().inserts()).isEqualTo(id + 1);
      TableEntity.State quiet = state(node, "idl/idlepos.quiet");
      assertThat(quiet.counters().inserts()).as("the idle commits count no changes").isEqualTo(1);
    }
  }

  private static TableEntity.State state(SynclineNode node, String entityId) throws Exception {
    return ClusterSharding.get(node.system()).entityRefFor(TableEntity.ENTITY_KEY, entityId)
        .<TableEntity.State>ask(TableEntity.GetState::new, Duration.ofSeconds(10)).toCompletableFuture().get();
  }

  /** Waits until the entity has a committed position (after {@code after} when given), returns it. */
  private static BinlogPosition awaitCommitted(SynclineNode node, String entityId, BinlogPosition after) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      TableEntity.State s = state(node, entityId);
      if (s.committed() instanceof BinlogPosition b && (after == null || b.isAfter(after))) {
        return b;
      }
      LockSupport.parkNanos(50_000_000L);
    }
    throw new AssertionError(entityId + " committed nothing within 30 s");
  }

}
