package io.syncline.streams.envelope;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.MongoPosition;
import io.syncline.persistence.PgPosition;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.TableRef;
import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The one home of connector-specific envelope fields: the {@code source} object, whose fields
 * depend on the kind of source, told by the kind of the event's position (a sealed
 * {@link SourcePosition}, not the connector's name): PostgreSQL's {@code lsn}; MySQL/MariaDB's
 * {@code file}, {@code pos}, {@code row}, {@code gtid} (Debezium's MySQL fields); MongoDB's
 * {@code collection}, {@code ord}, {@code lsid}, {@code txnNumber} instead of {@code schema},
 * {@code table} and a log position (Debezium MongoDB's, docs/mongodb-source.md). Everything else
 * of the envelope is the same for every source ({@link EnvelopeEncoder}). The fixed strings of a
 * table are quoted once. Not thread-safe: one per encoder.
 */
final class SourceBlock {

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
  private static final SerializedString TS_MS = new SerializedString("ts_ms");
  private static final SerializedString TS_US = new SerializedString("ts_us");
  private static final SerializedString V_VERSION = new SerializedString(EnvelopeEncoder.VERSION);
  private static final SerializedString V_TRUE = new SerializedString("true");
  private static final SerializedString V_FALSE = new SerializedString("false");
  private static final String VERSION = EnvelopeEncoder.VERSION;
  private static final int MAX_CACHED = 10_000;

  private final Map<TableRef, SerializedString[]> sources = new IdentityHashMap<>();

  /** Writes the event's {@code source} object: the fields of its source kind, chosen by its position's kind. */
  void write(JsonGenerator g, ChangeEvent e) throws IOException {
    TableRef t = e.table();
    SerializedString[] fixed = sources.get(t);
    if (fixed == null) {
      if (sources.size() > MAX_CACHED) {
        sources.clear(); // tables churned (MongoDB collections created and dropped): start over rather than grow
      }
      fixed = sourceStrings(t);
      sources.put(t, fixed);
    }
    if (e.position() instanceof MongoPosition p) {
      writeMongo(g, e, p, fixed);
    } else {
      writeRelational(g, e, fixed);
    }
  }

  /** PostgreSQL's and MySQL/MariaDB's source block (Debezium's fields of each). */
  private static void writeRelational(JsonGenerator g, ChangeEvent e, SerializedString[] fixed) throws IOException {
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
  private static void writeMongo(JsonGenerator g, ChangeEvent e, MongoPosition p, SerializedString[] fixed)
      throws IOException {
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
}
