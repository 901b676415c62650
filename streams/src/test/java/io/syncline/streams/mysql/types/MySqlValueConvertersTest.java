package io.syncline.streams.mysql.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.TableMapEventMetadata;
import com.github.shyiko.mysql.binlog.event.TableMapEventMetadata.DefaultCharset;
import io.syncline.streams.event.JsonText;
import io.syncline.streams.mysql.types.MySqlColumn.Kind;
import java.io.Serializable;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.BitSet;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Every converter of {@link MySqlValueConverters}, fed the values mysql-binlog-connector-java hands
 * over in DATE_AND_TIME_AS_LONG_MICRO and CHAR_AND_BINARY_AS_BYTE_ARRAY modes (the end-to-end
 * path against MariaDB is {@code MySqlTypesGoldenIT}).
 */
class MySqlValueConvertersTest {

  private static Object convert(MySqlColumn column, Serializable value) {
    return MySqlValueConverters.converterFor(column).convert(value);
  }

  private static MySqlColumn col(Kind kind) {
    return new MySqlColumn("c", kind, false, 0, null, List.of());
  }

  private static MySqlColumn unsigned(Kind kind) {
    return new MySqlColumn("c", kind, true, 0, null, List.of());
  }

  private static MySqlColumn text(String charset) {
    return new MySqlColumn("c", Kind.TEXT, false, 0, charset, List.of());
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  /** What the library computes for a date/time (its UnixTime.from): proleptic from 1582-10-15, java.util.Calendar before. */
  /** The cell {@link BinlogDeserializers} hands over for these fields. */
  private static long libraryMicros(int year, int month, int day, int hour, int minute, int second, int micros) {
    return BinlogDeserializers.civilMillis(year, month, day, hour, minute, second, micros / 1000) * 1000 + micros % 1000;
  }

  // ---------------------------------------------------------------- integers

  @Test
  void shouldKeepSignedIntegersAsTheyAre() {
    assertThat(convert(col(Kind.TINYINT), -128)).isEqualTo(-128);
    assertThat(convert(col(Kind.SMALLINT), -32768)).isEqualTo(-32768);
    assertThat(convert(col(Kind.MEDIUMINT), -8388608)).isEqualTo(-8388608);
    assertThat(convert(col(Kind.INT), Integer.MIN_VALUE)).isEqualTo(Integer.MIN_VALUE);
    assertThat(convert(col(Kind.BIGINT), Long.MIN_VALUE)).isEqualTo(Long.MIN_VALUE);
    assertThat(convert(col(Kind.BIGINT), Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void shouldFixUnsignedIntegersThatArriveAsNegativeSignedOnes() {
    assertThat(convert(unsigned(Kind.TINYINT), -1)).isEqualTo(255);
    assertThat(convert(unsigned(Kind.TINYINT), 127)).isEqualTo(127);
    assertThat(convert(unsigned(Kind.TINYINT), -128)).isEqualTo(128);
    assertThat(convert(unsigned(Kind.SMALLINT), -1)).isEqualTo(65535);
    assertThat(convert(unsigned(Kind.MEDIUMINT), -1)).isEqualTo(16777215);
    assertThat(convert(unsigned(Kind.INT), -1)).isEqualTo(4294967295L);
    assertThat(convert(unsigned(Kind.INT), 0)).isEqualTo(0L);
  }

  @Test
  void shouldWriteUnsignedBigintAboveLongMaxAsAnExactDecimal() {
    assertThat(convert(unsigned(Kind.BIGINT), Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
    assertThat(convert(unsigned(Kind.BIGINT), 0L)).isEqualTo(0L);
    assertThat(convert(unsigned(Kind.BIGINT), -1L)).isEqualTo(new BigDecimal("18446744073709551615"));
    assertThat(convert(unsigned(Kind.BIGINT), Long.MIN_VALUE)).isEqualTo(new BigDecimal("9223372036854775808"));
  }

  // ---------------------------------------------------------------- decimals, floats, bits

  @Test
  void shouldKeepDecimalsExactWithTheirScale() {
    Object v = convert(col(Kind.DECIMAL), new BigDecimal("12345.6700"));
    assertThat(((BigDecimal) v).toPlainString()).isEqualTo("12345.6700");
    assertThat(((BigDecimal) convert(unsigned(Kind.DECIMAL), new BigDecimal("0.00"))).toPlainString()).isEqualTo("0.00");
  }

  @Test
  void shouldKeepFloatsAndDoubles() {
    assertThat(convert(col(Kind.FLOAT), 3.14f)).isEqualTo(3.14f);
    assertThat(convert(col(Kind.DOUBLE), -1.7976931348623157e308)).isEqualTo(-1.7976931348623157e308);
  }

  @Test
  void shouldWriteBitsAsZerosAndOnesMostSignificantFirst() {
    MySqlColumn bit1 = new MySqlColumn("flag", Kind.BIT, false, 1, null, List.of());
    MySqlColumn bit10 = new MySqlColumn("mask", Kind.BIT, false, 10, null, List.of());
    assertThat(convert(bit1, new BitSet())).isEqualTo("0");
    assertThat(convert(bit1, BitSet.valueOf(new long[] {1}))).isEqualTo("1");
    assertThat(convert(bit10, BitSet.valueOf(new long[] {0b1010000001}))).isEqualTo("1010000001");
    assertThat(convert(bit10, BitSet.valueOf(new long[] {0b11}))).isEqualTo("0000000011");
    assertThat(convert(bit10, BitSet.valueOf(new long[] {0x3FF}))).isEqualTo("1111111111");
    assertThatThrownBy(() -> convert(bit10, BitSet.valueOf(new long[] {0x400})))
        .hasMessageContaining("mask").hasMessageContaining("10 bits");
  }

  // ---------------------------------------------------------------- text and bytes

  @Test
  void shouldDecodeLatin1AsMySqlsCp1252() {
    assertThat(convert(text("latin1"), bytes(0xE9, 0x80))).isEqualTo("é€");
    // the five bytes cp1252 leaves undefined are C1 controls in MySQL's latin1
    assertThat(convert(text("latin1"), bytes(0x81, 0x8D, 0x8F, 0x90, 0x9D))).isEqualTo("\u0081\u008D\u008F\u0090\u009D");
    assertThat(convert(text("latin1"), bytes('a', 0xFF))).isEqualTo("aÿ");
  }

  @Test
  void shouldDecodeUtf8mb4AndUtf8mb3AndAscii() {
    String s = "Grüße, 世界 🚀";
    assertThat(convert(text("utf8mb4"), s.getBytes(StandardCharsets.UTF_8))).isEqualTo(s);
    assertThat(convert(text("utf8mb3"), "é".getBytes(StandardCharsets.UTF_8))).isEqualTo("é");
    assertThat(convert(text("ascii"), bytes('o', 'k'))).isEqualTo("ok");
    assertThat(convert(text("utf16"), "€".getBytes(StandardCharsets.UTF_16BE))).isEqualTo("€");
    assertThat(convert(text("utf8mb4"), new byte[0])).isEqualTo("");
  }

  @Test
  void shouldRefuseTextColumnsWhoseCharsetIsUnknownWhenResolving() {
    assertThatThrownBy(() -> MySqlValueConverters.converterFor(new MySqlColumn("note", Kind.TEXT, false, 0, null, List.of())))
        .hasMessageContaining("note").hasMessageContaining("unknown character set");
    assertThatThrownBy(() -> MySqlValueConverters.converterFor(new MySqlColumn("note", Kind.TEXT, false, 0, "armscii8", List.of())))
        .hasMessageContaining("note").hasMessageContaining("armscii8");
  }

  @Test
  void shouldRefuseStringsBecauseTheCharsetWouldBeTheLibrarysGuess() {
    assertThatThrownBy(() -> convert(text("utf8mb4"), "secret-value"))
        .hasMessageContaining("CHAR_AND_BINARY_AS_BYTE_ARRAY").hasMessageNotContaining("secret-value");
  }

  @Test
  void shouldKeepBinaryBytesAndRestoreTheZeroPaddingOfFixedBinary() {
    MySqlColumn binary4 = new MySqlColumn("b", Kind.BINARY, false, 4, null, List.of());
    assertThat((byte[]) convert(binary4, bytes(0x00, 0xFF, 0x10))).containsExactly(0x00, 0xFF, 0x10, 0x00);
    assertThat((byte[]) convert(binary4, new byte[0])).containsExactly(0, 0, 0, 0);
    assertThat((byte[]) convert(binary4, bytes(1, 2, 3, 4))).containsExactly(1, 2, 3, 4);
    assertThat((byte[]) convert(col(Kind.BINARY), bytes(0xCA, 0xFE))).containsExactly(0xCA, 0xFE);
    assertThat((byte[]) convert(col(Kind.BINARY), new byte[0])).isEmpty();
  }

  // ---------------------------------------------------------------- enum and set

  @Test
  void shouldWriteEnumLabelsAndTheEmptyErrorValue() {
    MySqlColumn mood = new MySqlColumn("mood", Kind.ENUM, false, 0, "utf8mb4", List.of("sad", "ok", "happy"));
    assertThat(convert(mood, 1)).isEqualTo("sad");
    assertThat(convert(mood, 3)).isEqualTo("happy");
    assertThat(convert(mood, 0)).isEqualTo("");
    assertThatThrownBy(() -> convert(mood, 4)).hasMessageContaining("mood").hasMessageContaining("3 labels");
  }

  @Test
  void shouldWriteSetMembersCommaJoinedInDefinitionOrder() {
    MySqlColumn tags = new MySqlColumn("tags", Kind.SET, false, 0, "latin1", List.of("a", "b", "c", "d"));
    assertThat(convert(tags, 0b1101L)).isEqualTo("a,c,d");
    assertThat(convert(tags, 0b1111L)).isEqualTo("a,b,c,d");
    assertThat(convert(tags, 0b0100L)).isEqualTo("c");
    assertThat(convert(tags, 0L)).isEqualTo("");
    assertThatThrownBy(() -> convert(tags, 0b10000L)).hasMessageContaining("tags");
  }

  // ---------------------------------------------------------------- dates and times

  @Test
  void shouldWriteDatesAsIsoDays() {
    assertThat(convert(col(Kind.DATE), libraryMicros(2024, 2, 29, 0, 0, 0, 0))).isEqualTo("2024-02-29");
    assertThat(convert(col(Kind.DATE), libraryMicros(1970, 1, 1, 0, 0, 0, 0))).isEqualTo("1970-01-01");
    assertThat(convert(col(Kind.DATE), libraryMicros(9999, 12, 31, 0, 0, 0, 0))).isEqualTo("9999-12-31");
    assertThat(convert(col(Kind.DATE), libraryMicros(1582, 10, 15, 0, 0, 0, 0))).isEqualTo("1582-10-15");
  }

  /**
   * Issue 10, finding 16: MySQL's dates are proleptic Gregorian in every year; the library counted
   * those before 1582-10-15 on the Julian calendar, so 1582-10-05 … 1582-10-14 came out ten days
   * later and year 0 dates as null.
   */
  @Test
  void shouldKeepProlepticGregorianDatesInEveryYear() {
    assertThat(convert(col(Kind.DATE), libraryMicros(1582, 10, 10, 0, 0, 0, 0))).isEqualTo("1582-10-10");
    assertThat(convert(col(Kind.DATE), libraryMicros(1582, 10, 5, 0, 0, 0, 0))).isEqualTo("1582-10-05");
    assertThat(convert(col(Kind.DATE), libraryMicros(1582, 10, 14, 0, 0, 0, 0))).isEqualTo("1582-10-14");
    assertThat(convert(col(Kind.DATE), libraryMicros(1582, 10, 4, 0, 0, 0, 0))).isEqualTo("1582-10-04");
    assertThat(convert(col(Kind.DATE), libraryMicros(1000, 1, 1, 0, 0, 0, 0))).isEqualTo("1000-01-01");
    assertThat(convert(col(Kind.DATE), libraryMicros(100, 3, 1, 0, 0, 0, 0))).isEqualTo("0100-03-01");
    assertThat(convert(col(Kind.DATE), libraryMicros(1, 1, 1, 0, 0, 0, 0))).isEqualTo("0001-01-01");
    assertThat(convert(col(Kind.DATE), libraryMicros(0, 1, 1, 0, 0, 0, 0))).isEqualTo("0000-01-01");
    assertThat(convert(col(Kind.DATETIME), libraryMicros(1000, 3, 1, 23, 59, 59, 999_999)))
        .isEqualTo("1000-03-01T23:59:59.999999");
    assertThat(convert(col(Kind.DATETIME), libraryMicros(1582, 10, 10, 12, 0, 0, 500_000)))
        .isEqualTo("1582-10-10T12:00:00.500000");
    for (LocalDate d = LocalDate.of(0, 1, 1); d.getYear() < 1600; d = d.plusDays(13)) {
      assertThat(convert(col(Kind.DATE), libraryMicros(d.getYear(), d.getMonthValue(), d.getDayOfMonth(), 0, 0, 0, 0)))
          .isEqualTo(String.format("%04d-%02d-%02d", d.getYear(), d.getMonthValue(), d.getDayOfMonth()));
    }
    assertThat(BinlogDeserializers.civilMillis(2024, 0, 0, 0, 0, 0, 0)).as("partial zero date").isNull();
    assertThat(BinlogDeserializers.civilMillis(0, 0, 0, 0, 0, 0, 0)).as("zero date").isNull();
    assertThat(BinlogDeserializers.civilMillis(2024, 2, 31, 0, 0, 0, 0)).as("ALLOW_INVALID_DATES runs on")
        .isEqualTo(BinlogDeserializers.civilMillis(2024, 3, 2, 0, 0, 0, 0));
  }

  @Test
  void shouldWriteTimesWithSixFractionDigitsBeyond24HoursAndNegative() {
    assertThat(convert(col(Kind.TIME), 37_230_000_000L)).isEqualTo("10:20:30.000000"); // fsp 0
    assertThat(convert(col(Kind.TIME), 37_230_100_000L)).isEqualTo("10:20:30.100000"); // fsp 1
    assertThat(convert(col(Kind.TIME), 37_230_120_000L)).isEqualTo("10:20:30.120000"); // fsp 2
    assertThat(convert(col(Kind.TIME), 37_230_123_000L)).isEqualTo("10:20:30.123000"); // fsp 3
    assertThat(convert(col(Kind.TIME), 37_230_123_400L)).isEqualTo("10:20:30.123400"); // fsp 4
    assertThat(convert(col(Kind.TIME), 37_230_123_450L)).isEqualTo("10:20:30.123450"); // fsp 5
    assertThat(convert(col(Kind.TIME), 37_230_123_456L)).isEqualTo("10:20:30.123456"); // fsp 6
    assertThat(convert(col(Kind.TIME), 0L)).isEqualTo("00:00:00.000000");
    long max = (838L * 3600 + 59 * 60 + 59) * 1_000_000 + 999_999;
    assertThat(convert(col(Kind.TIME), max)).isEqualTo("838:59:59.999999");
    assertThat(convert(col(Kind.TIME), -max)).isEqualTo("-838:59:59.999999");
    assertThat(convert(col(Kind.TIME), -1L)).isEqualTo("-00:00:00.000001");
    assertThat(convert(col(Kind.TIME), -3_600_000_000L)).isEqualTo("-01:00:00.000000");
  }

  private static long timeV2(int fsp, int... stored) throws Exception {
    return BinlogDeserializers.timeV2Micros(fsp,
        new com.github.shyiko.mysql.binlog.io.ByteArrayInputStream(bytes(stored)));
  }

  @Test
  void shouldDecodeTime2AsSignedMicrosecondsAtEveryFsp() throws Exception {
    // 10:20:30 = hms 0x00A51E, offset by 0x800000
    assertThat(timeV2(0, 0x80, 0xA5, 0x1E)).isEqualTo(37_230_000_000L);
    assertThat(timeV2(0, 0x7F, 0xFF, 0xFF)).isEqualTo(-1_000_000L); // -00:00:01
    assertThat(timeV2(0, 0x80, 0x00, 0x00)).isEqualTo(0L);
    assertThat(timeV2(2, 0x80, 0xA5, 0x1E, 12)).isEqualTo(37_230_120_000L); // 10:20:30.12
    assertThat(timeV2(2, 0x7F, 0xFF, 0xFF, 0xCE)).isEqualTo(-500_000L); // -00:00:00.50, fraction in complement
    assertThat(timeV2(4, 0x80, 0xA5, 0x1E, 0x04, 0xD2)).isEqualTo(37_230_123_400L); // 10:20:30.1234
    assertThat(timeV2(3, 0x7F, 0xFF, 0xFF, 0xFF, 0xF6)).isEqualTo(-1_000L); // -00:00:00.001
    assertThat(timeV2(6, 0x80, 0xA5, 0x1E, 0x01, 0xE2, 0x40)).isEqualTo(37_230_123_456L); // 10:20:30.123456
    assertThat(timeV2(6, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)).isEqualTo(-1L); // -00:00:00.000001
  }

  @Test
  void shouldWriteDatetimesWithoutZoneAndSixFractionDigits() {
    assertThat(convert(col(Kind.DATETIME), libraryMicros(2024, 1, 15, 10, 20, 30, 123_456)))
        .isEqualTo("2024-01-15T10:20:30.123456");
    assertThat(convert(col(Kind.DATETIME), libraryMicros(2024, 1, 15, 10, 20, 30, 0)))
        .isEqualTo("2024-01-15T10:20:30.000000");
    assertThat(convert(col(Kind.DATETIME), libraryMicros(2024, 1, 15, 10, 20, 30, 999_000)))
        .isEqualTo("2024-01-15T10:20:30.999000");
    assertThat(convert(col(Kind.DATETIME), libraryMicros(9999, 12, 31, 23, 59, 59, 999_999)))
        .isEqualTo("9999-12-31T23:59:59.999999");
    assertThat(convert(col(Kind.DATETIME), libraryMicros(1969, 12, 31, 23, 59, 59, 500_000)))
        .isEqualTo("1969-12-31T23:59:59.500000");
  }

  @Test
  void shouldWriteTimestampsInUtcWithZAndTheZeroTimestampAsNull() {
    assertThat(convert(col(Kind.TIMESTAMP), libraryMicros(2024, 1, 15, 4, 50, 30, 500_000)))
        .isEqualTo("2024-01-15T04:50:30.500000Z");
    assertThat(convert(col(Kind.TIMESTAMP), 1_000_000L)).isEqualTo("1970-01-01T00:00:01.000000Z");
    assertThat(convert(col(Kind.TIMESTAMP), 2_147_483_647_999_999L)).isEqualTo("2038-01-19T03:14:07.999999Z");
    assertThat(convert(col(Kind.TIMESTAMP), 0L)).isNull();
  }

  @Test
  void shouldWriteYearsAsNumbersAndTheLibrarys1900AsTheZeroYear() {
    assertThat(convert(col(Kind.YEAR), 2024)).isEqualTo(2024);
    assertThat(convert(col(Kind.YEAR), 1901)).isEqualTo(1901);
    assertThat(convert(col(Kind.YEAR), 2155)).isEqualTo(2155);
    assertThat(convert(col(Kind.YEAR), 1900)).isEqualTo(0);
  }

  @Test
  void shouldNameTheMissingCompatibilityModeWhenTemporalValuesAreNotMicros() {
    assertThatThrownBy(() -> convert(new MySqlColumn("created", Kind.DATETIME, false, 0, null, List.of()),
        new java.util.Date(0))).hasMessageContaining("created").hasMessageContaining("DATE_AND_TIME_AS_LONG_MICRO");
  }

  // ---------------------------------------------------------------- json and geometry

  @Test
  void shouldDecodeMySqlBinaryJson() throws Exception {
    ObjectMapper json = new ObjectMapper();
    assertThat(convert(col(Kind.JSON), bytes(0x04, 0x01))).isEqualTo(new JsonText("true"));
    assertThat(json.readTree(((JsonText) convert(col(Kind.JSON), bytes(0x05, 0x2A, 0x00))).json()).asInt()).isEqualTo(42);
    assertThat(json.readTree(((JsonText) convert(col(Kind.JSON), bytes(0x0C, 0x02, 'h', 'i'))).json()).asText())
        .isEqualTo("hi");
    // small object {"a": 1}: count, size, key entry (offset, length), value entry (int16 inline), key
    byte[] object = bytes(0x00, 0x01, 0x00, 0x0C, 0x00, 0x0B, 0x00, 0x01, 0x00, 0x05, 0x01, 0x00, 'a');
    assertThat(json.readTree(((JsonText) convert(col(Kind.JSON), object)).json()))
        .isEqualTo(json.readTree("{\"a\": 1}"));
    // the JSON literal null (a literal of value 0x00, or an empty value) is not SQL NULL
    assertThat(convert(col(Kind.JSON), bytes(0x04, 0x00))).isEqualTo(io.syncline.streams.event.JsonNull.LITERAL);
    assertThat(convert(col(Kind.JSON), new byte[0])).isEqualTo(io.syncline.streams.event.JsonNull.LITERAL);
  }

  @Test
  void shouldEmbedMariaDbJsonText() {
    MySqlColumn doc = new MySqlColumn("doc", Kind.TEXT, false, 0, "utf8mb4", List.of()).asJsonText();
    assertThat(doc.kind()).isEqualTo(Kind.JSON_TEXT);
    assertThat(convert(doc, "{\"k\": \"é\"}".getBytes(StandardCharsets.UTF_8))).isEqualTo(new JsonText("{\"k\": \"é\"}"));
    assertThatThrownBy(() -> col(Kind.INT).asJsonText()).hasMessageContaining("not a text column");
  }

  /** Issue 10, finding 18: the SRID was dropped. Debezium's form: {"wkb": base64 WKB, "srid": n}. */
  @Test
  void shouldWriteGeometryAsWkbWithItsSrid() {
    // SRID 4326 (little-endian) + WKB POINT(1 2)
    byte[] internal = bytes(0xE6, 0x10, 0, 0, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0x40);
    assertThat(convert(col(Kind.GEOMETRY), internal))
        .isEqualTo(new JsonText("{\"wkb\":\"AQEAAAAAAAAAAADwPwAAAAAAAABA\",\"srid\":4326}"));
    internal[0] = 0;
    internal[1] = 0;
    assertThat(convert(col(Kind.GEOMETRY), internal))
        .isEqualTo(new JsonText("{\"wkb\":\"AQEAAAAAAAAAAADwPwAAAAAAAABA\",\"srid\":0}"));
    assertThatThrownBy(() -> convert(new MySqlColumn("shape", Kind.GEOMETRY, false, 0, null, List.of()), bytes(0, 0, 0, 0)))
        .hasMessageContaining("shape");
  }

  // ---------------------------------------------------------------- columns

  @Test
  void shouldReadColumnsFromATableMapWithTheDefaultCharsetForm() {
    TableMapEventData map = new TableMapEventData();
    map.setDatabase("shop");
    map.setTable("items");
    // id int unsigned, name varchar(200) latin1, data varbinary, note text utf8mb4, mood enum,
    // shape geometry, code char(20) latin1, tag binary(4), made year
    map.setColumnTypes(bytes(3, 15, 15, 252, 254, 255, 254, 254, 13));
    map.setColumnMetadata(new int[] {0, 200, 10, 2, (247 << 8) | 1, 4, (254 << 8) | 20, (254 << 8) | 4, 0});
    TableMapEventMetadata meta = new TableMapEventMetadata();
    meta.setColumnNames(List.of("id", "name", "data", "note", "mood", "shape", "code", "tag", "made"));
    BitSet signedness = new BitSet();
    signedness.set(0);
    signedness.set(8); // MariaDB marks YEAR unsigned; it stays a plain YEAR
    meta.setSignedness(signedness);
    DefaultCharset charsets = new DefaultCharset();
    charsets.setDefaultCharsetCollation(8);
    // indexes count character columns only, geometry included: name 0, data 1, note 2, shape 3, code 4, tag 5
    charsets.setCharsetCollations(java.util.Map.of(1, 63, 2, 45, 3, 63, 5, 63));
    meta.setDefaultCharset(charsets);
    DefaultCharset enumCharsets = new DefaultCharset();
    enumCharsets.setDefaultCharsetCollation(45);
    meta.setEnumAndSetDefaultCharset(enumCharsets);
    meta.setEnumStrValues(List.<String[]>of(new String[] {"sad", "happy"}));
    map.setEventMetadata(meta);

    assertThat(MySqlColumn.fromTableMap(map)).containsExactly(
        new MySqlColumn("id", Kind.INT, true, 0, null, List.of()),
        new MySqlColumn("name", Kind.TEXT, false, 0, "latin1", List.of()),
        new MySqlColumn("data", Kind.BINARY, false, 0, null, List.of()),
        new MySqlColumn("note", Kind.TEXT, false, 0, "utf8mb4", List.of()),
        new MySqlColumn("mood", Kind.ENUM, false, 0, "utf8mb4", List.of("sad", "happy")),
        new MySqlColumn("shape", Kind.GEOMETRY, false, 0, null, List.of()),
        new MySqlColumn("code", Kind.TEXT, false, 0, "latin1", List.of()),
        new MySqlColumn("tag", Kind.BINARY, false, 4, null, List.of()),
        new MySqlColumn("made", Kind.YEAR, false, 0, null, List.of()));
  }

  @Test
  void shouldAskForFullRowMetadataWhenTheTableMapHasNoNames() {
    TableMapEventData map = new TableMapEventData();
    map.setDatabase("shop");
    map.setTable("items");
    map.setColumnTypes(bytes(3));
    map.setColumnMetadata(new int[] {0});
    map.setEventMetadata(new TableMapEventMetadata());
    assertThatThrownBy(() -> MySqlColumn.fromTableMap(map))
        .hasMessageContaining("shop.items").hasMessageContaining("binlog_row_metadata=FULL");
  }

  @Test
  void shouldParseEnumAndSetLabelsOfColumnType() {
    assertThat(MySqlColumn.labels("enum('a','b''c','d,e')")).containsExactly("a", "b'c", "d,e");
    assertThat(MySqlColumn.labels("set('x')")).containsExactly("x");
    assertThat(MySqlColumn.labels("enum('')")).containsExactly("");
  }

  @Test
  void shouldNameColumnAndTypeButNeverTheValueInErrors() {
    MySqlColumn price = new MySqlColumn("price", Kind.DECIMAL, false, 0, null, List.of());
    assertThatThrownBy(() -> convert(price, 123456789L))
        .hasMessageContaining("price").hasMessageContaining("decimal").hasMessageNotContaining("123456789");
  }

  @Test
  void shouldMapCollationIdsToCharsets() {
    assertThat(Collations.charsetOf(8)).isEqualTo("latin1");
    assertThat(Collations.charsetOf(45)).isEqualTo("utf8mb4");
    assertThat(Collations.charsetOf(33)).isEqualTo("utf8mb3");
    assertThat(Collations.charsetOf(63)).isEqualTo("binary");
    assertThat(Collations.charsetOf(255)).isEqualTo("utf8mb4"); // MySQL 8's utf8mb4_0900_ai_ci
    assertThat(Collations.charsetOf(-1)).isNull();
    assertThat(Collations.charsetOf(17)).isNull(); // an id no server uses
  }
}
