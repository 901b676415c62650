package io.syncline.streams.mysql;

import com.github.shyiko.mysql.binlog.event.DeleteRowsEventData;
import com.github.shyiko.mysql.binlog.event.Event;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import com.github.shyiko.mysql.binlog.event.GtidEventData;
import com.github.shyiko.mysql.binlog.event.MariadbGtidEventData;
import com.github.shyiko.mysql.binlog.event.QueryEventData;
import com.github.shyiko.mysql.binlog.event.RotateEventData;
import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.UpdateRowsEventData;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.SchemaHistoryStore;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.mysql.MySqlSourceException.Reason;
import io.syncline.streams.mysql.schema.ColumnDefinition;
import io.syncline.streams.mysql.schema.SchemaTracker;
import io.syncline.streams.mysql.schema.TableMapCheck;
import io.syncline.streams.mysql.schema.TableName;
import io.syncline.streams.mysql.schema.TableSchema;
import io.syncline.streams.mysql.types.BinlogValueConverter;
import io.syncline.streams.mysql.types.MySqlColumn;
import io.syncline.streams.mysql.types.MySqlValueConverters;
import java.io.Serializable;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns binlog events into {@link CaptureRecord}s: follows the current file (ROTATE), the open
 * transaction (GTID or BEGIN … XID), the table definitions and converts row images with converters
 * resolved once per table definition. Not thread-safe.
 *
 * <p>Table definitions: with {@code binlog_row_metadata=FULL} the TABLE_MAP event names the
 * columns; otherwise they come from the {@link SchemaTracker} (information_schema at the start, then
 * every DDL statement of the binlog, persisted as a schema history), checked against the TABLE_MAP's
 * column count and types. The tracker follows DDL in both cases, and does blocking JDBC on the
 * first event and on DDL: run this on the source's own thread or a blocking dispatcher.
 */
final class MySqlBinlogAssembler {

  private record TableInfo(TableRef ref, RowSchema schema, BinlogValueConverter[] converters, TableMapEventData map) {}

  private record Txn(long startOffset, String gtid, String resumeGtids, long startMicros) {}

  private final MySqlSourceSettings settings;
  private final Map<String, MySqlCatalog.MySqlTable> included = new HashMap<>();
  private final Map<Long, TableInfo> tables = new HashMap<>();
  private final java.util.function.Supplier<GtidState> startGtids;
  private final java.util.function.Supplier<BinlogPosition> start;
  private GtidState gtids; // null: the server's GTIDs are not followed
  private boolean gtidsKnown;
  private final SchemaTracker schemas;
  private String file;
  private Txn txn;
  private long order;

  /**
   * @param start where this run reads the binlog from (set by the reader before it connects): the
   *     first checkpoint, so that tables without a position record where capture started
   */
  MySqlBinlogAssembler(MySqlSourceSettings settings, List<MySqlCatalog.MySqlTable> tables, String startFile,
      java.util.function.Supplier<GtidState> startGtids, java.util.function.Supplier<BinlogPosition> start,
      SchemaHistoryStore history) {
    this(settings, tables, startFile, startGtids, start,
        new SchemaTracker(settings, history, SchemaTracker.jdbc(settings)));
  }

  MySqlBinlogAssembler(MySqlSourceSettings settings, List<MySqlCatalog.MySqlTable> tables, String startFile,
      java.util.function.Supplier<GtidState> startGtids, java.util.function.Supplier<BinlogPosition> start,
      SchemaTracker schemas) {
    this.settings = settings;
    this.startGtids = startGtids;
    this.start = start;
    for (MySqlCatalog.MySqlTable t : tables) {
      included.put(t.qualifiedName(), t);
    }
    this.file = startFile;
    this.schemas = schemas;
  }

  boolean inTransaction() {
    return txn != null;
  }

  String file() {
    return file;
  }

  void accept(Event event, List<CaptureRecord> out) {
    EventHeaderV4 h = event.getHeader();
    Object data = event.getData();
    switch (h.getEventType()) {
      case ROTATE -> {
        RotateEventData r = (RotateEventData) data;
        file = r.getBinlogFilename();
        if (!schemas.started()) { // the first event: the server's (fake) ROTATE to where reading starts
          startSchemas(new BinlogPosition(file, r.getBinlogPosition(), 0, null));
          BinlogPosition from = start.get();
          if (from != null && txn == null) {
            // everything before where this run reads is delivered (or not wanted): the reader's first boundary
            String gtidsThere = from.resumeGtids() != null ? from.resumeGtids() : gtidsNow();
            out.add(new CaptureRecord.Checkpoint(null, BinlogPosition.boundary(from.file(), from.offset(), gtidsThere)));
          }
        }
      }
      case MARIADB_GTID -> {
        MariadbGtidEventData g = (MariadbGtidEventData) data;
        begin(h, g.getDomainId() + "-" + h.getServerId() + "-" + g.getSequence());
      }
      case GTID -> {
        GtidEventData g = (GtidEventData) data;
        // MySQL 8 writes the commit time in microseconds here; the header has whole seconds only
        long micros = g.getOriginalCommitTimestamp() > 0 ? g.getOriginalCommitTimestamp() : h.getTimestamp() * 1000;
        begin(h, g.getMySqlGtid().toString(), micros);
      }
      case QUERY -> onQuery(h, (QueryEventData) data, out);
      case TABLE_MAP -> onTableMap(h, (TableMapEventData) data);
      case WRITE_ROWS, EXT_WRITE_ROWS -> {
        WriteRowsEventData w = (WriteRowsEventData) data;
        TableInfo t = tables.get(w.getTableId());
        if (t != null && t.ref != null) {
          for (Serializable[] r : w.getRows()) {
            out.add(change(t, Op.CREATE, null, row(t, r, w.getIncludedColumns())));
          }
        }
      }
      case UPDATE_ROWS, EXT_UPDATE_ROWS -> {
        UpdateRowsEventData u = (UpdateRowsEventData) data;
        TableInfo t = tables.get(u.getTableId());
        if (t != null && t.ref != null) {
          for (Map.Entry<Serializable[], Serializable[]> r : u.getRows()) {
            out.add(change(t, Op.UPDATE, row(t, r.getKey(), u.getIncludedColumnsBeforeUpdate()),
                row(t, r.getValue(), u.getIncludedColumns())));
          }
        }
      }
      case DELETE_ROWS, EXT_DELETE_ROWS -> {
        DeleteRowsEventData d = (DeleteRowsEventData) data;
        TableInfo t = tables.get(d.getTableId());
        if (t != null && t.ref != null) {
          for (Serializable[] r : d.getRows()) {
            out.add(change(t, Op.DELETE, row(t, r, d.getIncludedColumns()), null));
          }
        }
      }
      case XID -> commit(h, out);
      case HEARTBEAT -> {
        // the server is idle: everything up to its position was sent, and no transaction is open
        if (txn == null && file != null && h.getNextPosition() > 0) {
          out.add(new CaptureRecord.Checkpoint(null, BinlogPosition.boundary(file, h.getNextPosition(), gtidsNow())));
        }
      }
      default -> { }
    }
  }

  private void begin(EventHeaderV4 h, String gtid) {
    // MariaDB's binlog has commit times in whole seconds only (lag is over-stated by up to 1 s)
    begin(h, gtid, h.getTimestamp() * 1000);
  }

  private void begin(EventHeaderV4 h, String gtid, long startMicros) {
    String resume = gtidsNow();
    if (gtids != null && gtid != null) {
      gtids.add(gtid);
    }
    txn = new Txn(h.getPosition(), gtid, resume, startMicros);
    order = 0;
  }

  private String gtidsNow() {
    if (!gtidsKnown) {
      gtids = startGtids.get(); // the reader thread set it before it connected, so before any event
      gtidsKnown = true;
    }
    return gtids == null ? null : gtids.toString();
  }

  private void onQuery(EventHeaderV4 h, QueryEventData q, List<CaptureRecord> out) {
    String sql = q.getSql().trim();
    if (sql.equalsIgnoreCase("BEGIN")) {
      if (txn == null) {
        begin(h, null);
      }
    } else if (sql.equalsIgnoreCase("COMMIT")) {
      commit(h, out); // non-transactional engines end with a COMMIT query instead of an XID
    } else {
      // DDL (its own implicit transaction): table definitions come again in the next TABLE_MAP
      BinlogPosition at = new BinlogPosition(file, txn == null ? h.getPosition() : txn.startOffset,
          BinlogPosition.COMPLETE, txn == null ? null : txn.gtid);
      ensureSchemas(h);
      schemas.advance(at);
      schemas.onStatement(at, q.getDatabase(), sql);
      tables.clear();
      commit(h, out);
    }
  }

  private void startSchemas(BinlogPosition from) {
    schemas.start(from, included.values().stream().map(t -> new TableName(t.database(), t.table())).toList());
  }

  /** Starts the schema tracker at this event if no ROTATE came first. */
  private void ensureSchemas(EventHeaderV4 h) {
    if (!schemas.started()) {
      if (file == null) {
        throw new IllegalStateException("source '" + settings.name() + "': the binlog stream did not start with ROTATE");
      }
      startSchemas(new BinlogPosition(file, Math.max(0, h.getPosition()), 0, null));
    }
  }

  private void commit(EventHeaderV4 h, List<CaptureRecord> out) {
    long begin = txn == null ? h.getPosition() : txn.startOffset;
    String gtid = txn == null ? null : txn.gtid;
    String resume = txn == null ? gtidsNow() : txn.resumeGtids;
    if (h.getNextPosition() <= begin) {
      throw new IllegalStateException("source '" + settings.name() + "': the end of the transaction at " + file + ":"
          + begin + " carries no binlog position (" + h.getNextPosition() + ")");
    }
    // the next transaction starts where this one ends: (file, next, 0) is before it, (file, next, COMPLETE) is not
    out.add(new CaptureRecord.Checkpoint(new BinlogPosition(file, begin, BinlogPosition.COMPLETE, gtid, resume),
        BinlogPosition.boundary(file, h.getNextPosition(), gtidsNow())));
    txn = null;
  }

  private void onTableMap(EventHeaderV4 h, TableMapEventData m) {
    TableInfo known = tables.get(m.getTableId());
    if (known != null && known.map.equals(m)) {
      return;
    }
    MySqlCatalog.MySqlTable table = included.get(m.getDatabase() + "." + m.getTable());
    if (table == null) {
      tables.put(m.getTableId(), new TableInfo(null, null, null, m));
      return;
    }
    ensureSchemas(h);
    // events inside a transaction may carry no offset of their own (log_pos 0): the transaction's start locates them
    BinlogPosition at = new BinlogPosition(file, txn != null ? txn.startOffset : Math.max(0, h.getPosition()), 0,
        txn == null ? null : txn.gtid);
    schemas.advance(at);
    TableName name = new TableName(table.database(), table.table());
    TableSchema tracked = schemas.table(name);
    List<MySqlColumn> columns;
    List<String> key;
    if (hasColumnNames(m)) {
      // full row metadata: the binlog says the columns; MariaDB JSON and the key come from the definition
      Set<String> json = tracked == null ? lower(table.jsonColumns())
          : lower(tracked.columns().stream().filter(ColumnDefinition::json).map(ColumnDefinition::name).toList());
      columns = MySqlColumn.fromTableMap(m).stream()
          .map(c -> c.kind() == MySqlColumn.Kind.TEXT && json.contains(c.name().toLowerCase(Locale.ROOT)) ? c.asJsonText() : c)
          .toList();
      key = tracked == null ? table.keyColumns() : tracked.primaryKey();
    } else {
      if (tracked == null) {
        tracked = schemas.recordIfUnknown(name);
      }
      if (tracked == null) {
        throw new MySqlSourceException(Reason.SCHEMA_MISMATCH, "source '" + settings.name() + "': the binlog has no"
            + " column names for " + name + " (at " + at.display() + "), its definition is not in the schema history"
            + " and the table no longer exists. Fix: SET GLOBAL binlog_row_metadata = 'FULL' (MariaDB 10.5+, MySQL"
            + " 8.0.1+) so the binlog names the columns.");
      }
      try {
        columns = tracked.mySqlColumns(schemas.mariaDb());
      } catch (IllegalStateException e) {
        throw new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': " + e.getMessage(), e);
      }
      String mismatch = TableMapCheck.mismatch(m, columns);
      if (mismatch != null) {
        throw new MySqlSourceException(Reason.SCHEMA_MISMATCH, "source '" + settings.name() + "': the rows of " + name
            + " at " + at.display() + " do not fit its tracked definition: " + mismatch + ". Decoding them could put"
            + " values under the wrong columns, so capture stopped. Fix: SET GLOBAL binlog_row_metadata = 'FULL'"
            + " (MariaDB 10.5+, MySQL 8.0.1+) so the binlog names the columns; or stop the source, delete its schema"
            + " history (DELETE FROM schema_history WHERE source_name = '" + settings.name() + "') and start it again"
            + " to record the current definitions.");
      }
      key = tracked.primaryKey();
    }
    List<String> names = columns.stream().map(MySqlColumn::name).toList();
    BinlogValueConverter[] converters = columns.stream().map(MySqlValueConverters::converterFor)
        .toArray(BinlogValueConverter[]::new);
    TableRef ref = new TableRef("mysql", settings.name(), table.database(), table.database(), table.table());
    tables.put(m.getTableId(), new TableInfo(ref, RowSchema.of(names, key.stream().filter(names::contains).toList()),
        converters, m));
  }

  private static boolean hasColumnNames(TableMapEventData m) {
    return m.getEventMetadata() != null && m.getEventMetadata().getColumnNames() != null
        && m.getEventMetadata().getColumnNames().size() == m.getColumnTypes().length;
  }

  private static Set<String> lower(java.util.Collection<String> names) {
    return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
  }

  private Row row(TableInfo t, Serializable[] cells, BitSet included) {
    Object[] values = new Object[t.converters.length];
    int cell = 0;
    for (int i = 0; i < values.length; i++) {
      if (included != null && !included.get(i)) {
        throw new MySqlSourceException(MySqlSourceException.Reason.OTHER, "source '" + settings.name() + "': a row of "
            + t.ref + " lacks column " + t.schema.column(i) + " (binlog_row_image is not FULL). Fix: SET GLOBAL binlog_row_image = 'FULL'.");
      }
      Serializable v = cells[cell++];
      values[i] = v == null ? null : t.converters[i].convert(v);
    }
    return new Row(t.schema, values);
  }

  private CaptureRecord change(TableInfo t, Op op, Row before, Row after) {
    if (txn == null) {
      throw new IllegalStateException("source '" + settings.name() + "': row event outside a transaction");
    }
    long index = ++order;
    String txId = txn.gtid != null ? txn.gtid : file + ":" + txn.startOffset;
    return new CaptureRecord.Change(new ChangeEvent(t.ref, op, new BinlogPosition(file, txn.startOffset, index, txn.gtid, txn.resumeGtids),
        txId, index, txn.startMicros, false, before, after, List.of()));
  }
}
