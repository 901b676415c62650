package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.actors.table.TableEntity;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.Journal;
import io.syncline.node.testing.NodeProcess;
import io.syncline.streams.strategy.TableStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each table's strategy from {@code syncline.tables}, as a user sets it: a node with rules for two
 * of three tables, started twice; the journal it wrote holds one {@code StrategySet} per table whose
 * strategy differs from streaming (the second start persists nothing new), none for the table no
 * rule matches, and the log says what each table got. docs/strategies.md.
 */
class TableStrategiesIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String DB = "strategies";

  @TempDir
  Path dir;

  @Test
  void shouldRecordEachTablesConfiguredStrategyOnceInItsEntity() throws Exception {
    PgServer pg = PgServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "DROP TABLE IF EXISTS orders", "DROP TABLE IF EXISTS customers", "DROP TABLE IF EXISTS audit_1",
        "CREATE TABLE orders (id INT PRIMARY KEY)", "CREATE TABLE customers (id INT PRIMARY KEY)",
        "CREATE TABLE audit_1 (id INT PRIMARY KEY)", "INSERT INTO orders VALUES (1)");
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.sources = [{ kind = postgres, name = strat, host = localhost, port = " + pg.port() + ", database = "
            + DB + ", user = postgres, slot-name = strat_slot, publication-name = strat_pub,"
            + " include-tables = [\"public.*\"] }]",
        "syncline.tables = [",
        "  { match = \"strat.public.customers\", strategy = micro-batch, interval = 10s }",
        "  { match = \"strat.public.audit_*\", strategy = batch, schedule = \"*/5 * * * *\" }",
        "]",
        "pekko.remote.artery.canonical.port = 0"));
    Path orders = dir.resolve("out").resolve("strat.public.orders.jsonl");

    for (int run = 1; run <= 2; run++) {
      try (NodeProcess node = NodeProcess.start(config, dir.resolve("node" + run + ".log"))) {
        node.await(() -> Delivered.count(orders) == 1, "the seed row delivered", WAIT);
        node.awaitLog("every table's position is recorded", WAIT);
        if (run == 1) {
          assertThat(node.logText()).contains("table strat/public.customers: strategy micro-batch every PT10S (was"
              + " streaming)");
        }
        assertThat(node.stop(WAIT)).isZero();
      }
    }

    assertThat(strategiesSet(config, "strat/public.customers"))
        .containsExactly(TableStrategy.microBatch(Duration.ofSeconds(10)));
    assertThat(strategiesSet(config, "strat/public.audit_1")).containsExactly(TableStrategy.batch("*/5 * * * *"));
    assertThat(strategiesSet(config, "strat/public.orders")).as("no rule: streaming, nothing persisted").isEmpty();
  }

  private static List<TableStrategy> strategiesSet(Path config, String entityId) throws Exception {
    return Journal.tableEvents(config, entityId).stream()
        .filter(e -> e instanceof TableEntity.StrategySet)
        .map(e -> ((TableEntity.StrategySet) e).strategy())
        .toList();
  }
}
