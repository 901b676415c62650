package io.syncline.streams.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.syncline.streams.event.TableRef;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TableStrategiesTest {

  private static TableStrategies read(String hocon) {
    return TableStrategies.create(ConfigFactory.parseString(hocon));
  }

  private static TableRef pg(String source, String table) {
    return new TableRef("postgresql", source, "db", "public", table);
  }

  @Test
  void theFirstMatchingRuleDecidesAndUnmatchedTablesStream() {
    TableStrategies s = read("""
        syncline.tables = [
          { match = "shop.public.orders",    strategy = streaming }
          { match = "shop.public.customers", strategy = micro-batch, interval = 5m }
          { match = "shop.public.audit_*",   strategy = batch, schedule = "0 * * * *" }
          { match = "shop.public.*",         strategy = micro-batch }
        ]
        """);
    assertThat(s.strategyOf(pg("shop", "orders"))).isEqualTo(TableStrategy.STREAMING);
    assertThat(s.strategyOf(pg("shop", "customers"))).isEqualTo(TableStrategy.microBatch(Duration.ofMinutes(5)));
    assertThat(s.strategyOf(pg("shop", "audit_2026"))).isEqualTo(TableStrategy.batch("0 * * * *"));
    assertThat(s.strategyOf(pg("shop", "items")).kind()).isEqualTo(TableStrategy.Kind.MICRO_BATCH);
    assertThat(s.strategyOf(pg("shop", "items")).interval()).isEqualTo(TableStrategy.DEFAULT_INTERVAL);
    assertThat(s.strategyOf(pg("other", "orders"))).isEqualTo(TableStrategy.STREAMING);
    assertThat(TableStrategies.create(ConfigFactory.empty()).strategyOf(pg("shop", "orders")))
        .isEqualTo(TableStrategy.STREAMING);
  }

  @Test
  void badEntriesNameTheEntryAndTheFix() {
    assertThatThrownBy(() -> read("syncline.tables = [{ match = \"a.b.c\", strategy = stream }]"))
        .hasMessageContaining("syncline.tables[0] (match = \"a.b.c\")")
        .hasMessageContaining("not one of streaming, micro-batch, batch");
    assertThatThrownBy(() -> read("syncline.tables = [{ match = \"a.b.c\", strategy = batch }]"))
        .hasMessageContaining("needs a cron schedule");
    assertThatThrownBy(() -> read("syncline.tables = [{ match = \"a.b.c\", strategy = batch, schedule = \"0 *\" }]"))
        .hasMessageContaining("syncline.tables[0]").hasMessageContaining("has 2 fields");
    assertThatThrownBy(() -> read("syncline.tables = [{ match = \"a.b.c\", strategy = streaming, interval = 5m }]"))
        .hasMessageContaining("'interval' does not apply to strategy = streaming");
    assertThatThrownBy(() -> read("syncline.tables = [{ match = \"a.b.c\", strategy = micro-batch, intervall = 5m }]"))
        .hasMessageContaining("unknown key 'intervall'");
    assertThatThrownBy(() -> read("syncline.tables = [{ strategy = streaming }]"))
        .hasMessageContaining("'match' is missing");
    assertThatThrownBy(() -> read("syncline.tables = [{ match = \"orders\", strategy = streaming }]"))
        .hasMessageContaining("match = \"shop.public.orders\"");
    assertThatThrownBy(() -> read("syncline.tables = [{ match = \"a.b.c\", strategy = micro-batch, interval = 0s }]"))
        .hasMessageContaining("interval must be positive");
  }
}
