package io.syncline.streams.mysql;

import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.mysql.MySqlSourceException.Reason;
import io.syncline.streams.mysql.types.BinlogValueConverter;
import io.syncline.streams.mysql.types.JdbcCells;
import io.syncline.streams.mysql.types.MySqlColumn;
import io.syncline.streams.mysql.types.MySqlValueConverters;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The initial snapshot of a MySQL/MariaDB source: one repeatable-read transaction whose binlog
 * position is known exactly, read table by table with a forward-only streaming cursor. Blocking:
 * it runs on the source's own reader thread, and hands each chunk (at most {@code max-batch-size}
 * rows) to a {@link Chunks} consumer that waits while the stream is busy, so at most a few chunks
 * are in memory whatever the table's size.
 *
 * <p>The consistent point:
 * <ul>
 *   <li>MariaDB: {@code START TRANSACTION WITH CONSISTENT SNAPSHOT}, then the status variables
 *       {@code binlog_snapshot_file} / {@code binlog_snapshot_position}: the binlog position of exactly
 *       that snapshot, without any lock.</li>
 *   <li>MySQL (which has no such status): a short global read lock, as Debezium takes it:
 *       {@code FLUSH TABLES WITH READ LOCK}, start the snapshot transaction, {@code SHOW MASTER STATUS},
 *       {@code UNLOCK TABLES}. Writes wait for the lock's few milliseconds; it needs the RELOAD
 *       privilege. (Not tested here: no MySQL server is available to the tests.)</li>
 * </ul>
 *
 * <p>Rows are read as the binlog carries them ({@link JdbcCells}) and converted by the binlog's
 * converters, so a value's JSON is the same from the snapshot and from the binlog. Every row is an
 * {@link Op#READ} event at {@code BinlogPosition(file, pos, 0)}, before every binlog change at or after
 * the snapshot (their index is 1 or more); each table ends with {@link CaptureRecord.SnapshotDone}.
 */
final class MySqlSnapshot implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MySqlSnapshot.class);

  /**
   * How long the server waits for the reader to take rows before it aborts the query (seconds): a
   * slow sink stalls the reader by design, so the server's default (60 s) is far too short.
   */
  private static final int NET_WRITE_TIMEOUT_SECONDS = 24 * 3600;

  /** Receives the chunks; blocks while the stream is busy; throws when the stream is gone. */
  @FunctionalInterface
  interface Chunks {
    void offer(List<CaptureRecord> chunk);
  }

  private final MySqlSourceSettings settings;
  private final Connection conn;
  private final BinlogPosition position;
  private final long startMicros;
  private boolean finished;

  private MySqlSnapshot(MySqlSourceSettings settings, Connection conn, BinlogPosition position, long startMicros) {
    this.settings = settings;
    this.conn = conn;
    this.position = position;
    this.startMicros = startMicros;
  }

  /** Opens a connection and starts the consistent snapshot. */
  static MySqlSnapshot begin(MySqlSourceSettings settings) {
    Connection conn = MySqlCatalog.connect(settings);
    try {
      try (Statement s = conn.createStatement()) {
        // rows as stored: the columns' own bytes, timestamps in UTC, CHAR without padding
        s.execute("SET SESSION character_set_results = NULL, time_zone = '+00:00', sql_mode = '',"
            + " net_write_timeout = " + NET_WRITE_TIMEOUT_SECONDS);
        s.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      }
      Instant now = Instant.now();
      long startMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
      BinlogPosition position = serverVersion(conn).contains("MariaDB") ? mariaDbSnapshot(conn) : null;
      boolean locked = position == null;
      if (locked) {
        position = lockedSnapshot(settings, conn);
      }
      log.info("source '{}': consistent snapshot at {} ({})", settings.name(), position.display(),
          locked ? "under a short global read lock" : "without a lock");
      return new MySqlSnapshot(settings, conn, position, startMicros);
    } catch (SQLException | RuntimeException e) {
      abortQuietly(conn);
      if (e instanceof SQLException sql) {
        throw new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': cannot start the initial"
            + " snapshot: " + sql.getMessage(), sql);
      }
      throw (RuntimeException) e;
    }
  }

  private static String serverVersion(Connection conn) throws SQLException {
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT VERSION()")) {
      rs.next();
      return new String(rs.getBytes(1), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** MariaDB: the snapshot's own binlog position; null when the server has no such status (before 5.3). */
  private static BinlogPosition mariaDbSnapshot(Connection conn) throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
      String file = null;
      long offset = -1;
      try (ResultSet rs = s.executeQuery("SHOW STATUS LIKE 'binlog_snapshot_%'")) {
        while (rs.next()) {
          String name = new String(rs.getBytes(1), java.nio.charset.StandardCharsets.UTF_8);
          String value = new String(rs.getBytes(2), java.nio.charset.StandardCharsets.UTF_8);
          if (name.equalsIgnoreCase("Binlog_snapshot_file")) {
            file = value;
          } else if (name.equalsIgnoreCase("Binlog_snapshot_position")) {
            offset = Long.parseLong(value);
          }
        }
      }
      if (file == null || file.isEmpty() || offset < 0) {
        s.execute("ROLLBACK");
        return null;
      }
      return new BinlogPosition(file, offset, 0, null);
    }
  }

  /** MySQL: the binlog position under a short global read lock. */
  private static BinlogPosition lockedSnapshot(MySqlSourceSettings settings, Connection conn) throws SQLException {
    try (Statement s = conn.createStatement()) {
      try {
        s.execute("FLUSH TABLES WITH READ LOCK");
      } catch (SQLException e) {
        throw new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': the initial snapshot needs a"
            + " short global read lock on MySQL, and FLUSH TABLES WITH READ LOCK failed (" + e.getMessage() + ")."
            + " Fix: GRANT RELOAD ON *.* TO the source's user, or set snapshot-mode = never.", e);
      }
      try {
        s.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
        BinlogPosition end = new MySqlCatalog(settings, conn).currentPosition();
        return new BinlogPosition(end.file(), end.offset(), 0, null);
      } finally {
        s.execute("UNLOCK TABLES");
      }
    }
  }

  BinlogPosition position() {
    return position;
  }

  /** Reads every table of {@code tables}, in order, into {@code chunks}; then ends the transaction. */
  void read(List<MySqlCatalog.MySqlTable> tables, Chunks chunks) throws SQLException {
    log.info("source '{}': initial snapshot of {} tables at {}", settings.name(), tables.size(), position.display());
    for (MySqlCatalog.MySqlTable t : tables) {
      readTable(t, chunks);
    }
    try (Statement s = conn.createStatement()) {
      s.execute("COMMIT");
    }
    finished = true;
  }

  private void readTable(MySqlCatalog.MySqlTable table, Chunks chunks) throws SQLException {
    long t0 = System.nanoTime();
    TableRef ref = MySqlSnapshotPlan.ref(settings, table);
    List<MySqlColumn> columns = MySqlColumn.fromInformationSchema(conn, table.database(), table.table());
    List<String> names = columns.stream().map(MySqlColumn::name).toList();
    RowSchema schema = RowSchema.of(names, table.keyColumns().stream().filter(names::contains).toList());
    JdbcCells.CellReader[] readers = columns.stream().map(JdbcCells::readerFor).toArray(JdbcCells.CellReader[]::new);
    BinlogValueConverter[] converters = columns.stream().map(JdbcCells::converterColumn)
        .map(MySqlValueConverters::converterFor).toArray(BinlogValueConverter[]::new);
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < columns.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(JdbcCells.selectExpression(columns.get(i)));
    }
    sql.append(" FROM ").append(JdbcCells.quote(table.database())).append('.').append(JdbcCells.quote(table.table()));
    log.info("source '{}': snapshot of {} started", settings.name(), table.qualifiedName());

    int chunkSize = settings.maxBatchSize();
    long rows = 0;
    List<CaptureRecord> chunk = new ArrayList<>(Math.min(chunkSize, 4096));
    try (Statement s = conn.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
      s.setFetchSize(chunkSize); // streaming: the driver holds one fetch of rows, the rest waits in the socket
      try (ResultSet rs = s.executeQuery(sql.toString())) {
        while (next(rs)) {
          Object[] values = new Object[readers.length];
          for (int i = 0; i < values.length; i++) {
            values[i] = convert(rs.getBytes(i + 1), readers[i], converters[i], table, columns.get(i));
          }
          chunk.add(new CaptureRecord.Change(new ChangeEvent(ref, Op.READ, position, null, 0, startMicros, true, null,
              new Row(schema, values), List.of())));
          rows++;
          if (chunk.size() >= chunkSize) {
            offer(chunks, chunk);
            chunk = new ArrayList<>(Math.min(chunkSize, 4096));
          }
        }
      }
    }
    chunk.add(new CaptureRecord.SnapshotDone(ref, position, rows));
    offer(chunks, chunk);
    long ms = Math.max(1, (System.nanoTime() - t0) / 1_000_000);
    log.info("source '{}': snapshot of {} done: {} rows in {} ms ({} rows/s)", settings.name(), table.qualifiedName(),
        rows, ms, rows * 1000 / ms);
  }

  /**
   * On any failure inside an open cursor the connection is dropped first: closing a streaming result
   * would otherwise read all its remaining rows.
   */
  private boolean next(ResultSet rs) throws SQLException {
    try {
      return rs.next();
    } catch (SQLException | RuntimeException e) {
      abortQuietly(conn);
      throw e;
    }
  }

  private void offer(Chunks chunks, List<CaptureRecord> chunk) {
    try {
      chunks.offer(chunk);
    } catch (RuntimeException e) {
      abortQuietly(conn);
      throw e;
    }
  }

  private Object convert(byte[] text, JdbcCells.CellReader reader, BinlogValueConverter converter,
      MySqlCatalog.MySqlTable table, MySqlColumn column) {
    try {
      Serializable cell = reader.read(text);
      return cell == null ? null : converter.convert(cell);
    } catch (NumberFormatException e) {
      abortQuietly(conn); // its message holds the value: not passed on
      throw new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': snapshot of "
          + table.qualifiedName() + ", column " + column.name() + ": the server sent a value that is not a "
          + column.kind().name().toLowerCase(java.util.Locale.ROOT) + " number");
    } catch (RuntimeException e) {
      abortQuietly(conn);
      // the message names the column and type, never the value
      throw new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': snapshot of "
          + table.qualifiedName() + ", column " + column.name() + ": " + e.getMessage(), e);
    }
  }

  /** Ends the snapshot; a snapshot not read to its end drops the connection at once (no draining of rows). */
  @Override
  public void close() {
    if (finished) {
      try {
        conn.close();
      } catch (SQLException e) {
        log.debug("source '{}': closing the snapshot connection failed: {}", settings.name(), e.getMessage());
      }
    } else {
      abortQuietly(conn);
    }
  }

  private static void abortQuietly(Connection conn) {
    try {
      conn.abort(Runnable::run);
    } catch (SQLException | RuntimeException e) {
      log.debug("aborting the snapshot connection failed: {}", e.getMessage());
    }
  }
}
