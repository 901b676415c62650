package io.syncline.streams.mysql;

import io.syncline.streams.mysql.MySqlSourceException.Reason;
import io.syncline.streams.mysql.types.JdbcCells;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshotSettings;
import io.syncline.streams.snapshot.incremental.KeyBounds;
import io.syncline.streams.snapshot.incremental.Signal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The signal table of a MySQL/MariaDB source (docs/incremental-snapshots.md): checked at prepare
 * (exists, has the columns, the user may write it), decoded from the binlog but never delivered.
 */
public final class MySqlSignalTable {

  private MySqlSignalTable() {}

  /** The DDL of the signal table named by {@code settings}. */
  public static String ddl(IncrementalSnapshotSettings settings) {
    return "CREATE TABLE " + JdbcCells.quote(settings.signalSchema()) + "." + JdbcCells.quote(settings.signalTableName())
        + " (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)";
  }

  /**
   * Checks the signal table and describes it.
   *
   * @throws MySqlSourceException naming the fix (the CREATE TABLE, the GRANT)
   */
  public static MySqlCatalog.MySqlTable check(MySqlSourceSettings settings, Connection conn) throws SQLException {
    IncrementalSnapshotSettings inc = settings.incrementalSnapshot();
    List<String> columns = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT COLUMN_NAME FROM information_schema.COLUMNS"
        + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION")) {
      ps.setString(1, inc.signalSchema());
      ps.setString(2, inc.signalTableName());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(rs.getString(1));
        }
      }
    }
    if (columns.isEmpty()) {
      throw new MySqlSourceException(Reason.SIGNAL_TABLE, "source '" + settings.name() + "': signal table '"
          + inc.signalTable() + "' (setting 'signal-table') does not exist (or user '" + settings.user()
          + "' may not see it). Fix: " + ddl(inc) + "; or remove 'signal-table' to turn incremental snapshots off.");
    }
    List<String> key = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE"
        + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION")) {
      ps.setString(1, inc.signalSchema());
      ps.setString(2, inc.signalTableName());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          key.add(rs.getString(1));
        }
      }
    }
    if (!columns.containsAll(List.of("id", "type", "data")) || !key.equals(List.of("id"))) {
      throw new MySqlSourceException(Reason.SIGNAL_TABLE, "source '" + settings.name() + "': signal table '"
          + inc.signalTable() + "' must have the columns id (its primary key), type and data, it has " + columns
          + " with key " + key + ". Fix: " + ddl(inc));
    }
    if (!mayWrite(conn, inc)) {
      throw new MySqlSourceException(Reason.SIGNAL_TABLE, "source '" + settings.name() + "': user '" + settings.user()
          + "' may not write the signal table '" + inc.signalTable() + "' (the watermarks of incremental snapshots are"
          + " written there). Fix: GRANT SELECT, INSERT, UPDATE ON " + JdbcCells.quote(inc.signalSchema()) + "."
          + JdbcCells.quote(inc.signalTableName()) + " TO '" + settings.user() + "'@'%';");
    }
    return new MySqlCatalog.MySqlTable(inc.signalSchema(), inc.signalTableName(), List.of("id"), Set.of());
  }

  /**
   * Whether the current user may INSERT and UPDATE the table, at any grant level. A server started
   * without grant tables (every user may do everything) reports no grants: that counts as allowed.
   */
  private static boolean mayWrite(Connection conn, IncrementalSnapshotSettings inc) throws SQLException {
    List<String> grants = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("SHOW GRANTS"); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        grants.add(rs.getString(1).toUpperCase(java.util.Locale.ROOT));
      }
    } catch (SQLException e) {
      return true; // cannot tell (e.g. --skip-grant-tables): the first watermark write will say
    }
    if (grants.isEmpty()) {
      return true;
    }
    String db = "`" + inc.signalSchema().toUpperCase(java.util.Locale.ROOT) + "`";
    String table = db + ".`" + inc.signalTableName().toUpperCase(java.util.Locale.ROOT) + "`";
    boolean insert = false;
    boolean update = false;
    for (String g : grants) {
      boolean applies = g.contains(" ON *.* ") || g.contains(" ON " + db + ".* ") || g.contains(" ON " + table + " ");
      if (!applies) {
        continue;
      }
      if (g.startsWith("GRANT ALL")) {
        return true;
      }
      insert |= g.contains("INSERT");
      update |= g.contains("UPDATE");
    }
    return insert && update;
  }

  /**
   * Checks an incremental-snapshot request (the tables are captured, the signal table is writable,
   * a range needs a single-column key) and writes its {@code execute-snapshot} signal.
   */
  public static void request(MySqlSourceSettings settings, String id, List<String> tables, KeyBounds range,
      String data) {
    requireSignalTable(settings);
    try (Connection c = MySqlCatalog.connect(settings)) {
      check(settings, c);
      List<MySqlCatalog.MySqlTable> captured = new MySqlCatalog(settings, c).resolveTables();
      String signal = settings.incrementalSnapshot().signalTable();
      for (String t : tables) {
        MySqlCatalog.MySqlTable table = captured.stream().filter(x -> x.qualifiedName().equals(t)).findFirst()
            .orElse(null);
        if (table == null || t.equals(signal)) {
          throw new IllegalArgumentException("source '" + settings.name() + "' does not capture table '" + t
              + "' (captured: " + captured.stream().map(MySqlCatalog.MySqlTable::qualifiedName)
                  .filter(q -> !q.equals(signal)).toList()
              + "). Fix: name a captured table as database.table, or add it to the source's include-tables.");
        }
        if (table.keyColumns().isEmpty()) {
          throw new IllegalArgumentException("table '" + t + "' has no primary key: an incremental snapshot reads by key");
        }
        if (!range.isAll() && table.keyColumns().size() != 1) {
          throw new IllegalArgumentException("table '" + t + "' has a key of " + table.keyColumns().size()
              + " columns: --from/--to need a single-column key");
        }
      }
      insert(settings, c, id, Signal.EXECUTE_SNAPSHOT, data);
    } catch (SQLException e) {
      throw new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': " + e.getMessage(), e);
    }
  }

  /** Writes one signal row. */
  public static void signal(MySqlSourceSettings settings, String id, String type, String data) {
    requireSignalTable(settings);
    try (Connection c = MySqlCatalog.connect(settings)) {
      check(settings, c);
      insert(settings, c, id, type, data);
    } catch (SQLException e) {
      throw new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': " + e.getMessage(), e);
    }
  }

  private static void requireSignalTable(MySqlSourceSettings settings) {
    if (!settings.incrementalSnapshot().enabled()) {
      throw new IllegalArgumentException("source '" + settings.name() + "' has no signal table. Fix: set signal-table"
          + " = \"<database>.syncline_signals\" in its configuration, create it ("
          + ddl(new IncrementalSnapshotSettings("db.syncline_signals", 1024)).replace("`db`", "<database>")
          + ") and restart the node.");
    }
  }

  private static void insert(MySqlSourceSettings settings, Connection c, String id, String type, String data)
      throws SQLException {
    IncrementalSnapshotSettings inc = settings.incrementalSnapshot();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + JdbcCells.quote(inc.signalSchema()) + "."
        + JdbcCells.quote(inc.signalTableName()) + " (id, type, data) VALUES (?, ?, ?)")) {
      ps.setString(1, id);
      ps.setString(2, type);
      ps.setString(3, data);
      ps.executeUpdate();
    } catch (SQLException e) {
      if (e.getErrorCode() == 1142) { // ER_TABLEACCESS_DENIED_ERROR
        throw new MySqlSourceException(Reason.SIGNAL_TABLE, "source '" + settings.name() + "': user '"
            + settings.user() + "' may not write the signal table '" + inc.signalTable() + "'. Fix: GRANT SELECT,"
            + " INSERT, UPDATE ON " + JdbcCells.quote(inc.signalSchema()) + "." + JdbcCells.quote(inc.signalTableName())
            + " TO '" + settings.user() + "'@'%';", e);
      }
      throw e;
    }
  }
}
