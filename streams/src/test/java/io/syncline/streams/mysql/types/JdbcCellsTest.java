package io.syncline.streams.mysql.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.streams.mysql.types.MySqlColumn.Kind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** JDBC text → the binlog cell shape, then the binlog converter: the JSON value the binlog gives. */
class JdbcCellsTest {

  private static Object value(Kind kind, boolean unsigned, String text) {
    MySqlColumn c = new MySqlColumn("c", kind, unsigned, kind == Kind.BIT ? 10 : 0, null, List.of());
    Object cell = JdbcCells.readerFor(c).read(text == null ? null : text.getBytes(StandardCharsets.US_ASCII));
    return cell == null ? null : MySqlValueConverters.converterFor(JdbcCells.converterColumn(c)).convert((java.io.Serializable) cell);
  }

  @Test
  void shouldReadUnsignedIntegersAsTheBinlogsSignExtendedCells() {
    assertThat(value(Kind.INT, true, "4294967295")).isEqualTo(4294967295L);
    assertThat(value(Kind.TINYINT, true, "255")).isEqualTo(255);
    assertThat(value(Kind.BIGINT, true, "18446744073709551615").toString()).isEqualTo("18446744073709551615");
    assertThat(value(Kind.BIGINT, false, "-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void shouldReadFloatsExactlyFromTheirDoubleText() {
    assertThat(value(Kind.FLOAT, false, "16777216")).isEqualTo(16777216f);
    assertThat(value(Kind.FLOAT, false, "0.10000000149011612")).isEqualTo(0.1f);
  }

  @Test
  void shouldReadTimesDatesAndYearsAsTheBinlogDoes() {
    assertThat(value(Kind.TIME, false, "-838:59:59.999999")).isEqualTo("-838:59:59.999999");
    assertThat(value(Kind.TIME, false, "-00:00:00.010")).isEqualTo("-00:00:00.010000");
    assertThat(value(Kind.DATETIME, false, "1582-10-04 23:59:59.999999")).isEqualTo("1582-10-04T23:59:59.999999");
    assertThat(value(Kind.DATETIME, false, "1582-10-10 12:00:00.5")).isEqualTo("1582-10-10T12:00:00.500000");
    assertThat(value(Kind.DATE, false, "1582-10-14")).isEqualTo("1582-10-14");
    assertThat(value(Kind.DATE, false, "0000-01-01")).isEqualTo("0000-01-01");
    assertThat(value(Kind.DATETIME, false, "2024-00-00 00:00:00")).isNull();
    assertThat(value(Kind.DATE, false, "0000-00-00")).isNull();
    assertThat(value(Kind.TIMESTAMP, false, "0000-00-00 00:00:00.000000")).isNull();
    assertThat(value(Kind.TIMESTAMP, false, "2024-01-15 04:50:30.5")).isEqualTo("2024-01-15T04:50:30.500000Z");
    assertThat(value(Kind.YEAR, false, "0000")).isEqualTo(0);
    assertThat(value(Kind.YEAR, false, "2155")).isEqualTo(2155);
    assertThat(value(Kind.BIT, false, "641")).isEqualTo("1010000001");
  }

  /** Issue 10, finding 18: the server describes enum labels in utf8mb3, so an emoji label read as '?'. */
  @Test
  void shouldReadEnumAndSetValuesAsTheirOwnLabelBytes() {
    MySqlColumn mood = new MySqlColumn("mood", Kind.ENUM, false, 0, "utf8mb4", List.of("?", "ok"));
    assertThat(JdbcCells.selectExpression(mood)).isEqualTo("`mood`");
    Object cell = JdbcCells.readerFor(mood).read("🚀".getBytes(StandardCharsets.UTF_8));
    assertThat(MySqlValueConverters.converterFor(JdbcCells.converterColumn(mood)).convert((java.io.Serializable) cell))
        .isEqualTo("🚀");
    MySqlColumn tags = new MySqlColumn("tags", Kind.SET, false, 0, "latin1", List.of("a", "é"));
    cell = JdbcCells.readerFor(tags).read("a,é".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(MySqlValueConverters.converterFor(JdbcCells.converterColumn(tags)).convert((java.io.Serializable) cell))
        .isEqualTo("a,é");
  }

  @Test
  void shouldNameTheColumnButNotTheValueWhenTextIsUnexpected() {
    MySqlColumn c = new MySqlColumn("secret_col", Kind.DATETIME, false, 0, null, List.of());
    assertThatThrownBy(() -> JdbcCells.readerFor(c).read("hunter2-value".getBytes(StandardCharsets.US_ASCII)))
        .hasMessageContaining("secret_col").hasMessageNotContaining("hunter2");
  }
}
