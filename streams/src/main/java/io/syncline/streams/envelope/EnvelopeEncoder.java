package io.syncline.streams.envelope;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.JsonNull;
import io.syncline.streams.event.JsonText;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.Unchanged;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@link ChangeEvent}s as Debezium-compatible JSON envelopes (schemas disabled):
 *
 * <pre>{"before":{…},"after":{…},"source":{…},"op":"u","ts_ms":…,"ts_us":…,"transaction":{…}}</pre>
 *
 * and message keys as a JSON object of the key columns. The one home of the envelope fields every
 * source shares, the markers of values that a bare JSON value cannot carry included:
 * {@code unchanged_toast} (columns the source did not send, {@link Unchanged#TOAST}) and
 * {@code json_null} (columns holding the JSON literal null, {@link JsonNull#LITERAL}, written as
 * {@code null} like SQL NULL). The connector-specific {@code source} object is {@link SourceBlock}'s;
 * MongoDB updates add a top-level {@code updateDescription} when the event has one
 * (docs/mongodb-source.md, section Envelope). Streaming generator, no reflection; column
 * names are escaped once per table definition. Not thread-safe: one encoder per stream stage.
 * The value model is documented in docs/type-mapping.md.
 */
public final class EnvelopeEncoder {

  public static final String VERSION = "0.1.0";

  private static final JsonFactory FACTORY = new JsonFactory();
  private static final Base64.Encoder BASE64 = Base64.getEncoder();
  private static final SerializedString BEFORE = new SerializedString("before");
  private static final SerializedString AFTER = new SerializedString("after");
  private static final SerializedString SOURCE = new SerializedString("source");
  private static final SerializedString OP = new SerializedString("op");
  private static final SerializedString TS_MS = new SerializedString("ts_ms");
  private static final SerializedString TS_US = new SerializedString("ts_us");
  private static final SerializedString TRANSACTION = new SerializedString("transaction");
  private static final SerializedString UNCHANGED_TOAST = new SerializedString("unchanged_toast");
  private static final SerializedString UPDATE_DESCRIPTION = new SerializedString("updateDescription");
  private static final SerializedString JSON_NULL = new SerializedString("json_null");
  private static final int MAX_CACHED = 10_000;

  private final ByteArrayBuilder buffer = new ByteArrayBuilder(1024);
  private JsonGenerator gen;
  private final Map<RowSchema, SerializedString[]> names = new IdentityHashMap<>();
  private final SourceBlock source = new SourceBlock();
  private final java.util.function.LongSupplier clockMicros;
  /** Columns of the event being written whose value is the JSON literal null, per image (reused). */
  private final List<String> jsonNullBefore = new ArrayList<>(2);
  private final List<String> jsonNullAfter = new ArrayList<>(2);

  public EnvelopeEncoder() {
    this(() -> {
      java.time.Instant now = java.time.Instant.now();
      return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    });
  }

  /** @param clockMicros processing time for the top-level {@code ts_ms}/{@code ts_us} (fixed in golden tests) */
  public EnvelopeEncoder(java.util.function.LongSupplier clockMicros) {
    this.clockMicros = clockMicros;
  }

  /** The message key: the key columns as a JSON object, or {@code null} when the table has no key (or a truncate). */
  public byte[] encodeKey(ChangeEvent event) {
    Row row = event.keyRow();
    if (row == null || row.schema().keyCount() == 0) {
      return null;
    }
    try {
      JsonGenerator g = generator();
      RowSchema schema = row.schema();
      SerializedString[] cols = namesOf(schema);
      g.writeStartObject();
      for (int i = 0; i < schema.keyCount(); i++) {
        int k = schema.keyIndex(i);
        g.writeFieldName(cols[k]);
        writeValue(g, row.get(k));
      }
      g.writeEndObject();
    } catch (IOException e) {
      gen = null; // in an unknown state: the next call makes a new one
      throw new UncheckedIOException(e);
    }
    return take();
  }

  /** The envelope JSON of one event. */
  public byte[] encodeValue(ChangeEvent event) {
    try {
      JsonGenerator g = generator();
      g.writeStartObject();
      jsonNullBefore.clear();
      jsonNullAfter.clear();
      g.writeFieldName(BEFORE);
      writeRow(g, event.before(), jsonNullBefore);
      g.writeFieldName(AFTER);
      writeRow(g, event.after(), jsonNullAfter);
      g.writeFieldName(SOURCE);
      source.write(g, event);
      g.writeFieldName(OP);
      g.writeString(event.op().code());
      long nowMicros = clockMicros.getAsLong();
      g.writeFieldName(TS_MS);
      g.writeNumber(nowMicros / 1000);
      g.writeFieldName(TS_US);
      g.writeNumber(nowMicros);
      g.writeFieldName(TRANSACTION);
      if (event.txId() == null) {
        g.writeNull();
      } else {
        g.writeStartObject();
        g.writeStringField("id", event.txId());
        g.writeNumberField("total_order", event.txOrder());
        g.writeEndObject();
      }
      if (event.updateDescription() != null) {
        g.writeFieldName(UPDATE_DESCRIPTION);
        g.writeRawValue(event.updateDescription().json());
      }
      List<String> unchanged = event.unchangedToast();
      if (!unchanged.isEmpty()) {
        g.writeFieldName(UNCHANGED_TOAST);
        g.writeStartArray();
        for (String c : unchanged) {
          g.writeString(c);
        }
        g.writeEndArray();
      }
      if (!jsonNullBefore.isEmpty() || !jsonNullAfter.isEmpty()) {
        g.writeFieldName(JSON_NULL);
        g.writeStartObject();
        writeColumns(g, "before", jsonNullBefore);
        writeColumns(g, "after", jsonNullAfter);
        g.writeEndObject();
      }
      g.writeEndObject();
    } catch (IOException e) {
      gen = null; // in an unknown state: the next call makes a new one
      throw new UncheckedIOException(e);
    }
    return take();
  }

  private static void writeColumns(JsonGenerator g, String field, List<String> columns) throws IOException {
    if (columns.isEmpty()) {
      return;
    }
    g.writeFieldName(field);
    g.writeStartArray();
    for (String c : columns) {
      g.writeString(c);
    }
    g.writeEndArray();
  }

  /**
   * The encoder's one generator, over {@link #buffer}: each key or value is one root-level JSON value,
   * flushed and taken out by {@link #take()} (no separator between root values). Making a generator per
   * record cost as much as writing the record's source block.
   */
  private JsonGenerator generator() throws IOException {
    buffer.reset();
    if (gen == null) {
      gen = FACTORY.createGenerator(buffer, JsonEncoding.UTF8);
      gen.setRootValueSeparator(null);
    }
    return gen;
  }

  private byte[] take() {
    try {
      gen.flush();
    } catch (IOException e) {
      gen = null;
      throw new UncheckedIOException(e);
    }
    byte[] out = buffer.toByteArray();
    buffer.reset();
    return out;
  }

  private SerializedString[] namesOf(RowSchema schema) {
    SerializedString[] cached = names.get(schema);
    if (cached == null) {
      String[] cols = schema.columns();
      cached = new SerializedString[cols.length];
      for (int i = 0; i < cols.length; i++) {
        cached[i] = new SerializedString(cols[i]);
      }
      if (names.size() > MAX_CACHED) {
        names.clear(); // table definitions churned (many ALTERs): start over rather than grow
      }
      names.put(schema, cached);
    }
    return cached;
  }

  /** Writes a row image; adds the columns holding the JSON literal null to {@code jsonNull}. */
  private void writeRow(JsonGenerator g, Row row, List<String> jsonNull) throws IOException {
    if (row == null) {
      g.writeNull();
      return;
    }
    SerializedString[] cols = namesOf(row.schema());
    Object[] values = row.values();
    g.writeStartObject();
    for (int i = 0; i < values.length; i++) {
      g.writeFieldName(cols[i]);
      if (values[i] == JsonNull.LITERAL) {
        jsonNull.add(cols[i].getValue());
      }
      writeValue(g, values[i]);
    }
    g.writeEndObject();
  }

  /** Writes one value of the JSON value model (see {@link Row}). */
  static void writeValue(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Long l) {
      g.writeNumber(l);
    } else if (v instanceof Integer i) {
      g.writeNumber(i);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Double d) {
      writeDouble(g, d);
    } else if (v instanceof Float f) {
      if (Float.isFinite(f)) {
        g.writeNumber(f);
      } else {
        writeDouble(g, f.doubleValue());
      }
    } else if (v instanceof Short s) {
      g.writeNumber(s);
    } else if (v instanceof BigDecimal d) {
      g.writeString(d.toPlainString());
    } else if (v instanceof byte[] bytes) {
      g.writeString(BASE64.encodeToString(bytes));
    } else if (v instanceof JsonText j) {
      g.writeRawValue(j.json());
    } else if (v instanceof List<?> list) {
      g.writeStartArray();
      for (Object item : list) {
        writeValue(g, item);
      }
      g.writeEndArray();
    } else if (v == Unchanged.TOAST) {
      g.writeString(Unchanged.PLACEHOLDER);
    } else if (v == JsonNull.LITERAL) {
      g.writeNull(); // listed in json_null by writeRow (an element of an array is not)
    } else {
      throw new IllegalArgumentException(
          "value of type " + v.getClass().getName() + " is outside the JSON value model (docs/type-mapping.md)");
    }
  }

  /** A double as JSON: a number, or the strings {@code NaN}, {@code Infinity}, {@code -Infinity} (docs/type-mapping.md). */
  public static void writeDouble(JsonGenerator g, double d) throws IOException {
    if (Double.isNaN(d)) {
      g.writeString("NaN");
    } else if (d == Double.POSITIVE_INFINITY) {
      g.writeString("Infinity");
    } else if (d == Double.NEGATIVE_INFINITY) {
      g.writeString("-Infinity");
    } else {
      g.writeNumber(d);
    }
  }
}
