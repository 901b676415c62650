package io.syncline.streams.mysql;

import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.mysql.MySqlSourceException.Reason;
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
 * One connection of the initial snapshot of a MySQL/MariaDB source: a repeatable-read transaction
 * whose binlog position is known exactly. {@link MySqlParallelSnapshot} opens several at the same
 * position and reads the tables' chunks through them.
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
 */
final class MySqlSnapshot implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MySqlSnapshot.class);

  /**
   * How long the server waits for the reader to take rows before it aborts the query (seconds): a
   * slow sink stalls the reader by design, so the server's default (60 s) is far too short.
   */
  private static final int NET_WRITE_TIMEOUT_SECONDS = 24 * 3600;

  private final Connection conn;
  private final BinlogPosition position;
  private final long startMicros;

  private MySqlSnapshot(Connection conn, BinlogPosition position, long startMicros) {
    this.conn = conn;
    this.position = position;
    this.startMicros = startMicros;
  }

  /**
   * Opens {@code n} connections and starts a consistent snapshot on each, back to back. On MariaDB
   * their binlog positions usually agree; they differ when a commit slipped in between: the caller
   * compares them.
   */
  static List<MySqlSnapshot> beginAll(MySqlSourceSettings settings, int n) {
    List<Connection> connections = new ArrayList<>(n);
    try {
      for (int i = 0; i < n; i++) {
        connections.add(prepareSession(settings, MySqlCatalog.connect(settings)));
      }
    } catch (RuntimeException e) {
      connections.forEach(MySqlSnapshot::abortQuietly);
      throw e;
    }
    List<MySqlSnapshot> out = new ArrayList<>(n);
    try {
      for (Connection c : connections) {
        out.add(begin(settings, c));
      }
      return out;
    } catch (RuntimeException e) {
      connections.forEach(MySqlSnapshot::abortQuietly);
      throw e;
    }
  }

  private static Connection prepareSession(MySqlSourceSettings settings, Connection conn) {
    try (Statement s = conn.createStatement()) {
      // rows as stored: the columns' own bytes, timestamps in UTC, CHAR without padding
      s.execute("SET SESSION character_set_results = NULL, time_zone = '+00:00', sql_mode = '',"
          + " net_write_timeout = " + NET_WRITE_TIMEOUT_SECONDS);
      s.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      return conn;
    } catch (SQLException e) {
      abortQuietly(conn);
      throw new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': cannot start the initial"
          + " snapshot: " + e.getMessage(), e);
    }
  }

  /** Starts the consistent snapshot on a prepared connection. */
  private static MySqlSnapshot begin(MySqlSourceSettings settings, Connection conn) {
    try {
      Instant now = Instant.now();
      long startMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
      BinlogPosition position = serverVersion(conn).contains("MariaDB") ? mariaDbSnapshot(conn) : null;
      boolean locked = position == null;
      if (locked) {
        position = lockedSnapshot(settings, conn);
      }
      log.debug("source '{}': consistent snapshot at {} ({})", settings.name(), position.display(),
          locked ? "under a short global read lock" : "without a lock");
      return new MySqlSnapshot(conn, position, startMicros);
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

  /** The connection, inside the snapshot transaction; owned by its reader from now on. */
  Connection connection() {
    return conn;
  }

  /** When the snapshot started, microseconds since the epoch (the snapshot events' commit time). */
  long startMicros() {
    return startMicros;
  }

  /** Drops the connection at once (no draining of rows): for a connection not handed to a reader. */
  @Override
  public void close() {
    abortQuietly(conn);
  }

  static void abortQuietly(Connection conn) {
    try {
      conn.abort(Runnable::run);
    } catch (SQLException | RuntimeException e) {
      log.debug("aborting the snapshot connection failed: {}", e.getMessage());
    }
  }
}
