package io.syncline.streams.postgres.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.streams.event.JsonText;
import io.syncline.streams.postgres.types.PgTypeRegistry.PgType;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgValueConvertersTest {

  // a small catalog as pg_type holds it: built-in arrays, box, an enum, domains
  private static final int MOOD = 16_400;
  private static final int MOOD_ARRAY = 16_399;
  private static final int POSITIVE_NUMERIC = 16_410;
  private static final int NUMERIC_LIST = 16_420;
  private static final int TS_ARRAY_DOMAIN = 16_430;
  private static final PgTypeRegistry REGISTRY = PgTypeRegistry.of(List.of(
      new PgType(23, "pg_catalog", "int4", 'b', 0, 0, ',', 'N'),
      new PgType(1007, "pg_catalog", "_int4", 'b', 0, 23, ',', 'A'),
      new PgType(25, "pg_catalog", "text", 'b', 0, 0, ',', 'S'),
      new PgType(1009, "pg_catalog", "_text", 'b', 0, 25, ',', 'A'),
      new PgType(1700, "pg_catalog", "numeric", 'b', 0, 0, ',', 'N'),
      new PgType(1231, "pg_catalog", "_numeric", 'b', 0, 1700, ',', 'A'),
      new PgType(1114, "pg_catalog", "timestamp", 'b', 0, 0, ',', 'D'),
      new PgType(1115, "pg_catalog", "_timestamp", 'b', 0, 1114, ',', 'A'),
      new PgType(17, "pg_catalog", "bytea", 'b', 0, 0, ',', 'U'),
      new PgType(1001, "pg_catalog", "_bytea", 'b', 0, 17, ',', 'A'),
      new PgType(3802, "pg_catalog", "jsonb", 'b', 0, 0, ',', 'U'),
      new PgType(3807, "pg_catalog", "_jsonb", 'b', 0, 3802, ',', 'A'),
      new PgType(603, "pg_catalog", "box", 'b', 0, 600, ';', 'G'),
      new PgType(1020, "pg_catalog", "_box", 'b', 0, 603, ',', 'A'),
      new PgType(600, "pg_catalog", "point", 'b', 0, 701, ',', 'G'),
      new PgType(22, "pg_catalog", "int2vector", 'b', 0, 21, ',', 'A'),
      new PgType(3904, "pg_catalog", "int4range", 'r', 0, 0, ',', 'R'),
      new PgType(MOOD, "public", "mood", 'e', 0, 0, ',', 'E'),
      new PgType(MOOD_ARRAY, "public", "_mood", 'b', 0, MOOD, ',', 'A'),
      new PgType(POSITIVE_NUMERIC, "public", "positive_numeric", 'd', 1700, 0, ',', 'N'),
      new PgType(NUMERIC_LIST, "public", "numeric_list", 'd', 1231, 0, ',', 'A'),
      new PgType(TS_ARRAY_DOMAIN, "public", "ts_list", 'd', 1115, 0, ',', 'A')));

  private static Object convert(int oid, String text) {
    return REGISTRY.converterFor(oid, -1).convert(text);
  }

  @Test
  void shouldConvertIntegersToTheirJavaWidth() {
    assertThat(convert(21, "-32768")).isEqualTo((short) -32768);
    assertThat(convert(23, "2147483647")).isEqualTo(2147483647);
    assertThat(convert(20, "-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
    assertThat(convert(26, "4294967295")).isEqualTo(4294967295L);
    assertThatThrownBy(() -> convert(21, "40000")).hasMessageContaining("smallint");
    assertThatThrownBy(() -> convert(23, "12x")).hasMessageContaining("pg_catalog.int4")
        .hasMessageNotContaining("12x");
  }

  @Test
  void shouldKeepNumericExactlyAsTheServerPrintsIt() {
    assertThat(convert(1700, "12345.6700")).isEqualTo("12345.6700");
    assertThat(convert(1700, "-0.000000000000000000000000000001")).isEqualTo("-0.000000000000000000000000000001");
    String huge = "9".repeat(200) + "." + "1".repeat(50);
    assertThat(convert(1700, huge)).isEqualTo(huge);
    assertThat(convert(1700, "1200")).isEqualTo("1200"); // numeric(4,-2) prints no exponent
    assertThat(convert(1700, "NaN")).isEqualTo("NaN");
    assertThat(convert(1700, "Infinity")).isEqualTo("Infinity");
    assertThat(convert(1700, "-Infinity")).isEqualTo("-Infinity");
  }

  @Test
  void shouldConvertFloatsIncludingNaNAndInfinities() {
    assertThat(convert(700, "3.14")).isEqualTo(3.14f);
    assertThat(convert(700, "1e+30")).isEqualTo(1e30f);
    assertThat(convert(700, "NaN")).isEqualTo(Float.NaN);
    assertThat(convert(701, "-1.7976931348623157e+308")).isEqualTo(-Double.MAX_VALUE);
    assertThat(convert(701, "5e-324")).isEqualTo(Double.MIN_VALUE);
    assertThat(convert(701, "Infinity")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(convert(701, "-Infinity")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(convert(701, "NaN")).isEqualTo(Double.NaN);
    assertThatThrownBy(() -> convert(701, "pi")).hasMessageContaining("double precision");
  }

  @Test
  void shouldConvertBooleans() {
    assertThat(convert(16, "t")).isEqualTo(true);
    assertThat(convert(16, "f")).isEqualTo(false);
    assertThatThrownBy(() -> convert(16, "y")).hasMessageContaining("boolean");
  }

  @Test
  void shouldKeepStringTypesVerbatim() {
    assertThat(convert(1042, "ab   ")).isEqualTo("ab   "); // bpchar keeps its padding
    assertThat(convert(25, "")).isEqualTo("");
    assertThat(convert(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")).isEqualTo("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    assertThat(convert(142, "<a>1</a>")).isEqualTo("<a>1</a>");
    assertThat(convert(790, "$1,234.56")).isEqualTo("$1,234.56");
    assertThat(convert(869, "192.168.0.1/24")).isEqualTo("192.168.0.1/24");
    assertThat(convert(1560, "1010")).isEqualTo("1010");
    assertThat(convert(1186, "P1Y2M3DT4H5M6.000007S")).isEqualTo("P1Y2M3DT4H5M6.000007S");
    assertThat(convert(MOOD, "happy")).isEqualTo("happy");
    assertThat(convert(3904, "[1,5)")).isEqualTo("[1,5)");
    assertThat(convert(600, "(1,2)")).isEqualTo("(1,2)"); // point has typelem but is not an array
    assertThat(convert(22, "1 2 3")).isEqualTo("1 2 3"); // int2vector prints no braces
    assertThat(convert(999_999, "(some,unknown)")).isEqualTo("(some,unknown)");
  }

  @Test
  void shouldDecodeByteaHexAndEscapeForms() {
    assertThat((byte[]) convert(17, "\\x")).isEmpty();
    assertThat((byte[]) convert(17, "\\x00ff7FAb")).containsExactly(0x00, 0xff, 0x7f, 0xab);
    assertThat((byte[]) convert(17, "a\\\\b\\001")).containsExactly('a', '\\', 'b', 1);
    assertThatThrownBy(() -> convert(17, "\\x0")).hasMessageContaining("odd");
    assertThatThrownBy(() -> convert(17, "\\xzz")).hasMessageContaining("non-hex");
  }

  @Test
  void shouldEmbedJsonAsJsonText() {
    assertThat(convert(3802, "{\"a\": [1, 2]}")).isEqualTo(new JsonText("{\"a\": [1, 2]}"));
    // the JSON literal null is a value, not SQL NULL (which never reaches a converter)
    assertThat(convert(114, "null")).isEqualTo(io.syncline.streams.event.JsonNull.LITERAL);
    assertThat(convert(3802, "null")).isEqualTo(io.syncline.streams.event.JsonNull.LITERAL);
    assertThat(convert(114, " null\n")).isEqualTo(io.syncline.streams.event.JsonNull.LITERAL);
    assertThat(convert(114, "\"null\"")).isEqualTo(new JsonText("\"null\""));
  }

  @Test
  void shouldWriteDatesAsIsoWithProlepticBcYears() {
    assertThat(convert(1082, "2024-02-29")).isEqualTo("2024-02-29");
    assertThat(convert(1082, "0001-01-01")).isEqualTo("0001-01-01");
    assertThat(convert(1082, "0001-12-31 BC")).isEqualTo("0000-12-31");
    assertThat(convert(1082, "0002-01-01 BC")).isEqualTo("-0001-01-01");
    assertThat(convert(1082, "4713-11-24 BC")).isEqualTo("-4712-11-24");
    assertThat(convert(1082, "10000-01-01")).isEqualTo("+10000-01-01");
    assertThat(convert(1082, "infinity")).isEqualTo("infinity");
    assertThat(convert(1082, "-infinity")).isEqualTo("-infinity");
    assertThatThrownBy(() -> convert(1082, "2024/01/01")).hasMessageContaining("date");
  }

  @Test
  void shouldPadTimeFractionsToSixDigits() {
    assertThat(convert(1083, "10:20:30")).isEqualTo("10:20:30.000000");
    assertThat(convert(1083, "10:20:30.1")).isEqualTo("10:20:30.100000");
    assertThat(convert(1083, "10:20:30.12")).isEqualTo("10:20:30.120000");
    assertThat(convert(1083, "10:20:30.123")).isEqualTo("10:20:30.123000");
    assertThat(convert(1083, "10:20:30.1234")).isEqualTo("10:20:30.123400");
    assertThat(convert(1083, "10:20:30.12345")).isEqualTo("10:20:30.123450");
    assertThat(convert(1083, "23:59:59.999999")).isEqualTo("23:59:59.999999");
    assertThat(convert(1083, "24:00:00")).isEqualTo("24:00:00.000000");
    assertThatThrownBy(() -> convert(1083, "10:20")).hasMessageContaining("HH:MM:SS");
    assertThatThrownBy(() -> convert(1083, "10:20:30.1234567")).hasMessageContaining("HH:MM:SS");
  }

  @Test
  void shouldNormaliseTimetzToUtc() {
    assertThat(convert(1266, "10:20:30.5+00")).isEqualTo("10:20:30.500000Z");
    assertThat(convert(1266, "10:20:30+05:30")).isEqualTo("04:50:30.000000Z");
    assertThat(convert(1266, "01:00:00.000001+05")).isEqualTo("20:00:00.000001Z");
    assertThat(convert(1266, "20:00:00-08")).isEqualTo("04:00:00.000000Z");
    assertThat(convert(1266, "00:00:00-00:00:30")).isEqualTo("00:00:30.000000Z");
  }

  @Test
  void shouldWriteTimestampsWithSixDigitsAndNoZone() {
    assertThat(convert(1114, "2024-01-15 10:20:30")).isEqualTo("2024-01-15T10:20:30.000000");
    assertThat(convert(1114, "2024-01-15 10:20:30.1")).isEqualTo("2024-01-15T10:20:30.100000");
    assertThat(convert(1114, "2024-01-15 10:20:30.123456")).isEqualTo("2024-01-15T10:20:30.123456");
    assertThat(convert(1114, "0044-03-15 12:00:00 BC")).isEqualTo("-0043-03-15T12:00:00.000000");
    assertThat(convert(1114, "0001-01-01 00:00:00 BC")).isEqualTo("0000-01-01T00:00:00.000000");
    assertThat(convert(1114, "294276-12-31 23:59:59.999999")).isEqualTo("+294276-12-31T23:59:59.999999");
    assertThat(convert(1114, "infinity")).isEqualTo("infinity");
    assertThat(convert(1114, "-infinity")).isEqualTo("-infinity");
    assertThatThrownBy(() -> convert(1114, "2024-01-15T10:20:30")).hasMessageContaining("timestamp");
  }

  @Test
  void shouldNormaliseTimestamptzToUtcFromAnyOffset() {
    assertThat(convert(1184, "2024-01-15 10:20:30.12+00")).isEqualTo("2024-01-15T10:20:30.120000Z");
    assertThat(convert(1184, "2024-01-15 10:20:30+00:00")).isEqualTo("2024-01-15T10:20:30.000000Z");
    assertThat(convert(1184, "2024-01-01 00:30:00.5+05:30")).isEqualTo("2023-12-31T19:00:00.500000Z");
    assertThat(convert(1184, "2024-02-28 20:00:00-08")).isEqualTo("2024-02-29T04:00:00.000000Z");
    assertThat(convert(1184, "1900-01-01 00:00:00+00:53:28")).isEqualTo("1899-12-31T23:06:32.000000Z");
    assertThat(convert(1184, "0044-03-15 12:00:00+00 BC")).isEqualTo("-0043-03-15T12:00:00.000000Z");
    assertThat(convert(1184, "0001-01-01 00:30:00+01 BC")).isEqualTo("-0001-12-31T23:30:00.000000Z");
    assertThat(convert(1184, "infinity")).isEqualTo("infinity");
    assertThat(convert(1184, "-infinity")).isEqualTo("-infinity");
    assertThatThrownBy(() -> convert(1184, "2024-01-15 10:20:30")).hasMessageContaining("zone offset");
  }

  @Test
  void shouldParseArraysWithQuotingEscapesAndNulls() {
    assertThat(convert(1007, "{1,2,NULL,-4}")).isEqualTo(Arrays.asList(1, 2, null, -4));
    assertThat(convert(1007, "{}")).isEqualTo(List.of());
    assertThat(convert(1009, "{plain,\"with space\",\"comma,inside\",\"quote\\\"q\",\"back\\\\slash\",\"NULL\",NULL,\"\"}"))
        .isEqualTo(Arrays.asList("plain", "with space", "comma,inside", "quote\"q", "back\\slash", "NULL", null, ""));
    assertThat(convert(1009, "{\"{braces}\",x}")).isEqualTo(List.of("{braces}", "x"));
    assertThat(convert(1009, "{ a , b }")).isEqualTo(List.of("a", "b"));
  }

  @Test
  void shouldParseMultiDimensionalArraysAndDropBounds() {
    assertThat(convert(1007, "{{1,2},{3,NULL}}")).isEqualTo(List.of(List.of(1, 2), Arrays.asList(3, null)));
    assertThat(convert(1007, "{{{1},{2}},{{3},{4}}}"))
        .isEqualTo(List.of(List.of(List.of(1), List.of(2)), List.of(List.of(3), List.of(4))));
    assertThat(convert(1007, "[0:1]={7,8}")).isEqualTo(List.of(7, 8));
    assertThat(convert(1007, "[1:2][1:1]={{7},{8}}")).isEqualTo(List.of(List.of(7), List.of(8)));
  }

  @Test
  void shouldConvertArrayElementsWithTheElementType() {
    assertThat(convert(1231, "{1.50,NaN,-Infinity}")).isEqualTo(List.of("1.50", "NaN", "-Infinity"));
    assertThat(convert(1115, "{\"2024-01-15 10:20:30.5\",\"0001-01-01 00:00:00 BC\",infinity}"))
        .isEqualTo(List.of("2024-01-15T10:20:30.500000", "0000-01-01T00:00:00.000000", "infinity"));
    List<?> bytes = (List<?>) convert(1001, "{\"\\\\x0102\",NULL}");
    assertThat((byte[]) bytes.get(0)).containsExactly(1, 2);
    assertThat(bytes.get(1)).isNull();
    assertThat(convert(3807, "{\"{\\\"a\\\": 1}\",\"[]\"}"))
        .isEqualTo(List.of(new JsonText("{\"a\": 1}"), new JsonText("[]")));
    assertThat(convert(MOOD_ARRAY, "{happy,sad}")).isEqualTo(List.of("happy", "sad"));
  }

  @Test
  void shouldSplitBoxArraysOnSemicolons() {
    assertThat(convert(1020, "{(3,4),(1,2);(0,0),(-1,-1)}")).isEqualTo(List.of("(3,4),(1,2)", "(0,0),(-1,-1)"));
  }

  @Test
  void shouldResolveDomainsToTheirBaseTypeIncludingArrays() {
    assertThat(convert(POSITIVE_NUMERIC, "12.50")).isEqualTo("12.50");
    assertThat(convert(NUMERIC_LIST, "{1.0,NULL}")).isEqualTo(Arrays.asList("1.0", null));
    assertThat(convert(TS_ARRAY_DOMAIN, "{{\"2024-01-15 10:20:30\"},{NULL}}"))
        .isEqualTo(List.of(List.of("2024-01-15T10:20:30.000000"), Arrays.asList((Object) null)));
  }

  @Test
  void shouldRejectMalformedArraysNamingTheTypeAndOffset() {
    assertThatThrownBy(() -> convert(1007, "{1,2")).hasMessageContaining("pg_catalog._int4").hasMessageContaining("ends early");
    assertThatThrownBy(() -> convert(1007, "1,2}")).hasMessageContaining("expected '{'");
    assertThatThrownBy(() -> convert(1007, "{1,,2}")).hasMessageContaining("empty element");
    assertThatThrownBy(() -> convert(1007, "{1}x")).hasMessageContaining("after '}'");
    assertThatThrownBy(() -> convert(1007, "{a}")).hasMessageContaining("integer");
  }

  @Test
  void shouldResolveConvertersOnceAndKnowWhatItKnows() {
    assertThat(REGISTRY.knows(MOOD)).isTrue();
    assertThat(REGISTRY.knows(1184)).isTrue(); // built-in even without a catalog row
    assertThat(REGISTRY.knows(123_456)).isFalse();
    assertThat(REGISTRY.describe(MOOD)).isEqualTo("public.mood (oid 16400)");
    assertThat(REGISTRY.type(NUMERIC_LIST)).map(PgType::type).contains('d');
    assertThat(REGISTRY.converterFor(25, -1)).isSameAs(PgValueConverters.TEXT);
  }
}
