package io.syncline.streams.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDbPointer;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonJavaScript;
import org.bson.BsonJavaScriptWithScope;
import org.bson.BsonMaxKey;
import org.bson.BsonMinKey;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonSymbol;
import org.bson.BsonTimestamp;
import org.bson.BsonUndefined;
import org.bson.UuidRepresentation;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

class BsonJsonTest {

  @Test
  void doublesAreNumbersAndNonFiniteOnesStrings() {
    assertThat(BsonJson.toJson(new BsonDouble(2.718281828459045))).isEqualTo("2.718281828459045");
    assertThat(BsonJson.toJson(new BsonDouble(-1.5e300))).isEqualTo("-1.5E300");
    assertThat(BsonJson.toJson(new BsonDouble(-0.0))).isEqualTo("-0.0");
    assertThat(BsonJson.toJson(new BsonDouble(Double.NaN))).isEqualTo("\"NaN\"");
    assertThat(BsonJson.toJson(new BsonDouble(Double.POSITIVE_INFINITY))).isEqualTo("\"Infinity\"");
    assertThat(BsonJson.toJson(new BsonDouble(Double.NEGATIVE_INFINITY))).isEqualTo("\"-Infinity\"");
  }

  @Test
  void integersAreExactNumbers() {
    assertThat(BsonJson.toJson(new BsonInt32(Integer.MIN_VALUE))).isEqualTo("-2147483648");
    assertThat(BsonJson.toJson(new BsonInt64(Long.MAX_VALUE))).isEqualTo("9223372036854775807");
    assertThat(BsonJson.toJson(new BsonInt64(Long.MIN_VALUE))).isEqualTo("-9223372036854775808");
  }

  @Test
  void decimal128IsAnExactStringWithItsScaleAndNoExponent() {
    assertThat(dec("12345.6700")).isEqualTo("\"12345.6700\"");
    assertThat(dec("-0.0001")).isEqualTo("\"-0.0001\"");
    assertThat(dec("1E+3")).isEqualTo("\"1000\"");
    assertThat(dec("1.23E-10")).isEqualTo("\"0.000000000123\"");
    assertThat(dec("9999999999999999999999999999999999")).isEqualTo("\"9999999999999999999999999999999999\"");
    assertThat(dec("0.00")).isEqualTo("\"0.00\"");
    assertThat(dec("-0")).isEqualTo("\"-0\"");
    assertThat(dec("-0.00")).isEqualTo("\"-0.00\"");
    assertThat(BsonJson.toJson(new BsonDecimal128(Decimal128.NaN))).isEqualTo("\"NaN\"");
    assertThat(BsonJson.toJson(new BsonDecimal128(Decimal128.NEGATIVE_NaN))).isEqualTo("\"NaN\"");
    assertThat(BsonJson.toJson(new BsonDecimal128(Decimal128.POSITIVE_INFINITY))).isEqualTo("\"Infinity\"");
    assertThat(BsonJson.toJson(new BsonDecimal128(Decimal128.NEGATIVE_INFINITY))).isEqualTo("\"-Infinity\"");
  }

  @Test
  void stringsAreEscapedAndSymbolsAreStrings() {
    assertThat(BsonJson.toJson(new BsonString("a \"q\" \\ \n é 🚀"))).isEqualTo("\"a \\\"q\\\" \\\\ \\n é 🚀\"");
    assertThat(BsonJson.toJson(new BsonSymbol("sym"))).isEqualTo("\"sym\"");
  }

  @Test
  void booleansNullAndUndefined() {
    assertThat(BsonJson.toJson(BsonBoolean.TRUE)).isEqualTo("true");
    assertThat(BsonJson.toJson(BsonBoolean.FALSE)).isEqualTo("false");
    assertThat(BsonJson.toJson(BsonNull.VALUE)).isEqualTo("null");
    assertThat(BsonJson.toJson(new BsonUndefined())).isEqualTo("null");
  }

  @Test
  void objectIdIsItsHexString() {
    assertThat(BsonJson.toJson(new BsonObjectId(new ObjectId("5f1b2c3d4e5f6a7b8c9d0e1f"))))
        .isEqualTo("\"5f1b2c3d4e5f6a7b8c9d0e1f\"");
  }

  @Test
  void datesAreUtcInTheTimestamptzFormWithMilliseconds() {
    assertThat(BsonJson.toJson(new BsonDateTime(1705292430500L))).isEqualTo("\"2024-01-15T04:20:30.500000Z\"");
    assertThat(BsonJson.toJson(new BsonDateTime(0))).isEqualTo("\"1970-01-01T00:00:00.000000Z\"");
    assertThat(BsonJson.toJson(new BsonDateTime(-1))).isEqualTo("\"1969-12-31T23:59:59.999000Z\"");
    assertThat(BsonJson.toJson(new BsonDateTime(-62135596800000L))).isEqualTo("\"0001-01-01T00:00:00.000000Z\"");
    assertThat(BsonJson.toJson(new BsonDateTime(-62135596800001L))).isEqualTo("\"0000-12-31T23:59:59.999000Z\"");
    assertThat(BsonJson.toJson(new BsonDateTime(-63517824000000L))).isEqualTo("\"-0043-03-15T00:00:00.000000Z\"");
    assertThat(BsonJson.toJson(new BsonDateTime(253402300800000L))).isEqualTo("\"+10000-01-01T00:00:00.000000Z\"");
  }

  @Test
  void binaryIsBase64AndStandardUuidsAreUuidStrings() {
    assertThat(BsonJson.toJson(new BsonBinary(new byte[] {0, -1, 16}))).isEqualTo("\"AP8Q\"");
    assertThat(BsonJson.toJson(new BsonBinary(new byte[0]))).isEqualTo("\"\"");
    assertThat(BsonJson.toJson(new BsonBinary(BsonBinarySubType.MD5, new byte[] {1, 2, 3}))).isEqualTo("\"AQID\"");
    UUID uuid = UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    assertThat(BsonJson.toJson(new BsonBinary(uuid))).isEqualTo("\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
    BsonBinary legacy = new BsonBinary(uuid, UuidRepresentation.JAVA_LEGACY);
    assertThat(legacy.getType()).isEqualTo(BsonBinarySubType.UUID_LEGACY.getValue());
    assertThat(BsonJson.toJson(legacy)).isEqualTo("\"+E4LnJm87qARCji9uWttuw==\"");
    assertThat(BsonJson.toJson(new BsonBinary(BsonBinarySubType.UUID_STANDARD, new byte[] {1})))
        .isEqualTo("\"AQ==\""); // not 16 bytes: not a UUID, kept as bytes
  }

  @Test
  void typesWithoutJsonCounterpartUseCanonicalExtendedJsonWrappers() {
    assertThat(BsonJson.toJson(new BsonTimestamp(1700000000, 7))).isEqualTo("{\"$timestamp\":{\"t\":1700000000,\"i\":7}}");
    assertThat(BsonJson.toJson(new BsonTimestamp(-1L))).isEqualTo("{\"$timestamp\":{\"t\":4294967295,\"i\":4294967295}}");
    assertThat(BsonJson.toJson(new BsonRegularExpression("^a.*\"b", "im")))
        .isEqualTo("{\"$regularExpression\":{\"pattern\":\"^a.*\\\"b\",\"options\":\"im\"}}");
    assertThat(BsonJson.toJson(new BsonJavaScript("function() { return 1; }")))
        .isEqualTo("{\"$code\":\"function() { return 1; }\"}");
    assertThat(BsonJson.toJson(new BsonJavaScriptWithScope("x + y", new BsonDocument("x", new BsonInt32(1)))))
        .isEqualTo("{\"$code\":\"x + y\",\"$scope\":{\"x\":1}}");
    assertThat(BsonJson.toJson(new BsonMinKey())).isEqualTo("{\"$minKey\":1}");
    assertThat(BsonJson.toJson(new BsonMaxKey())).isEqualTo("{\"$maxKey\":1}");
    assertThat(BsonJson.toJson(new BsonDbPointer("db.coll", new ObjectId("5f1b2c3d4e5f6a7b8c9d0e1f"))))
        .isEqualTo("{\"$dbPointer\":{\"$ref\":\"db.coll\",\"$id\":{\"$oid\":\"5f1b2c3d4e5f6a7b8c9d0e1f\"}}}");
  }

  @Test
  void documentsAndArraysNestInFieldOrder() {
    BsonDocument doc = new BsonDocument()
        .append("z", new BsonInt32(1))
        .append("a", new BsonArray(java.util.List.of(new BsonString("x"), BsonNull.VALUE,
            new BsonDocument("n", new BsonArray(java.util.List.of(new BsonArray(), new BsonDocument()))))))
        .append("m", new BsonDocument("k", new BsonDecimal128(Decimal128.parse("1.10"))));
    assertThat(BsonJson.toJson(doc)).isEqualTo("{\"z\":1,\"a\":[\"x\",null,{\"n\":[[],{}]}],\"m\":{\"k\":\"1.10\"}}");
  }

  private static String dec(String s) {
    return BsonJson.toJson(new BsonDecimal128(Decimal128.parse(s)));
  }
}
