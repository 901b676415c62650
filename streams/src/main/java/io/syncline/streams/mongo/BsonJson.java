package io.syncline.streams.mongo;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SegmentedStringWriter;
import com.fasterxml.jackson.core.util.BufferRecycler;
import io.syncline.streams.envelope.EnvelopeEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import io.syncline.streams.event.TimeText;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonDbPointer;
import org.bson.BsonDocument;
import org.bson.BsonJavaScriptWithScope;
import org.bson.BsonRegularExpression;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.types.Decimal128;

/**
 * The one BSON → JSON mapping of Syncline (docs/type-mapping.md, section MongoDB), consistent with
 * the relational mapping where the types correspond:
 *
 * <ul>
 *   <li>double: number; NaN and infinities as the strings {@code "NaN"}, {@code "Infinity"},
 *       {@code "-Infinity"} (as PostgreSQL {@code double precision});
 *   <li>int32, int64: number, exact;
 *   <li>Decimal128: string with the exact digits and scale, never an exponent (as {@code numeric});
 *       {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}; negative zero keeps its sign;
 *   <li>string, symbol: string; boolean: boolean; null and undefined: null;
 *   <li>document: object in field order; array: array;
 *   <li>ObjectId: its 24 hex digits as a string;
 *   <li>date: string {@code YYYY-MM-DDTHH:MM:SS.ffffffZ} in UTC, the form of {@code timestamptz}
 *       (BSON dates have milliseconds: the last three digits are 0); years outside 0..9999 in the
 *       ISO-8601 expanded form ({@code -0043-…}, {@code +20000-…});
 *   <li>binary: base64 string; subtype 4 (standard UUID) of 16 bytes: the UUID string, as PostgreSQL
 *       {@code uuid}; subtype 3 (legacy UUID, byte order depends on the driver that wrote it) stays base64;
 *   <li>no JSON counterpart: the canonical Extended JSON v2 wrapper: timestamp
 *       {@code {"$timestamp":{"t":…,"i":…}}}, regex {@code {"$regularExpression":{"pattern":…,"options":…}}},
 *       JavaScript {@code {"$code":…}} (with scope: {@code {"$code":…,"$scope":{…}}}, the scope in this
 *       mapping), MinKey {@code {"$minKey":1}}, MaxKey {@code {"$maxKey":1}}, DBPointer
 *       {@code {"$dbPointer":{"$ref":…,"$id":{"$oid":…}}}}.
 * </ul>
 *
 * Jackson's streaming generator, no reflection. Stateless and thread-safe.
 */
public final class BsonJson {

  private static final JsonFactory FACTORY = new JsonFactory();
  private static final Base64.Encoder BASE64 = Base64.getEncoder();

  private BsonJson() {}

  /** One BSON value (a whole document too) as JSON text. */
  public static String toJson(BsonValue value) {
    SegmentedStringWriter out = new SegmentedStringWriter(new BufferRecycler());
    try {
      try (JsonGenerator g = FACTORY.createGenerator(out)) {
        write(g, value);
      }
      return out.getAndClear();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes one BSON value with {@code g}. */
  public static void write(JsonGenerator g, BsonValue v) throws IOException {
    switch (v.getBsonType()) {
      case DOUBLE -> EnvelopeEncoder.writeDouble(g, v.asDouble().getValue());
      case STRING -> g.writeString(v.asString().getValue());
      case DOCUMENT -> writeDocument(g, v.asDocument());
      case ARRAY -> {
        g.writeStartArray();
        for (BsonValue item : v.asArray()) {
          write(g, item);
        }
        g.writeEndArray();
      }
      case BINARY -> writeBinary(g, v.asBinary());
      case OBJECT_ID -> g.writeString(v.asObjectId().getValue().toHexString());
      case BOOLEAN -> g.writeBoolean(v.asBoolean().getValue());
      case DATE_TIME -> g.writeString(date(v.asDateTime().getValue()));
      case NULL, UNDEFINED -> g.writeNull();
      case REGULAR_EXPRESSION -> {
        BsonRegularExpression r = v.asRegularExpression();
        g.writeStartObject();
        g.writeObjectFieldStart("$regularExpression");
        g.writeStringField("pattern", r.getPattern());
        g.writeStringField("options", r.getOptions());
        g.writeEndObject();
        g.writeEndObject();
      }
      case JAVASCRIPT -> {
        g.writeStartObject();
        g.writeStringField("$code", v.asJavaScript().getCode());
        g.writeEndObject();
      }
      case JAVASCRIPT_WITH_SCOPE -> {
        BsonJavaScriptWithScope js = v.asJavaScriptWithScope();
        g.writeStartObject();
        g.writeStringField("$code", js.getCode());
        g.writeFieldName("$scope");
        writeDocument(g, js.getScope());
        g.writeEndObject();
      }
      case SYMBOL -> g.writeString(v.asSymbol().getSymbol());
      case INT32 -> g.writeNumber(v.asInt32().getValue());
      case TIMESTAMP -> {
        BsonTimestamp t = v.asTimestamp();
        g.writeStartObject();
        g.writeObjectFieldStart("$timestamp");
        g.writeNumberField("t", Integer.toUnsignedLong(t.getTime()));
        g.writeNumberField("i", Integer.toUnsignedLong(t.getInc()));
        g.writeEndObject();
        g.writeEndObject();
      }
      case INT64 -> g.writeNumber(v.asInt64().getValue());
      case DECIMAL128 -> g.writeString(decimal(v.asDecimal128().getValue()));
      case MIN_KEY -> {
        g.writeStartObject();
        g.writeNumberField("$minKey", 1);
        g.writeEndObject();
      }
      case MAX_KEY -> {
        g.writeStartObject();
        g.writeNumberField("$maxKey", 1);
        g.writeEndObject();
      }
      case DB_POINTER -> {
        BsonDbPointer p = v.asDBPointer();
        g.writeStartObject();
        g.writeObjectFieldStart("$dbPointer");
        g.writeStringField("$ref", p.getNamespace());
        g.writeObjectFieldStart("$id");
        g.writeStringField("$oid", p.getId().toHexString());
        g.writeEndObject();
        g.writeEndObject();
        g.writeEndObject();
      }
      case END_OF_DOCUMENT -> throw new IllegalArgumentException("END_OF_DOCUMENT is not a BSON value");
    }
  }

  private static void writeDocument(JsonGenerator g, BsonDocument doc) throws IOException {
    g.writeStartObject();
    for (Map.Entry<String, BsonValue> field : doc.entrySet()) {
      g.writeFieldName(field.getKey());
      write(g, field.getValue());
    }
    g.writeEndObject();
  }

  private static void writeBinary(JsonGenerator g, BsonBinary b) throws IOException {
    byte[] data = b.getData();
    if (b.getType() == BsonBinarySubType.UUID_STANDARD.getValue() && data.length == 16) {
      g.writeString(b.asUuid().toString());
    } else {
      g.writeString(BASE64.encodeToString(data));
    }
  }

  /** Exact digits and scale in plain notation; NaN, infinities and negative zero spelled out. */
  static String decimal(Decimal128 d) {
    if (d.isNaN()) {
      return "NaN";
    }
    if (d.isInfinite()) {
      return d.isNegative() ? "-Infinity" : "Infinity";
    }
    // Decimal128.toString is the exact IEEE 754-2008 string (possibly with an exponent); BigDecimal
    // keeps its unscaled value and scale, and prints it without an exponent.
    String plain = new BigDecimal(d.toString()).toPlainString();
    return d.isNegative() && plain.charAt(0) != '-' ? "-" + plain : plain;
  }

  /** Milliseconds since the epoch as {@code YYYY-MM-DDTHH:MM:SS.ffffffZ} (UTC), the timestamptz form. */
  static String date(long millis) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(millis, 1000), 0, ZoneOffset.UTC);
    return TimeText.dateTime(t, (int) Math.floorMod(millis, 1000) * 1000, true);
  }
}
