package io.syncline.streams.mongo;

import io.syncline.persistence.MongoPosition;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.JsonText;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonDocument;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

/**
 * Decodes one MongoDB change-stream event, the raw document the server sends (shape:
 * https://www.mongodb.com/docs/manual/reference/change-events/), into a {@link ChangeEvent} or a
 * schema/control signal. Pure: no I/O. Not thread-safe (caches): one decoder per stream.
 *
 * <p>A document becomes a {@link Row} with one column per top-level field, in field order, each
 * value the {@link JsonText} of {@link BsonJson}; the key column is {@code _id}. Event mapping per
 * operation type: docs/mongodb-source.md, section "Event mapping".
 */
public final class MongoChangeDecoder {

  /** Connector kind of MongoDB tables ({@link TableRef#connector()}). */
  public static final String CONNECTOR = "mongodb";

  private static final String ID = "_id";
  private static final int MAX_CACHED = 1024;
  /** Resume tokens are kept as canonical Extended JSON (a token may carry BinData {@code _typeBits}). */
  static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

  /** What one change-stream event decodes to. Every case carries the event's position. */
  public sealed interface Decoded {
    MongoPosition position();

    /** insert, update, replace, delete: one change event. */
    record Change(ChangeEvent event) implements Decoded {
      @Override
      public MongoPosition position() {
        return (MongoPosition) event.position();
      }
    }

    /**
     * The collection was dropped. {@code truncate} is its envelope: an {@code op = t} event on the
     * collection (every document is gone), to be delivered like a change.
     */
    record Dropped(TableRef table, ChangeEvent truncate) implements Decoded {
      @Override
      public MongoPosition position() {
        return (MongoPosition) truncate.position();
      }
    }

    /**
     * Collection {@code from} was renamed to {@code to}. {@code truncate} is the envelope: an
     * {@code op = t} event on {@code from} (its documents are no longer there). The documents now in
     * {@code to} produce no events: the capture source decides whether to snapshot {@code to}.
     */
    record Renamed(TableRef from, TableRef to, ChangeEvent truncate) implements Decoded {
      @Override
      public MongoPosition position() {
        return (MongoPosition) truncate.position();
      }
    }

    /**
     * The database was dropped. The server sends a {@code drop} for each of its collections before
     * this event; no envelope of its own.
     */
    record DatabaseDropped(String database, MongoPosition position, long commitMicros) implements Decoded {}

    /**
     * The change stream is invalid (its collection or database was dropped or renamed) and the server
     * closes it. No envelope; a new stream may start after this event's token ({@code startAfter}).
     */
    record Invalidated(MongoPosition position, long commitMicros) implements Decoded {}

    /**
     * An operation type with no data meaning here (e.g. {@code create}, {@code createIndexes},
     * {@code modify}, sent only with {@code showExpandedEvents}): nothing to deliver, the position
     * still moves.
     */
    record Ignored(String operationType, MongoPosition position) implements Decoded {}
  }

  private final String sourceName;
  private final Map<List<String>, RowSchema> schemas = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<List<String>, RowSchema> eldest) {
      return size() > MAX_CACHED;
    }
  };
  private final Map<String, Map<String, TableRef>> tables = new HashMap<>();
  private int tableCount;

  public MongoChangeDecoder(String sourceName) {
    this.sourceName = sourceName;
  }

  /** The table of a collection: schema = database, as MySQL's databases. */
  public static TableRef table(String sourceName, String db, String collection) {
    return new TableRef(CONNECTOR, sourceName, db, db, collection);
  }

  /**
   * Decodes one change-stream event.
   *
   * @param changeEvent the raw event document, as the server sends it
   * @param index 1-based order of this event among the events of its cluster time (the caller counts)
   */
  public Decoded decode(BsonDocument changeEvent, long index) {
    if (index < 1 || index == MongoPosition.COMPLETE) {
      throw new IllegalArgumentException("index of a change event must be 1 or more, not " + index);
    }
    String opType = requiredString(changeEvent, "operationType", "(unknown)");
    BsonValue clusterTime = changeEvent.get("clusterTime");
    if (clusterTime == null || !clusterTime.isTimestamp()) {
      throw malformed(opType, changeEvent, "no timestamp 'clusterTime'");
    }
    BsonValue id = changeEvent.get(ID);
    if (id == null || !id.isDocument()) {
      throw malformed(opType, changeEvent, "no resume token document '_id'");
    }
    BsonTimestamp ts = clusterTime.asTimestamp();
    MongoPosition position = new MongoPosition(Integer.toUnsignedLong(ts.getTime()), Integer.toUnsignedLong(ts.getInc()),
        index, id.asDocument().toJson(CANONICAL));
    BsonValue wallTime = changeEvent.get("wallTime");
    long commitMicros = wallTime != null && wallTime.isDateTime()
        ? wallTime.asDateTime().getValue() * 1000
        : position.seconds() * 1_000_000;
    return switch (opType) {
      case "insert", "update", "replace", "delete" -> new Decoded.Change(change(opType, changeEvent, position,
          commitMicros, index));
      case "drop" -> {
        TableRef t = namespace(opType, changeEvent, "ns");
        yield new Decoded.Dropped(t, truncate(t, changeEvent, position, commitMicros, index));
      }
      case "rename" -> {
        TableRef from = namespace(opType, changeEvent, "ns");
        TableRef to = namespace(opType, changeEvent, "to");
        yield new Decoded.Renamed(from, to, truncate(from, changeEvent, position, commitMicros, index));
      }
      case "dropDatabase" -> {
        BsonValue ns = changeEvent.get("ns");
        if (ns == null || !ns.isDocument() || !ns.asDocument().isString("db")) {
          throw malformed(opType, changeEvent, "no 'ns.db'");
        }
        yield new Decoded.DatabaseDropped(ns.asDocument().getString("db").getValue(), position, commitMicros);
      }
      case "invalidate" -> new Decoded.Invalidated(position, commitMicros);
      default -> new Decoded.Ignored(opType, position);
    };
  }

  /** A document read by the initial snapshot: {@code op = r}, {@code snapshot = true}, no transaction. */
  public ChangeEvent snapshotRead(TableRef table, BsonDocument document, MongoPosition at, long commitMicros) {
    return new ChangeEvent(table, Op.READ, at, null, 0, commitMicros, true, null, row(document), List.of(), null);
  }

  private ChangeEvent change(String opType, BsonDocument e, MongoPosition position, long commitMicros, long index) {
    TableRef table = namespace(opType, e, "ns");
    String txId = txId(e);
    long txOrder = txId == null ? 0 : index;
    BsonDocument full = optionalDocument(e, "fullDocument");
    BsonDocument pre = optionalDocument(e, "fullDocumentBeforeChange");
    Row before = pre == null ? null : row(pre);
    return switch (opType) {
      case "insert" -> new ChangeEvent(table, Op.CREATE, position, txId, txOrder, commitMicros, false, null,
          row(required(full, opType, table, "fullDocument")), List.of(), null);
      case "replace" -> new ChangeEvent(table, Op.UPDATE, position, txId, txOrder, commitMicros, false, before,
          row(required(full, opType, table, "fullDocument")), List.of(), null);
      case "update" -> {
        // MongoDB always sends updateDescription; a wire-compatible imitation may send only the full
        // document (updateLookup), which is enough: then there is no description to pass on
        BsonDocument description = full != null ? optionalDocument(e, "updateDescription")
            : required(optionalDocument(e, "updateDescription"), opType, table, "updateDescription");
        // Without updateLookup or a post-image the server sends only what changed: after is then null
        // (as Debezium sends it, so nobody mistakes a partial document for the whole one), before is the
        // pre-image or else just the document key, and updateDescription says what changed.
        Row after = full != null ? row(full) : null;
        if (after == null && before == null) {
          before = row(required(optionalDocument(e, "documentKey"), opType, table, "documentKey"));
        }
        yield new ChangeEvent(table, Op.UPDATE, position, txId, txOrder, commitMicros, false, before, after,
            List.of(), description == null ? null : new JsonText(BsonJson.toJson(description)));
      }
      case "delete" -> new ChangeEvent(table, Op.DELETE, position, txId, txOrder, commitMicros, false,
          before != null ? before : row(required(optionalDocument(e, "documentKey"), opType, table, "documentKey")),
          null, List.of(), null);
      default -> throw new IllegalStateException("not a document change: " + opType);
    };
  }

  private ChangeEvent truncate(TableRef table, BsonDocument e, MongoPosition position, long commitMicros, long index) {
    String txId = txId(e);
    return new ChangeEvent(table, Op.TRUNCATE, position, txId, txId == null ? 0 : index, commitMicros, false,
        null, null, List.of(), null);
  }

  /** A document as a row: one {@link JsonText} column per top-level field, key column {@code _id}. */
  Row row(BsonDocument document) {
    List<String> names = new ArrayList<>(document.size());
    Object[] values = new Object[document.size()];
    int i = 0;
    for (Map.Entry<String, BsonValue> field : document.entrySet()) {
      names.add(field.getKey());
      values[i++] = new JsonText(BsonJson.toJson(field.getValue()));
    }
    RowSchema schema = schemas.computeIfAbsent(names,
        n -> RowSchema.of(n, n.contains(ID) ? List.of(ID) : List.of()));
    return new Row(schema, values);
  }

  /**
   * {@code <lsid.id>:<txnNumber>} for an event inside a multi-document transaction (lsid.id as a UUID
   * string), else null. The envelope writes the two parts as {@code source.lsid} and {@code source.txnNumber}.
   */
  static String txId(BsonDocument e) {
    BsonValue lsid = e.get("lsid");
    BsonValue txnNumber = e.get("txnNumber");
    if (lsid == null || txnNumber == null || !lsid.isDocument() || !txnNumber.isNumber()) {
      return null;
    }
    BsonValue sessionId = lsid.asDocument().get("id");
    String session;
    if (sessionId instanceof BsonBinary b) {
      session = b.getType() == BsonBinarySubType.UUID_STANDARD.getValue() && b.getData().length == 16
          ? b.asUuid().toString()
          : Base64.getEncoder().encodeToString(b.getData());
    } else if (sessionId != null) {
      session = BsonJson.toJson(sessionId);
    } else {
      return null;
    }
    return session + ":" + txnNumber.asNumber().longValue();
  }

  private TableRef namespace(String opType, BsonDocument e, String field) {
    BsonValue ns = e.get(field);
    if (ns == null || !ns.isDocument() || !ns.asDocument().isString("db") || !ns.asDocument().isString("coll")) {
      throw malformed(opType, e, "no '" + field + ".db' and '" + field + ".coll'");
    }
    String db = ns.asDocument().getString("db").getValue();
    String coll = ns.asDocument().getString("coll").getValue();
    Map<String, TableRef> ofDb = tables.computeIfAbsent(db, d -> new HashMap<>());
    TableRef t = ofDb.get(coll);
    if (t == null) {
      if (tableCount >= MAX_CACHED * 10) { // collections churn (many created and dropped): start over
        tables.clear();
        tableCount = 0;
        ofDb = tables.computeIfAbsent(db, d -> new HashMap<>());
      }
      t = table(sourceName, db, coll);
      ofDb.put(coll, t);
      tableCount++;
    }
    return t;
  }

  private static BsonDocument optionalDocument(BsonDocument e, String field) {
    BsonValue v = e.get(field);
    return v != null && v.isDocument() ? v.asDocument() : null;
  }

  private static BsonDocument required(BsonDocument v, String opType, TableRef table, String field) {
    if (v == null) {
      throw new IllegalArgumentException("MongoDB " + opType + " event on " + table.qualifiedName()
          + " has no '" + field + "' document; a change stream sends one for every " + opType);
    }
    return v;
  }

  private static String requiredString(BsonDocument e, String field, String opType) {
    BsonValue v = e.get(field);
    if (v == null || !v.isString()) {
      throw malformed(opType, e, "no string '" + field + "'");
    }
    return v.asString().getValue();
  }

  /** Names the event by operation type and namespace only: its documents are data, never in errors. */
  private static IllegalArgumentException malformed(String opType, BsonDocument e, String what) {
    BsonValue ns = e.get("ns");
    String where = ns != null && ns.isDocument()
        ? " on " + text(ns.asDocument().get("db")) + "." + text(ns.asDocument().get("coll"))
        : "";
    return new IllegalArgumentException("MongoDB change event '" + opType + "'" + where + " has " + what
        + ": not a change-stream event in the documented shape");
  }

  private static String text(BsonValue v) {
    return v != null && v.isString() ? v.asString().getValue() : "?";
  }
}
