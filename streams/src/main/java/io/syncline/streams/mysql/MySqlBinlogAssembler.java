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
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.mysql.types.BinlogValueConverter;
import io.syncline.streams.mysql.types.MySqlColumn;
import io.syncline.streams.mysql.types.MySqlValueConverters;
import java.io.Serializable;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns binlog events into {@link CaptureRecord}s: follows the current file (ROTATE), the open
 * transaction (GTID or BEGIN … XID), the table definitions (TABLE_MAP with full row metadata) and
 * converts row images with converters resolved once per table definition. Not thread-safe.
 */
final class MySqlBinlogAssembler {

  private record TableInfo(TableRef ref, RowSchema schema, BinlogValueConverter[] converters, TableMapEventData map) {}

  private record Txn(long startOffset, String gtid, String resumeGtids, long startMicros) {}

  private final MySqlSourceSettings settings;
  private final Map<String, MySqlCatalog.MySqlTable> included = new HashMap<>();
  private final Map<Long, TableInfo> tables = new HashMap<>();
  private final java.util.function.Supplier<GtidState> startGtids;
  private GtidState gtids; // null: the server's GTIDs are not followed
  private boolean gtidsKnown;
  private String file;
  private Txn txn;
  private long order;

  MySqlBinlogAssembler(MySqlSourceSettings settings, List<MySqlCatalog.MySqlTable> tables, String startFile,
      java.util.function.Supplier<GtidState> startGtids) {
    this.settings = settings;
    this.startGtids = startGtids;
    for (MySqlCatalog.MySqlTable t : tables) {
      included.put(t.qualifiedName(), t);
    }
    this.file = startFile;
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
      case ROTATE -> file = ((RotateEventData) data).getBinlogFilename();
      case MARIADB_GTID -> {
        MariadbGtidEventData g = (MariadbGtidEventData) data;
        begin(h, g.getDomainId() + "-" + h.getServerId() + "-" + g.getSequence());
      }
      case GTID -> begin(h, ((GtidEventData) data).getMySqlGtid().toString());
      case QUERY -> onQuery(h, (QueryEventData) data, out);
      case TABLE_MAP -> onTableMap((TableMapEventData) data);
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
          out.add(new CaptureRecord.Checkpoint(null, new BinlogPosition(file, h.getNextPosition(), BinlogPosition.COMPLETE,
              null, gtidsNow())));
        }
      }
      default -> { }
    }
  }

  private void begin(EventHeaderV4 h, String gtid) {
    String resume = gtidsNow();
    if (gtids != null && gtid != null) {
      gtids.add(gtid);
    }
    txn = new Txn(h.getPosition(), gtid, resume, h.getTimestamp() * 1000);
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
      tables.clear();
      commit(h, out);
    }
  }

  private void commit(EventHeaderV4 h, List<CaptureRecord> out) {
    long start = txn == null ? h.getPosition() : txn.startOffset;
    String gtid = txn == null ? null : txn.gtid;
    String resume = txn == null ? gtidsNow() : txn.resumeGtids;
    out.add(new CaptureRecord.Checkpoint(new BinlogPosition(file, start, BinlogPosition.COMPLETE, gtid, resume),
        new BinlogPosition(file, h.getNextPosition(), BinlogPosition.COMPLETE, gtid, gtidsNow())));
    txn = null;
  }

  private void onTableMap(TableMapEventData m) {
    TableInfo known = tables.get(m.getTableId());
    if (known != null && known.map.equals(m)) {
      return;
    }
    MySqlCatalog.MySqlTable table = included.get(m.getDatabase() + "." + m.getTable());
    if (table == null) {
      tables.put(m.getTableId(), new TableInfo(null, null, null, m));
      return;
    }
    List<MySqlColumn> columns = MySqlColumn.fromTableMap(m).stream()
        .map(c -> table.jsonColumns().contains(c.name()) ? c.asJsonText() : c)
        .toList();
    List<String> names = columns.stream().map(MySqlColumn::name).toList();
    for (String n : names) {
      if (n == null) {
        throw new MySqlSourceException(MySqlSourceException.Reason.OTHER, "source '" + settings.name() + "': the binlog has"
            + " no column names for " + table.qualifiedName() + ". Fix: SET GLOBAL binlog_row_metadata = 'FULL'.");
      }
    }
    BinlogValueConverter[] converters = columns.stream().map(MySqlValueConverters::converterFor)
        .toArray(BinlogValueConverter[]::new);
    TableRef ref = new TableRef("mysql", settings.name(), table.database(), table.database(), table.table());
    tables.put(m.getTableId(), new TableInfo(ref, RowSchema.of(names,
        table.keyColumns().stream().filter(names::contains).toList()), converters, m));
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
