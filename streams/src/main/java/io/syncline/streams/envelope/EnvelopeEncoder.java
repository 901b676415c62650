package io.syncline.streams.envelope;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.MongoPosition;
import io.syncline.persistence.PgPosition;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.JsonText;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.event.Unchanged;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.Base64;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@link ChangeEvent}s as Debezium-compatible JSON envelopes (schemas disabled):
 *
 * <pre>{"before":{…},"after":{…},"source":{…},"op":"u","ts_ms":…,"ts_us":…,"transaction":{…}}</pre>
 *
 * and message keys as a JSON object of the key columns. MongoDB events (connector {@code mongodb}) get
 * Debezium MongoDB's source fields ({@code collection}, {@code ord}, {@code lsid}, {@code txnNumber})
 * instead of {@code schema}/{@code table} and the log position, and a top-level
 * {@code updateDescription} when the event has one (docs/mongodb-source.md, section Envelope).
 * Streaming generator, no reflection; column
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
  // the relational source block's fields and fixed values, quoted once
  private static final SerializedString F_VERSION = new SerializedString("version");
  private static final SerializedString F_CONNECTOR = new SerializedString("connector");
  private static final SerializedString F_NAME = new SerializedString("name");
  private static final SerializedString F_SNAPSHOT = new SerializedString("snapshot");
  private static final SerializedString F_DB = new SerializedString("db");
  private static final SerializedString F_SCHEMA = new SerializedString("schema");
  private static final SerializedString F_TABLE = new SerializedString("table");
  private static final SerializedString F_TXID = new SerializedString("txId");
  private static final SerializedString F_LSN = new SerializedString("lsn");
  private static final SerializedString F_FILE = new SerializedString("file");
  private static final SerializedString F_POS = new SerializedString("pos");
  private static final SerializedString F_ROW = new SerializedString("row");
  private static final SerializedString F_GTID = new SerializedString("gtid");
  private static final SerializedString V_VERSION = new SerializedString(VERSION);
  private static final SerializedString V_TRUE = new SerializedString("true");
  private static final SerializedString V_FALSE = new SerializedString("false");
  private static final SerializedString OP = new SerializedString("op");
  private static final SerializedString TS_MS = new SerializedString("ts_ms");
  private static final SerializedString TS_US = new SerializedString("ts_us");
  private static final SerializedString TRANSACTION = new SerializedString("transaction");
  private static final SerializedString UNCHANGED_TOAST = new SerializedString("unchanged_toast");
  private static final SerializedString UPDATE_DESCRIPTION = new SerializedString("updateDescription");
  private static final String MONGODB = "mongodb";
  private static final int MAX_CACHED = 10_000;

  private final ByteArrayBuilder buffer = new ByteArrayBuilder(1024);
  private JsonGenerator gen;
  private final Map<RowSchema, SerializedString[]> names = new IdentityHashMap<>();
  private final Map<TableRef, SerializedString[]> sources = new IdentityHashMap<>();
  private final java.util.function.LongSupplier clockMicros;

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
      g.writeFieldName(BEFORE);
      writeRow(g, event.before());
      g.writeFieldName(AFTER);
      writeRow(g, event.after());
      g.writeFieldName(SOURCE);
      writeSource(g, event);
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
      g.writeEndObject();
    } catch (IOException e) {
      gen = null; // in an unknown state: the next call makes a new one
      throw new UncheckedIOException(e);
    }
    return take();
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

  private void writeSource(JsonGenerator g, ChangeEvent e) throws IOException {
    TableRef t = e.table();
    SerializedString[] fixed = sources.get(t);
    if (fixed == null) {
      if (sources.size() > MAX_CACHED) {
        sources.clear(); // tables churned (MongoDB collections created and dropped): start over rather than grow
      }
      fixed = sourceStrings(t);
      sources.put(t, fixed);
    }
    if (MONGODB.equals(t.connector())) {
      writeMongoSource(g, e, fixed);
      return;
    }
    long micros = e.commitMicros();
    g.writeStartObject();
    g.writeFieldName(F_VERSION);
    g.writeString(V_VERSION);
    g.writeFieldName(F_CONNECTOR);
    g.writeString(fixed[0]);
    g.writeFieldName(F_NAME);
    g.writeString(fixed[1]);
    g.writeFieldName(TS_MS);
    g.writeNumber(micros / 1000);
    g.writeFieldName(TS_US);
    g.writeNumber(micros);
    g.writeFieldName(F_SNAPSHOT);
    g.writeString(e.snapshot() ? V_TRUE : V_FALSE);
    g.writeFieldName(F_DB);
    g.writeString(fixed[2]);
    g.writeFieldName(F_SCHEMA);
    g.writeString(fixed[3]);
    g.writeFieldName(F_TABLE);
    g.writeString(fixed[4]);
    writePosition(g, e.position());
    g.writeFieldName(F_TXID);
    if (e.txId() == null) {
      g.writeNull();
    } else {
      g.writeString(e.txId());
    }
    g.writeEndObject();
  }

  /** Debezium MongoDB's source block. */
  private static void writeMongoSource(JsonGenerator g, ChangeEvent e, SerializedString[] fixed) throws IOException {
    if (!(e.position() instanceof MongoPosition p)) {
      throw new IllegalArgumentException("MongoDB event of " + e.table() + " without a MongoDB position");
    }
    long micros = e.commitMicros();
    g.writeStartObject();
    g.writeStringField("version", VERSION);
    g.writeFieldName("connector");
    g.writeString(fixed[0]);
    g.writeFieldName("name");
    g.writeString(fixed[1]);
    g.writeNumberField("ts_ms", micros / 1000);
    g.writeNumberField("ts_us", micros);
    g.writeStringField("snapshot", e.snapshot() ? "true" : "false");
    g.writeFieldName("db");
    g.writeString(fixed[2]);
    g.writeFieldName("collection");
    g.writeString(fixed[4]);
    g.writeNumberField("ord", p.increment());
    String txId = e.txId();
    int colon = txId == null ? -1 : txId.lastIndexOf(':');
    if (colon > 0 && colon < txId.length() - 1 && isDigits(txId, colon + 1)) { // MongoChangeDecoder's <lsid.id>:<txnNumber>
      g.writeStringField("lsid", txId.substring(0, colon));
      g.writeFieldName("txnNumber");
      g.writeNumber(txId.substring(colon + 1));
    } else if (txId != null) {
      g.writeStringField("txId", txId);
    }
    g.writeEndObject();
  }

  private static boolean isDigits(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static void writePosition(JsonGenerator g, SourcePosition position) throws IOException {
    if (position instanceof PgPosition p) {
      g.writeFieldName(F_LSN);
      g.writeNumber(p.commitLsn());
    } else if (position instanceof BinlogPosition b) {
      // Debezium's MySQL source fields
      g.writeFieldName(F_FILE);
      g.writeString(b.file());
      g.writeFieldName(F_POS);
      g.writeNumber(b.offset());
      g.writeFieldName(F_ROW);
      g.writeNumber(b.index() == BinlogPosition.COMPLETE ? 0 : Math.max(0, b.index() - 1));
      g.writeFieldName(F_GTID);
      if (b.gtid() == null) {
        g.writeNull();
      } else {
        g.writeString(b.gtid());
      }
    } else if (position != null) {
      throw new IllegalArgumentException("no envelope fields for position kind " + position.getClass().getName());
    }
  }

  private static SerializedString[] sourceStrings(TableRef t) {
    return new SerializedString[] {
      new SerializedString(t.connector()),
      new SerializedString(t.source()),
      new SerializedString(t.database()),
      new SerializedString(t.schema()),
      new SerializedString(t.table())
    };
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

  private void writeRow(JsonGenerator g, Row row) throws IOException {
    if (row == null) {
      g.writeNull();
      return;
    }
    SerializedString[] cols = namesOf(row.schema());
    Object[] values = row.values();
    g.writeStartObject();
    for (int i = 0; i < values.length; i++) {
      g.writeFieldName(cols[i]);
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
