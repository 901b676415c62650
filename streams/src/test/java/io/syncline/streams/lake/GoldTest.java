package io.syncline.streams.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.syncline.streams.envelope.EnvelopeEncoder;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.TableRef;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gold aggregates from config, refreshed after silver commits; read back through Kernel's scan. */
class GoldTest {

  static final TableRef SALES = new TableRef("postgresql", "shop", "shop", "public", "sales");
  static final TableShape SHAPE = new TableShape(SALES, List.of(new LakeColumn("id", LakeType.INT64),
      new LakeColumn("status", LakeType.TEXT), new LakeColumn("amount", new LakeType.Decimal(2)),
      new LakeColumn("qty", LakeType.INT64)), List.of("id"));

  @TempDir Path dir;

  static final String GOLD = """
      syncline.lake.gold = [
        { name = "sales_by_status", from = "shop.public.sales", group-by = ["status"],
          aggregates = [ { fn = count, as = "sales" }, { fn = sum, column = "amount", as = "total" },
                         { fn = min, column = "qty", as = "min_qty" }, { fn = max, column = "qty", as = "max_qty" } ] }
        { name = "sales_total", from = "shop.public.sales", aggregates = [ { fn = count, as = "rows" } ] }
        { name = "bad_sum", from = "shop.public.sales", aggregates = [ { fn = sum, column = "status", as = "s" } ] }
      ]
      """;

  record Sale(String status, BigDecimal amount, long qty) {}

  @Test
  void shouldEqualAGroupByOfTheSilverRowsAfterEveryCommit() throws Exception {
    List<GoldSettings> gold = GoldSettings.list(ConfigFactory.parseString(GOLD).getConfig("syncline.lake"));
    LakeWriter writer = new LakeWriter(new LakeSettings(dir, Duration.ofMillis(200)).withGold(gold));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    Map<Long, Sale> reference = new HashMap<>();
    Random r = new Random(17);
    long offset = 10;
    for (int commit = 0; commit < 5; commit++) {
      List<LakeRecord> batch = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        long id = r.nextInt(60);
        Sale s = new Sale(List.of("new", "paid", "shipped").get(r.nextInt(3)),
            new BigDecimal(r.nextInt(100_000)).movePointLeft(2), r.nextInt(50) - 10);
        Op op = !reference.containsKey(id) ? Op.CREATE : r.nextInt(5) == 0 ? Op.DELETE : Op.UPDATE;
        batch.add(SilverLayoutTest.change(enc, SHAPE, op, offset++, id, s.status(), s.amount().toPlainString(), s.qty()));
        if (op == Op.DELETE) {
          reference.remove(id);
        } else {
          reference.put(id, s);
        }
      }
      writer.commit(List.of(new LakeBatch<>(batch, commit)));

      Map<String, Object[]> expected = new TreeMap<>();
      for (Sale s : reference.values()) {
        Object[] e = expected.computeIfAbsent(s.status(), k -> new Object[] {0L, BigDecimal.ZERO.setScale(2), null, null});
        e[0] = (Long) e[0] + 1;
        e[1] = ((BigDecimal) e[1]).add(s.amount());
        e[2] = e[2] == null ? s.qty() : Math.min((Long) e[2], s.qty());
        e[3] = e[3] == null ? s.qty() : Math.max((Long) e[3], s.qty());
      }
      Map<String, Object[]> actual = new TreeMap<>();
      for (Map<String, Object> row : DeltaReader.rows(dir.resolve("gold/sales_by_status"))) {
        actual.put((String) row.get("status"),
            new Object[] {row.get("sales"), row.get("total"), row.get("min_qty"), row.get("max_qty")});
      }
      assertThat(actual).as("after commit %s", commit).containsOnlyKeys(expected.keySet());
      expected.forEach((k, v) -> assertThat(actual.get(k)).as("group %s", k).containsExactly(v));
      assertThat(DeltaReader.rows(dir.resolve("gold/sales_total"))).singleElement()
          .satisfies(row -> assertThat(row.get("rows")).isEqualTo((long) reference.size()));
    }
    assertThat(writer.goldFailures()).containsOnlyKeys("bad_sum");
    LakeTables.Summary summary = new LakeTables(dir).summary();
    assertThat(summary.line()).isEqualTo("lake bronze_events=200 silver_tables=1 silver_rows=" + reference.size()
        + " gold_tables=2");
    try (var rows = new LakeTables(dir).rows(dir.resolve("silver/shop.public.sales"))) {
      Map<Long, Sale> read = new HashMap<>();
      rows.forEachRemaining(row -> read.put((Long) row.get("id"),
          new Sale((String) row.get("status"), (BigDecimal) row.get("amount"), (Long) row.get("qty"))));
      assertThat(read).isEqualTo(reference);
    }
    assertThat(writer.goldFailures().get("bad_sum")).contains("sum of column status").contains("not a number");
  }

  @Test
  void shouldRefuseAGoldTableWithoutAggregatesOrWithAnUnknownFunction() {
    assertThatThrownBy(() -> GoldSettings.list(ConfigFactory.parseString(
        "gold = [ { name = g, from = \"a.b.c\", aggregates = [ { fn = avg, column = x, as = y } ] } ]")))
        .hasMessageContaining("fn 'avg' is not count, sum, min or max");
    assertThatThrownBy(() -> GoldSettings.list(ConfigFactory.parseString(
        "gold = [ { name = g, from = \"a.b.c\", aggregates = [] } ]")))
        .hasMessageContaining("declares no aggregates");
  }
}
