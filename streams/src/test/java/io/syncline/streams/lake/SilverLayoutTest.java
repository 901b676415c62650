package io.syncline.streams.lake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.envelope.EnvelopeEncoder;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.JsonText;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How silver lays out its files, types its columns and refuses values; read back through Kernel's scan. */
class SilverLayoutTest {

  static final TableRef ITEMS = new TableRef("mysql", "erp", "erp", "erp", "items");

  @TempDir Path dir;

  LakeSettings settings(Set<String> textColumns) {
    return new LakeSettings(dir, Duration.ofMillis(200), 50_000, 5, true, true, textColumns, 4096,
        "syncline.lake.io-dispatcher", List.of(), LakeSettings.Maintenance.DEFAULT, Map.of());
  }

  static LakeRecord change(EnvelopeEncoder enc, TableShape shape, Op op, long offset, Object... values) {
    List<String> names = shape.columns().stream().map(LakeColumn::name).toList();
    Row row = new Row(RowSchema.of(names, shape.keyColumns()), values);
    ChangeEvent e = new ChangeEvent(shape.table(), op, new BinlogPosition("mariadb-bin.000001", offset, 1, null),
        "tx" + offset, 1, 1_705_314_030_000_000L, false, op == Op.DELETE ? row : null, op == Op.DELETE ? null : row,
        List.of());
    return new LakeRecord(shape.table(), shape, e.position(), enc.encodeKey(e), enc.encodeValue(e));
  }

  /** The actions of one commit of a table's log. */
  static List<JsonNode> commit(Path table, long version) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(table.resolve("_delta_log").resolve(String.format("%020d.json", version)))) {
      out.add(Envelope.EXACT.readTree(line));
    }
    return out;
  }

  static long count(List<JsonNode> actions, String kind) {
    return actions.stream().filter(a -> a.has(kind)).count();
  }

  @Test
  void shouldRewriteOnlyTheFileHoldingAChangedKey() throws Exception {
    TableShape shape = new TableShape(ITEMS, List.of(new LakeColumn("id", LakeType.INT64),
        new LakeColumn("name", LakeType.TEXT)), List.of("id"));
    LakeWriter writer = new LakeWriter(settings(Set.of()));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    long offset = 100;
    for (int file = 0; file < 5; file++) { // five commits of 200 serial keys: five files, key ranges apart
      List<LakeRecord> batch = new ArrayList<>();
      for (int i = 1; i <= 200; i++) {
        long id = file * 200L + i;
        batch.add(change(enc, shape, Op.CREATE, offset++, id, "item " + id));
      }
      writer.commit(List.of(new LakeBatch<>(batch, file)));
    }
    writer.commit(List.of(new LakeBatch<>(List.of(
        change(enc, shape, Op.UPDATE, offset++, 300L, "renamed"),
        change(enc, shape, Op.DELETE, offset++, 301L, "item 301"),
        change(enc, shape, Op.CREATE, offset++, 5000L, "new")), "update")));

    Path silver = dir.resolve("silver/erp.erp.items");
    List<JsonNode> last = commit(silver, DeltaReader.snapshot(silver).getVersion());
    assertThat(count(last, "remove")).as("only the file of keys 201..400 is rewritten").isEqualTo(1);
    assertThat(count(last, "add")).as("that file anew, and one file for the new key").isEqualTo(2);
    assertThat(last.stream().filter(a -> a.has("add")).map(a -> a.get("add").get("stats").asText()))
        .allSatisfy(stats -> assertThat(stats).contains("minValues"));
    Map<Long, Map<String, Object>> rows = new TreeMap<>();
    DeltaReader.rows(silver).forEach(r -> rows.put((Long) r.get("id"), r));
    assertThat(rows).hasSize(1000);
    assertThat(rows.get(300L)).containsEntry("name", "renamed");
    assertThat(rows).doesNotContainKey(301L);
    assertThat(rows.get(5000L)).containsEntry("name", "new");
    assertThat(rows.get(999L)).containsEntry("name", "item 999");
    // checkpoint-interval = 5: version 5 (this update) has a checkpoint
    try (Stream<Path> log = Files.list(silver.resolve("_delta_log"))) {
      assertThat(log.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".checkpoint.parquet"));
    }
  }

  @Test
  void shouldTypeEveryKindOfColumn() throws Exception {
    TableShape shape = new TableShape(ITEMS, List.of(
        new LakeColumn("id", LakeType.INT64),
        new LakeColumn("price", new LakeType.Decimal(4)),
        new LakeColumn("weight", LakeType.FLOAT64),
        new LakeColumn("active", LakeType.BOOL),
        new LakeColumn("born", LakeType.DATE),
        new LakeColumn("seen", LakeType.TIMESTAMP),
        new LakeColumn("local", LakeType.TIMESTAMP_NTZ),
        new LakeColumn("doc", LakeType.TEXT),
        new LakeColumn("big", new LakeType.Decimal(0))), List.of("id"));
    LakeWriter writer = new LakeWriter(settings(Set.of()));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    writer.commit(List.of(new LakeBatch<>(List.of(
        change(enc, shape, Op.CREATE, 10, 1L, "12345.6700", 2.5, true, "2024-02-29", "2024-01-15T04:50:30.500000Z",
            "1582-10-05T12:00:00.500000", new JsonText("{\"a\": [1, 2.5]}"), "18446744073709551615"),
        change(enc, shape, Op.CREATE, 11, 2L, null, "NaN", false, "0001-01-01", "1969-12-31T23:59:59.999999Z",
            "2024-01-15T10:20:30.000001", "text", 7L)), 1)));

    Map<Long, Map<String, Object>> rows = new TreeMap<>();
    DeltaReader.rows(dir.resolve("silver/erp.erp.items")).forEach(r -> rows.put((Long) r.get("id"), r));
    assertThat(rows.get(1L))
        .containsEntry("price", new BigDecimal("12345.6700"))
        .containsEntry("weight", 2.5)
        .containsEntry("active", true)
        .containsEntry("born", (int) LocalDate.of(2024, 2, 29).toEpochDay())
        .containsEntry("seen", 1_705_294_230_500_000L)
        .containsEntry("local", LocalDate.of(1582, 10, 5).toEpochDay() * 86_400_000_000L + 43_200_500_000L)
        .containsEntry("doc", "{\"a\":[1,2.5]}") // JSON as compact text
        .containsEntry("big", new BigDecimal("18446744073709551615"));
    assertThat(rows.get(2L))
        .containsEntry("price", null)
        .containsEntry("weight", Double.NaN)
        .containsEntry("seen", -1L)
        .containsEntry("doc", "text")
        .containsEntry("big", new BigDecimal("7"));
    var schema = DeltaReader.snapshot(dir.resolve("silver/erp.erp.items")).getSchema();
    assertThat(schema.get("price").getDataType().toString()).isEqualTo("Decimal(38, 4)");
    assertThat(schema.get("local").getDataType().toString()).isEqualTo("timestamp_ntz");
  }

  @Test
  void shouldStopOnAValueTheColumnCannotHoldAndTakeItAsTextWhenTold() throws Exception {
    TableShape shape = new TableShape(ITEMS, List.of(new LakeColumn("id", LakeType.INT64),
        new LakeColumn("price", new LakeType.Decimal(2))), List.of("id"));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    LakeRecord nan = change(enc, shape, Op.CREATE, 10, 1L, "NaN");
    LakeWriter writer = new LakeWriter(settings(Set.of()));
    writer.commit(List.of(new LakeBatch<>(List.of(nan), 1)));
    assertThat(writer.silverFailures().get("erp.erp.items"))
        .contains("column price (Delta decimal(38,2)) received a value it cannot hold exactly")
        .contains("syncline.lake.silver.text-columns = [\"erp.erp.items.price\"]")
        .doesNotContain("NaN\""); // the value itself is data: not in the message
    assertThat(DeltaReader.rows(dir.resolve("bronze/events"))).hasSize(1);

    Path other = dir.resolve("other");
    LakeWriter asText = new LakeWriter(settings(Set.of("erp.erp.items.price")).withPath(other));
    asText.commit(List.of(new LakeBatch<>(List.of(nan, change(enc, shape, Op.CREATE, 11, 2L, "1.50")), 1)));
    assertThat(asText.silverFailures()).isEmpty();
    assertThat(DeltaReader.rows(other.resolve("silver/erp.erp.items")))
        .extracting(r -> r.get("price")).containsExactlyInAnyOrder("NaN", "1.50");
  }

  @Test
  void shouldEmptySilverOnATruncateAndKeepKeylessTablesInBronzeOnly() throws Exception {
    TableShape shape = new TableShape(ITEMS, List.of(new LakeColumn("id", LakeType.INT64),
        new LakeColumn("name", LakeType.TEXT)), List.of("id"));
    TableRef logRef = new TableRef("mysql", "erp", "erp", "erp", "log");
    TableShape keyless = new TableShape(logRef, List.of(new LakeColumn("line", LakeType.TEXT)), List.of());
    LakeWriter writer = new LakeWriter(settings(Set.of()));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    ChangeEvent truncate = new ChangeEvent(ITEMS, Op.TRUNCATE, new BinlogPosition("mariadb-bin.000001", 30, 1, null),
        "tx30", 1, 1_705_314_030_000_000L, false, null, null, List.of());
    writer.commit(List.of(new LakeBatch<>(List.of(
        change(enc, shape, Op.CREATE, 10, 1L, "a"),
        change(enc, shape, Op.CREATE, 20, 2L, "b"),
        change(enc, keyless, Op.CREATE, 21, "line 1")), 1)));
    writer.commit(List.of(new LakeBatch<>(List.of(
        new LakeRecord(ITEMS, shape, truncate.position(), null, enc.encodeValue(truncate)),
        change(enc, shape, Op.CREATE, 40, 3L, "c")), 2)));

    assertThat(DeltaReader.rows(dir.resolve("silver/erp.erp.items"))).extracting(r -> r.get("id"))
        .containsExactly(3L);
    // a change from before the TRUNCATE delivered late (a standard queue): into bronze, not into silver
    writer.commit(List.of(new LakeBatch<>(List.of(change(enc, shape, Op.CREATE, 25, 9L, "late")), 3)));
    assertThat(DeltaReader.rows(dir.resolve("silver/erp.erp.items"))).extracting(r -> r.get("id"))
        .containsExactly(3L);
    assertThat(dir.resolve("silver/erp.erp.log")).doesNotExist();
    assertThat(DeltaReader.rows(dir.resolve("bronze/events"))).extracting(r -> r.get("op"))
        .containsExactlyInAnyOrder("c", "c", "c", "t", "c", "c");
  }

  @Test
  void shouldTakeDocumentsWithDifferentFieldsAsTheUnionOfTheirFields() throws Exception {
    TableRef people = new TableRef("mongodb", "crm", "crm", "crm", "people");
    LakeWriter writer = new LakeWriter(settings(Set.of()));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    TableShape nameOnly = TableShape.untyped(people, List.of("_id", "name"), List.of("_id"));
    TableShape cityOnly = TableShape.untyped(people, List.of("_id", "city"), List.of("_id"));
    TableShape tagsOnly = TableShape.untyped(people, List.of("_id", "tags"), List.of("_id"));
    writer.commit(List.of(new LakeBatch<>(List.of(
        change(enc, nameOnly, Op.CREATE, 10, "a1", "Ann"),
        change(enc, cityOnly, Op.CREATE, 11, "b2", "Oslo")), 1)));
    writer.commit(List.of(new LakeBatch<>(List.of(
        change(enc, tagsOnly, Op.CREATE, 12, "c3", new JsonText("[\"x\", 1]"))), 2)));

    assertThat(writer.silverFailures()).isEmpty();
    Map<String, Map<String, Object>> rows = new TreeMap<>();
    DeltaReader.rows(dir.resolve("silver/crm.crm.people")).forEach(r -> rows.put((String) r.get("_id"), r));
    assertThat(rows.get("a1")).containsEntry("name", "Ann").containsEntry("city", null).containsEntry("tags", null);
    assertThat(rows.get("b2")).containsEntry("city", "Oslo").containsEntry("name", null);
    assertThat(rows.get("c3")).containsEntry("tags", "[\"x\",1]");
  }

  @Test
  void shouldStopWithoutRetryOnAnEnvelopeItCannotRead() {
    TableShape shape = new TableShape(ITEMS, List.of(new LakeColumn("id", LakeType.INT64)), List.of("id"));
    LakeWriter writer = new LakeWriter(settings(Set.of()));
    LakeRecord garbage = new LakeRecord(ITEMS, shape, new BinlogPosition("mariadb-bin.000001", 10, 1, null),
        "{\"id\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "{\"op\":\"c\",\"after\":{\"id\":1 secret".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> writer.commit(List.of(new LakeBatch<>(List.of(garbage), 1))))
        .isInstanceOf(io.syncline.streams.capture.Failures.Permanent.class)
        .hasMessageContaining("the change event of erp:erp.items at mariadb-bin.000001:10#1 cannot be read")
        .hasMessageNotContaining("secret");
  }

  @Test
  void shouldSortPositionsAndKeysAsTheirValues() {
    assertThat(Positions.sortable(new PgPosition(0xFFFF_FFFF_0000_0000L, 1)))
        .isGreaterThan(Positions.sortable(new PgPosition(0x7FFF_FFFF_0000_0000L, PgPosition.COMPLETE)));
    assertThat(Positions.sortable(new BinlogPosition("b.000010", 4, 1, null)))
        .isGreaterThan(Positions.sortable(new BinlogPosition("b.000009", 999_999, 3, null)));
    assertThat(Keys.sortable("{\"id\":1000}")).isGreaterThan(Keys.sortable("{\"id\":999}"));
    assertThat(Keys.sortable("{\"id\":-1}")).isLessThan(Keys.sortable("{\"id\":0}"));
    assertThat(Keys.sortable("{\"k\":\"ab\"}")).isLessThan(Keys.sortable("{\"k\":\"abc\"}"));
    assertThat(Keys.sortable("{\"a\":1,\"b\":\"z\"}")).isLessThan(Keys.sortable("{\"a\":2,\"b\":\"a\"}"));
  }
}
