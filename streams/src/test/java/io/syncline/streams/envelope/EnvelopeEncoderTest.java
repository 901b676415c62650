package io.syncline.streams.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.JsonText;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.event.Unchanged;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The relational envelope, byte for byte: the MongoDB additions must not change it. */
class EnvelopeEncoderTest {

  private static final long NOW = 1_700_000_000_123_456L;
  private final EnvelopeEncoder encoder = new EnvelopeEncoder(() -> NOW);

  @Test
  void writesAPostgresUpdateWithEveryValueKindExactly() {
    TableRef table = new TableRef("postgresql", "shop", "shopdb", "public", "orders");
    RowSchema schema = RowSchema.of(List.of("id", "total", "ratio", "doc", "tags", "blob", "note", "ok"), List.of("id"));
    Row before = new Row(schema, new Object[] {7L, new BigDecimal("1.50"), Double.NaN, new JsonText("{\"a\":1}"),
        List.of("x", "y"), new byte[] {0, -1, 16}, null, true});
    Row after = new Row(schema, new Object[] {7L, new BigDecimal("2.50"), 0.25, new JsonText("[1,2.5]"),
        List.of(), new byte[0], Unchanged.TOAST, false});
    ChangeEvent e = new ChangeEvent(table, Op.UPDATE, new PgPosition(0x16B3748L, 2), "741", 2,
        1_699_999_999_000_001L, false, before, after, List.of("note"));

    assertThat(text(encoder.encodeValue(e))).isEqualTo("{\"before\":{\"id\":7,\"total\":\"1.50\",\"ratio\":\"NaN\","
        + "\"doc\":{\"a\":1},\"tags\":[\"x\",\"y\"],\"blob\":\"AP8Q\",\"note\":null,\"ok\":true},"
        + "\"after\":{\"id\":7,\"total\":\"2.50\",\"ratio\":0.25,\"doc\":[1,2.5],\"tags\":[],\"blob\":\"\","
        + "\"note\":\"__syncline_unavailable_value\",\"ok\":false},"
        + "\"source\":{\"version\":\"0.1.0\",\"connector\":\"postgresql\",\"name\":\"shop\",\"ts_ms\":1699999999000,"
        + "\"ts_us\":1699999999000001,\"snapshot\":\"false\",\"db\":\"shopdb\",\"schema\":\"public\",\"table\":\"orders\","
        + "\"lsn\":23803720,\"txId\":\"741\"},\"op\":\"u\",\"ts_ms\":1700000000123,\"ts_us\":1700000000123456,"
        + "\"transaction\":{\"id\":\"741\",\"total_order\":2},\"unchanged_toast\":[\"note\"]}");
    assertThat(text(encoder.encodeKey(e))).isEqualTo("{\"id\":7}");
  }

  @Test
  void writesAMariaDbSnapshotReadExactly() {
    TableRef table = new TableRef("mysql", "shop", "shop", "shop", "items");
    RowSchema schema = RowSchema.of(List.of("a", "b"), List.of("b", "a"));
    Row row = new Row(schema, new Object[] {1, "x"});
    ChangeEvent e = new ChangeEvent(table, Op.READ, new BinlogPosition("bin.000003", 4711, 0, null, null), null, 0,
        5_000_000L, true, null, row, List.of());

    assertThat(text(encoder.encodeValue(e))).isEqualTo("{\"before\":null,\"after\":{\"a\":1,\"b\":\"x\"},"
        + "\"source\":{\"version\":\"0.1.0\",\"connector\":\"mysql\",\"name\":\"shop\",\"ts_ms\":5000,\"ts_us\":5000000,"
        + "\"snapshot\":\"true\",\"db\":\"shop\",\"schema\":\"shop\",\"table\":\"items\",\"file\":\"bin.000003\","
        + "\"pos\":4711,\"row\":0,\"gtid\":null,\"txId\":null},\"op\":\"r\",\"ts_ms\":1700000000123,"
        + "\"ts_us\":1700000000123456,\"transaction\":null}");
    assertThat(text(encoder.encodeKey(e))).isEqualTo("{\"b\":\"x\",\"a\":1}");
  }

  @Test
  void writesATruncateWithoutKey() {
    TableRef table = new TableRef("postgresql", "shop", "shopdb", "public", "orders");
    ChangeEvent e = new ChangeEvent(table, Op.TRUNCATE, new PgPosition(100, 1), "9", 1, 0, false, null, null,
        List.of());
    assertThat(encoder.encodeKey(e)).isNull();
    assertThat(text(encoder.encodeValue(e))).startsWith("{\"before\":null,\"after\":null,\"source\":")
        .endsWith("\"op\":\"t\",\"ts_ms\":1700000000123,\"ts_us\":1700000000123456,"
            + "\"transaction\":{\"id\":\"9\",\"total_order\":1}}");
  }

  /**
   * A JSON column holding the JSON literal null and one holding SQL NULL are both written as null;
   * json_null names the first, per image (so the two stay distinguishable), and is absent when no
   * column holds it. A JSON null inside an array is written as null and not listed.
   */
  @Test
  void listsColumnsHoldingTheJsonLiteralNullPerImage() {
    TableRef table = new TableRef("postgresql", "shop", "shopdb", "public", "docs");
    RowSchema schema = RowSchema.of(List.of("id", "doc", "meta", "arr"), List.of("id"));
    Row before = new Row(schema, new Object[] {1L, JsonText.valueOf("{\"a\":1}"), JsonText.valueOf(" null "), null});
    Row after = new Row(schema, new Object[] {1L, JsonText.valueOf("null"), null,
        List.of(JsonText.valueOf("null"), JsonText.valueOf("[]"))});
    ChangeEvent e = new ChangeEvent(table, Op.UPDATE, new PgPosition(100, 1), "9", 1, 0, false, before, after,
        List.of());
    assertThat(text(encoder.encodeValue(e))).startsWith("{\"before\":{\"id\":1,\"doc\":{\"a\":1},\"meta\":null,"
            + "\"arr\":null},\"after\":{\"id\":1,\"doc\":null,\"meta\":null,\"arr\":[null,[]]},")
        .endsWith("\"transaction\":{\"id\":\"9\",\"total_order\":1},"
            + "\"json_null\":{\"before\":[\"meta\"],\"after\":[\"doc\"]}}");

    ChangeEvent insert = new ChangeEvent(table, Op.CREATE, new PgPosition(100, 2), "9", 2, 0, false, null,
        new Row(schema, new Object[] {2L, JsonText.valueOf("\tnull\n"), null, null}), List.of());
    assertThat(text(encoder.encodeValue(insert))).endsWith("\"json_null\":{\"after\":[\"doc\"]}}");
    ChangeEvent sqlNull = new ChangeEvent(table, Op.CREATE, new PgPosition(100, 3), "9", 3, 0, false, null,
        new Row(schema, new Object[] {3L, null, JsonText.valueOf("\"null\""), null}), List.of());
    assertThat(text(encoder.encodeValue(sqlNull))).contains("\"doc\":null,\"meta\":\"null\"")
        .doesNotContain("json_null");
    assertThat(JsonText.valueOf("nullx")).isEqualTo(new JsonText("nullx"));
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
