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
import com.github.shyiko.mysql.binlog.event.XAPrepareEventData;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.SchemaHistoryStore;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.mysql.MySqlSourceException.Reason;
import io.syncline.streams.mysql.schema.BinlogStatement;
import io.syncline.streams.mysql.schema.ColumnDefinition;
import io.syncline.streams.mysql.schema.SchemaTracker;
import io.syncline.streams.mysql.schema.ServerVersion;
import io.syncline.streams.mysql.schema.TableMapCheck;
import io.syncline.streams.mysql.schema.TableName;
import io.syncline.streams.mysql.schema.TableSchema;
import io.syncline.streams.mysql.types.BinlogValueConverter;
import io.syncline.streams.mysql.types.MySqlColumn;
import io.syncline.streams.mysql.types.MySqlValueConverters;
import java.io.Serializable;
import java.util.BitSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns binlog events into {@link CaptureRecord}s: follows the current file (ROTATE), the event
 * group being read (a transaction GTID/BEGIN … XID/COMMIT/XA PREPARE, or one statement such as DDL
 * or XA COMMIT), the table definitions, and converts row images with converters resolved once per
 * table definition. Not thread-safe.
 *
 * <p>QUERY events are told apart by {@link BinlogStatement}: inside a transaction only COMMIT and
 * ROLLBACK end it; savepoints and XA END do not. Changes are streamed as they are read, except
 * those that may still be cancelled, which are {@linkplain HeldChanges held} (in memory up to a
 * budget, then in a temporary file):
 * <ul>
 *   <li>after a SAVEPOINT, until the transaction ends: a ROLLBACK TO in the binlog cancels the
 *       changes held since its savepoint;</li>
 *   <li>of an XA transaction, from its start to its XA COMMIT, which is a group of its own, later
 *       (other transactions in between); the changes are then delivered at the position of the XA
 *       COMMIT group ({@code (commit group, i)}), in commit order; XA ROLLBACK discards them. While an
 *       XA transaction is prepared, every position this reader gives out resumes from the GTID
 *       state before its XA PREPARE group ({@code resumeGtids}), so a restart reads it again.</li>
 * </ul>
 * TRUNCATE TABLE of a captured table becomes a truncate change at {@code (group, 1)}.
 *
 * <p>Table definitions: with {@code binlog_row_metadata=FULL} the TABLE_MAP event names the
 * columns; otherwise they come from the {@link SchemaTracker} (information_schema at the start, then
 * every DDL statement of the binlog, persisted as a schema history), checked against the TABLE_MAP's
 * column count and types. The tracker follows DDL in both cases, and does blocking JDBC on the
 * first event and on DDL: run this on the source's own thread or a blocking dispatcher.
 */
final class MySqlBinlogAssembler implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MySqlBinlogAssembler.class);

  /** MariaDB GTID event flags (sql/log_event.h): a group without BEGIN, and an XA transaction's first part. */
  static final int FL_STANDALONE = 1;
  static final int FL_PREPARED_XA = 64;

  private record TableInfo(TableRef ref, RowSchema schema, BinlogValueConverter[] converters, TableMapEventData map) {}

  /** A savepoint of the open transaction: its name (lower case) and where the held changes were. */
  private record SavepointMark(String name, HeldChanges.Mark at) {}

  /**
   * The event group being read.
   *
   * @param open a BEGIN was read (MariaDB: a GTID event without FL_STANDALONE): statements inside do
   *     not end it
   */
  private static final class Group {
    final long startOffset;
    final String gtid;
    final String resumeGtids;
    final long startMicros;
    boolean open;
    boolean xa;
    long order;
    HeldChanges held;
    final List<SavepointMark> savepoints = new ArrayList<>(0);

    Group(long startOffset, String gtid, String resumeGtids, long startMicros, boolean open) {
      this.startOffset = startOffset;
      this.gtid = gtid;
      this.resumeGtids = resumeGtids;
      this.startMicros = startMicros;
      this.open = open;
    }
  }

  /** An XA transaction prepared and not yet committed or rolled back. */
  private record Prepared(BinlogPosition at, String resumeGtids, HeldChanges held) {}

  private final MySqlSourceSettings settings;
  private final Map<String, MySqlCatalog.MySqlTable> included = new HashMap<>();
  private final Map<Long, TableInfo> tables = new HashMap<>();
  private final java.util.function.Supplier<GtidState> startGtids;
  private final java.util.function.Supplier<BinlogPosition> start;
  private final HeldChanges.Budget budget;
  private final Map<BinlogStatement.Xid, Prepared> prepared = new LinkedHashMap<>(); // in binlog order
  private GtidState gtids; // null: the server's GTIDs are not followed
  private boolean gtidsKnown;
  private final SchemaTracker schemas;
  private String file;
  private Group group;
  private boolean warnedStatementFormat;
  private HeldChanges releasing; // the held changes the last event released (read as they go downstream)

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
    this.budget = new HeldChanges.Budget(heldInMemory(settings));
  }

  /** Changes held in memory at most (over all held transactions), the rest in temporary files. */
  static int heldInMemory(MySqlSourceSettings settings) {
    return 4 * settings.maxBatchSize();
  }

  boolean inTransaction() {
    return group != null;
  }

  String file() {
    return file;
  }

  /** Number of XA transactions prepared and not yet resolved. */
  int preparedXa() {
    return prepared.size();
  }

  /**
   * What {@code event} makes deliverable, in batches: usually none or one; held changes released by
   * a commit come as batches of at most {@code max-batch-size}, read from memory or file as the
   * returned iterable is iterated (once, before the next event).
   */
  Iterable<List<CaptureRecord>> accept(Event event) {
    Output out = new Output(settings.maxBatchSize());
    EventHeaderV4 h = event.getHeader();
    Object data = event.getData();
    switch (h.getEventType()) {
      case ROTATE -> {
        RotateEventData r = (RotateEventData) data;
        file = r.getBinlogFilename();
        if (!schemas.started()) { // the first event: the server's (fake) ROTATE to where reading starts
          startSchemas(new BinlogPosition(file, r.getBinlogPosition(), 0, null));
          BinlogPosition from = start.get();
          if (from != null && group == null) {
            // everything before where this run reads is delivered (or not wanted): the reader's first boundary
            String gtidsThere = from.resumeGtids() != null ? from.resumeGtids() : gtidsNow();
            out.add(new CaptureRecord.Checkpoint(null, BinlogPosition.boundary(from.file(), from.offset(), gtidsThere)));
          }
        }
      }
      case MARIADB_GTID -> {
        MariadbGtidEventData g = (MariadbGtidEventData) data;
        begin(h, g.getDomainId() + "-" + h.getServerId() + "-" + g.getSequence(), h.getTimestamp() * 1000,
            (g.getFlags() & FL_STANDALONE) == 0);
        group.xa = (g.getFlags() & FL_PREPARED_XA) != 0;
      }
      case GTID -> {
        GtidEventData g = (GtidEventData) data;
        // MySQL 8 writes the commit time in microseconds here; the header has whole seconds only
        long micros = g.getOriginalCommitTimestamp() > 0 ? g.getOriginalCommitTimestamp() : h.getTimestamp() * 1000;
        begin(h, g.getMySqlGtid().toString(), micros, false); // BEGIN (or XA START) follows as a query
      }
      case QUERY -> onQuery(h, (QueryEventData) data, out);
      case TABLE_MAP -> onTableMap(h, (TableMapEventData) data);
      case WRITE_ROWS, EXT_WRITE_ROWS -> {
        WriteRowsEventData w = (WriteRowsEventData) data;
        TableInfo t = tables.get(w.getTableId());
        if (t != null && t.ref != null) {
          for (Serializable[] r : w.getRows()) {
            change(t, Op.CREATE, null, row(t, r, w.getIncludedColumns()), out);
          }
        }
      }
      case UPDATE_ROWS, EXT_UPDATE_ROWS -> {
        UpdateRowsEventData u = (UpdateRowsEventData) data;
        TableInfo t = tables.get(u.getTableId());
        if (t != null && t.ref != null) {
          for (Map.Entry<Serializable[], Serializable[]> r : u.getRows()) {
            change(t, Op.UPDATE, row(t, r.getKey(), u.getIncludedColumnsBeforeUpdate()),
                row(t, r.getValue(), u.getIncludedColumns()), out);
          }
        }
      }
      case DELETE_ROWS, EXT_DELETE_ROWS -> {
        DeleteRowsEventData d = (DeleteRowsEventData) data;
        TableInfo t = tables.get(d.getTableId());
        if (t != null && t.ref != null) {
          for (Serializable[] r : d.getRows()) {
            change(t, Op.DELETE, row(t, r, d.getIncludedColumns()), null, out);
          }
        }
      }
      case XID -> commit(h, out);
      case XA_PREPARE -> {
        XAPrepareEventData x = (XAPrepareEventData) data;
        BinlogStatement.Xid xid = BinlogStatement.Xid.of(x.getFormatID(), x.getGtridLength(), x.getBqualLength(),
            x.getData());
        if (x.isOnePhase()) {
          commit(h, out); // MySQL's XA COMMIT … ONE PHASE
        } else {
          prepare(h, xid, out);
        }
      }
      case HEARTBEAT -> {
        // the server is idle: everything up to its position was sent, and no transaction is open
        if (group == null && file != null && h.getNextPosition() > 0) {
          out.add(new CaptureRecord.Checkpoint(null, BinlogPosition.boundary(file, h.getNextPosition(), resumeGtids())));
        }
      }
      default -> { }
    }
    return out;
  }

  private void begin(EventHeaderV4 h, String gtid, long startMicros, boolean open) {
    String resume = resumeGtids();
    if (gtids != null && gtid != null) {
      gtids.add(gtid);
    }
    discardHeld(); // a group left open (never in a well-formed binlog)
    group = new Group(h.getPosition(), gtid, resume, startMicros, open);
  }

  private String gtidsNow() {
    if (!gtidsKnown) {
      gtids = startGtids.get(); // the reader thread set it before it connected, so before any event
      gtidsKnown = true;
    }
    return gtids == null ? null : gtids.toString();
  }

  /**
   * The GTID state a reader handed a position given out now must resume from: the server's state
   * here, or, while XA transactions are prepared, the state before the earliest one's XA PREPARE
   * group, whose changes a restart must read again to deliver them at their XA COMMIT.
   */
  private String resumeGtids() {
    String now = gtidsNow();
    if (now == null || prepared.isEmpty()) {
      return now;
    }
    return prepared.values().iterator().next().resumeGtids();
  }

  private void onQuery(EventHeaderV4 h, QueryEventData q, Output out) {
    String sql = q.getSql();
    BinlogStatement statement = BinlogStatement.of(sql, q.getDatabase(), schemas.started() ? schemas.serverVersion()
        : ServerVersion.MARIADB_11_4);
    boolean inTransaction = group != null && group.open;
    if (statement instanceof BinlogStatement.Begin) {
      if (group == null) {
        begin(h, null, h.getTimestamp() * 1000, true);
      } else {
        group.open = true;
      }
    } else if (statement instanceof BinlogStatement.Commit || statement instanceof BinlogStatement.Rollback) {
      // a non-transactional engine's group ends with COMMIT; in ROW format a ROLLBACK ends only groups
      // whose logged rows are non-transactional (InnoDB rows of a rolled-back transaction are never logged)
      commit(h, out);
    } else if (statement instanceof BinlogStatement.Savepoint sp) {
      if (inTransaction) {
        savepoint(sp.name());
      }
    } else if (statement instanceof BinlogStatement.RollbackToSavepoint r) {
      if (inTransaction) {
        rollbackTo(r.name());
      }
    } else if (statement instanceof BinlogStatement.ReleaseSavepoint r) {
      if (inTransaction) {
        release(r.name());
      }
    } else if (statement instanceof BinlogStatement.XaStart) {
      if (group == null) {
        begin(h, null, h.getTimestamp() * 1000, true);
      }
      group.open = true;
      group.xa = true; // MySQL: every change of the XA transaction is held until its XA COMMIT
    } else if (statement instanceof BinlogStatement.XaEnd) {
      // the XA transaction's last statement before XA PREPARE (or a one-phase XA COMMIT)
    } else if (statement instanceof BinlogStatement.XaPrepare x) {
      prepare(h, x.xid(), out);
    } else if (statement instanceof BinlogStatement.XaCommit x) {
      if (inTransaction && x.onePhase()) {
        commit(h, out);
      } else {
        Prepared p = prepared.remove(x.xid());
        if (p == null) {
          unknownXa(x.xid(), h);
        } else if (p.held() != null) {
          release(p.held(), out);
        }
        commit(h, out);
      }
    } else if (statement instanceof BinlogStatement.XaRollback x) {
      if (inTransaction) {
        discardHeld();
      } else {
        Prepared p = prepared.remove(x.xid());
        if (p != null && p.held() != null) {
          p.held().close();
        }
      }
      commit(h, out);
    } else if (statement instanceof BinlogStatement.Dml || (inTransaction && statement instanceof BinlogStatement.Truncate)) {
      statementNotCaptured(sql); // a session with binlog_format STATEMENT or MIXED (TRUNCATE: of a temporary table)
      if (!inTransaction) {
        ddl(h, q, statement, sql, out); // a group of its own: it ends here
      }
    } else if (inTransaction) {
      // the CREATE TABLE of a CREATE TABLE … SELECT (its rows follow), a server-generated DROP TEMPORARY TABLE
      ensureSchemas(h);
      schemas.onStatement(new BinlogPosition(file, group.startOffset, BinlogPosition.COMPLETE, group.gtid),
          new BinlogPosition(file, group.startOffset, 0, null), q.getDatabase(), sql);
      tables.clear();
    } else {
      ddl(h, q, statement, sql, out);
    }
  }

  /** A statement that is its own group (DDL, TRUNCATE, GRANT …): implicitly committed. */
  private void ddl(EventHeaderV4 h, QueryEventData q, BinlogStatement statement, String sql, Output out) {
    if (group == null) {
      begin(h, null, h.getTimestamp() * 1000, false);
    }
    // table definitions come again in the next TABLE_MAP
    BinlogPosition at = new BinlogPosition(file, group.startOffset, BinlogPosition.COMPLETE, group.gtid);
    ensureSchemas(h);
    schemas.advance(at);
    if (statement instanceof BinlogStatement.Truncate t) {
      truncate(t.table(), out);
    } else {
      schemas.onStatement(at, new BinlogPosition(file, h.getNextPosition(), 0, null), q.getDatabase(), sql);
    }
    tables.clear();
    commit(h, out);
  }

  private void truncate(TableName table, Output out) {
    MySqlCatalog.MySqlTable t = table == null ? null : included.get(table.qualified());
    if (t != null) {
      TableRef ref = new TableRef("mysql", settings.name(), t.database(), t.database(), t.table());
      out.add(new CaptureRecord.Change(event(ref, Op.TRUNCATE, null, null, ++group.order, group, file)));
    }
  }

  /** A row change logged as a statement: its rows are not in the binlog (named, never its text: it holds data). */
  private void statementNotCaptured(String sql) {
    String first = sql.strip().split("\\s+", 2)[0].toUpperCase(java.util.Locale.ROOT);
    long at = group == null ? -1 : group.startOffset;
    if (!warnedStatementFormat) {
      warnedStatementFormat = true;
      log.warn("source '{}': an {} statement logged as a statement (not as row events) at {}:{} is not captured: the"
          + " session that ran it had binlog_format STATEMENT or MIXED. Fix: make every writer use ROW (SET GLOBAL"
          + " binlog_format = 'ROW'; sessions may not change it without SUPER / BINLOG ADMIN); later ones are logged"
          + " at DEBUG", settings.name(), first, file, at);
    } else {
      log.debug("source '{}': {} statement at {}:{} not captured", settings.name(), first, file, at);
    }
  }

  private void savepoint(String name) {
    if (group.held == null) {
      group.held = new HeldChanges(budget);
    }
    group.savepoints.removeIf(s -> s.name().equals(name)); // setting a savepoint again moves it
    group.savepoints.add(new SavepointMark(name, group.held.mark()));
  }

  private void rollbackTo(String name) {
    for (int i = group.savepoints.size() - 1; i >= 0; i--) {
      SavepointMark s = group.savepoints.get(i);
      if (s.name().equals(name)) {
        group.held.truncate(s.at());
        group.savepoints.subList(i + 1, group.savepoints.size()).clear();
        return;
      }
    }
    throw new IllegalStateException("source '" + settings.name() + "': ROLLBACK TO savepoint '" + name
        + "' in the transaction at " + file + ":" + group.startOffset + " has no SAVEPOINT before it in the binlog");
  }

  private void release(String name) {
    for (int i = group.savepoints.size() - 1; i >= 0; i--) {
      if (group.savepoints.get(i).name().equals(name)) {
        group.savepoints.subList(i, group.savepoints.size()).clear();
        return; // the changes stay held until the transaction ends: an outer savepoint may still cancel them
      }
    }
  }

  /** The end of an XA transaction's first part: its changes wait for the XA COMMIT. */
  private void prepare(EventHeaderV4 h, BinlogStatement.Xid xid, Output out) {
    if (group == null) {
      throw new IllegalStateException("source '" + settings.name() + "': XA PREPARE " + xid + " at " + file + ":"
          + h.getPosition() + " outside a transaction");
    }
    Prepared earlier = prepared.remove(xid);
    if (earlier != null && earlier.held() != null) {
      earlier.held().close(); // the same id prepared again: the server rolled the first back in between
    }
    BinlogPosition at = new BinlogPosition(file, group.startOffset, BinlogPosition.COMPLETE, group.gtid,
        group.resumeGtids);
    prepared.put(xid, new Prepared(at, group.resumeGtids, group.held));
    group.held = null;
    commit(h, out);
  }

  private void unknownXa(BinlogStatement.Xid xid, EventHeaderV4 h) {
    BinlogPosition from = start.get();
    log.error("source '{}': XA transaction {} committed at {}:{} was prepared before where this reader started ({}):"
        + " its changes, if it changed captured tables, were not read and are not delivered. It was prepared before"
        + " capture started (before the snapshot, or a first start while it was prepared), or the recorded positions"
        + " carry no GTID state (a server without GTIDs, restarted between its XA PREPARE and XA COMMIT). Fix: re-read"
        + " the tables it changed with an incremental snapshot (bin/syncline snapshot --source {} --table db.table).",
        settings.name(), xid, file, h.getPosition(), from == null ? "unknown" : from.display(), settings.name());
  }

  private void discardHeld() {
    if (group != null && group.held != null) {
      group.held.close();
      group.held = null;
    }
  }

  /** Releases prepared changes at the position of the group being read (an XA COMMIT). */
  private void release(HeldChanges held, Output out) {
    Group g = group;
    String f = file;
    long first = g.order;
    g.order += held.size();
    Iterator<HeldChanges.Held> changes = held.drain();
    releasing = held;
    out.addLazy(new Iterator<>() {
      private long index = first;

      @Override
      public boolean hasNext() {
        return changes.hasNext();
      }

      @Override
      public CaptureRecord next() {
        HeldChanges.Held c = changes.next();
        return new CaptureRecord.Change(event(c.table(), c.op(), c.before(), c.after(), ++index, g, f));
      }
    });
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

  /** The end of the group: held changes released, then the checkpoint after it. */
  private void commit(EventHeaderV4 h, Output out) {
    long begin = group == null ? h.getPosition() : group.startOffset;
    String gtid = group == null ? null : group.gtid;
    String resume = group == null ? resumeGtids() : group.resumeGtids;
    if (h.getNextPosition() <= begin) {
      throw new IllegalStateException("source '" + settings.name() + "': the end of the transaction at " + file + ":"
          + begin + " carries no binlog position (" + h.getNextPosition() + ")");
    }
    if (group != null && group.held != null) {
      release(group.held, out);
      group.held = null;
    }
    group = null;
    // the next transaction starts where this one ends: (file, next, 0) is before it, (file, next, COMPLETE) is not
    out.add(new CaptureRecord.Checkpoint(new BinlogPosition(file, begin, BinlogPosition.COMPLETE, gtid, resume),
        BinlogPosition.boundary(file, h.getNextPosition(), resumeGtids())));
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
    BinlogPosition at = new BinlogPosition(file, group != null ? group.startOffset : Math.max(0, h.getPosition()), 0,
        group == null ? null : group.gtid);
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

  /** A row change: streamed, or held while it may still be cancelled (after a savepoint, in an XA transaction). */
  private void change(TableInfo t, Op op, Row before, Row after, Output out) {
    if (group == null) {
      throw new IllegalStateException("source '" + settings.name() + "': row event outside a transaction");
    }
    if (group.xa && group.held == null) {
      group.held = new HeldChanges(budget);
    }
    if (group.held != null) {
      group.held.add(new HeldChanges.Held(t.ref, op, before, after));
    } else {
      out.add(new CaptureRecord.Change(event(t.ref, op, before, after, ++group.order, group, file)));
    }
  }

  private static ChangeEvent event(TableRef ref, Op op, Row before, Row after, long index, Group g, String file) {
    String txId = g.gtid != null ? g.gtid : file + ":" + g.startOffset;
    return new ChangeEvent(ref, op, new BinlogPosition(file, g.startOffset, index, g.gtid, g.resumeGtids), txId, index,
        g.startMicros, false, before, after, List.of());
  }

  /** Deletes the temporary files of held changes (the stream ended). */
  @Override
  public void close() {
    discardHeld();
    if (releasing != null) {
      releasing.close(); // the stream ended while they were read
    }
    prepared.values().forEach(p -> {
      if (p.held() != null) {
        p.held().close();
      }
    });
    prepared.clear();
  }

  /** What one event makes deliverable: records, and released held changes read lazily, in order. */
  private static final class Output implements Iterable<List<CaptureRecord>> {
    private final int batch;
    private final List<Object> parts = new ArrayList<>(1); // List<CaptureRecord> or Iterator<CaptureRecord>
    private List<CaptureRecord> current;

    Output(int batch) {
      this.batch = batch;
    }

    void add(CaptureRecord r) {
      if (current == null) {
        current = new ArrayList<>(4);
        parts.add(current);
      }
      current.add(r);
    }

    void addLazy(Iterator<CaptureRecord> records) {
      parts.add(records);
      current = null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Iterator<List<CaptureRecord>> iterator() {
      if (parts.isEmpty()) {
        return java.util.Collections.emptyIterator();
      }
      if (parts.size() == 1 && parts.get(0) instanceof List<?> only) {
        return List.of((List<CaptureRecord>) only).iterator();
      }
      return new Iterator<>() {
        private int part;

        @Override
        public boolean hasNext() {
          while (part < parts.size() && parts.get(part) instanceof Iterator<?> lazy && !lazy.hasNext()) {
            part++;
          }
          return part < parts.size();
        }

        @Override
        public List<CaptureRecord> next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          Object p = parts.get(part);
          if (p instanceof List<?> list) {
            part++;
            return (List<CaptureRecord>) list;
          }
          Iterator<CaptureRecord> lazy = (Iterator<CaptureRecord>) p;
          List<CaptureRecord> chunk = new ArrayList<>(batch);
          while (chunk.size() < batch && lazy.hasNext()) {
            chunk.add(lazy.next());
          }
          return chunk;
        }
      };
    }
  }
}
