package io.syncline.streams.postgres;

import io.syncline.streams.postgres.PgSourceException.Reason;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshotSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * The signal table of a PostgreSQL source (docs/incremental-snapshots.md): checked at prepare
 * (exists, has the columns, the user may write it), published with the captured tables, decoded
 * from the stream but never delivered.
 */
public final class PgSignalTable {

  private PgSignalTable() {}

  /** The DDL of the signal table named by {@code settings}. */
  public static String ddl(IncrementalSnapshotSettings settings) {
    return "CREATE TABLE " + PgCatalog.quoteIdent(settings.signalSchema()) + "." + PgCatalog.quoteIdent(settings.signalTableName())
        + " (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)";
  }

  /**
   * Checks the signal table and describes it.
   *
   * @throws PgSourceException naming the fix (the CREATE TABLE, the GRANT)
   */
  public static PgTable check(PgSourceSettings settings, Connection conn) throws SQLException {
    IncrementalSnapshotSettings inc = settings.incrementalSnapshot();
    String regclass = PgCatalog.quoteIdent(inc.signalSchema()) + "." + PgCatalog.quoteIdent(inc.signalTableName());
    try (PreparedStatement ps = conn.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, regclass);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          throw new PgSourceException(Reason.SIGNAL_TABLE, "source '" + settings.name() + "': signal table '"
              + inc.signalTable() + "' (setting 'signal-table') does not exist in database '" + settings.database()
              + "'. Fix: " + ddl(inc) + "; or remove 'signal-table' to turn incremental snapshots off.");
        }
      }
    }
    PgTable table = new PgCatalog(settings, conn).describe(inc.signalSchema(), inc.signalTableName());
    List<String> names = table.columns().stream().map(PgTable.Column::name).toList();
    if (!names.containsAll(List.of("id", "type", "data")) || !table.keyColumns().equals(List.of("id"))) {
      throw new PgSourceException(Reason.SIGNAL_TABLE, "source '" + settings.name() + "': signal table '"
          + inc.signalTable() + "' must have the columns id (its primary key), type and data, it has " + names
          + " with key " + table.keyColumns() + ". Fix: " + ddl(inc));
    }
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT has_table_privilege(?, 'INSERT') AND has_table_privilege(?, 'UPDATE')")) {
      ps.setString(1, regclass);
      ps.setString(2, regclass);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          throw new PgSourceException(Reason.SIGNAL_TABLE, "source '" + settings.name() + "': user '" + settings.user()
              + "' may not write the signal table '" + inc.signalTable() + "' (the watermarks of incremental snapshots"
              + " are written there). Fix: GRANT SELECT, INSERT, UPDATE ON " + regclass + " TO "
              + PgCatalog.quoteIdent(settings.user()) + ";");
        }
      }
    }
    return table;
  }

  /**
   * Checks an incremental-snapshot request (the tables are captured, the signal table is writable,
   * a range needs a single-column key) and writes its {@code execute-snapshot} signal.
   */
  public static void request(PgSourceSettings settings, String id, List<String> tables,
      io.syncline.streams.snapshot.incremental.KeyBounds range, String data) {
    requireSignalTable(settings);
    PgConnector connector = new PgConnector(settings);
    try (Connection c = connector.connect()) {
      PgTable signal = check(settings, c);
      List<PgTable> captured = new PgCatalog(settings, c).resolveTables();
      for (String t : tables) {
        PgTable table = captured.stream().filter(x -> x.ref().qualifiedName().equals(t)).findFirst().orElse(null);
        if (table == null || table.ref().equals(signal.ref())) {
          throw new IllegalArgumentException("source '" + settings.name() + "' does not capture table '" + t
              + "' (captured: " + captured.stream().map(x -> x.ref().qualifiedName())
                  .filter(q -> !q.equals(signal.ref().qualifiedName())).toList()
              + "). Fix: name a captured table as schema.table, or add it to the source's include-tables.");
        }
        if (table.keyColumns().isEmpty()) {
          throw new IllegalArgumentException("table '" + t + "' has no primary key: an incremental snapshot reads by key");
        }
        if (!range.isAll() && table.keyColumns().size() != 1) {
          throw new IllegalArgumentException("table '" + t + "' has a key of " + table.keyColumns().size()
              + " columns: --from/--to need a single-column key");
        }
      }
      insert(settings, c, id, io.syncline.streams.snapshot.incremental.Signal.EXECUTE_SNAPSHOT, data);
    } catch (SQLException e) {
      throw connector.translate(e, false);
    }
  }

  /** Writes one signal row. */
  public static void signal(PgSourceSettings settings, String id, String type, String data) {
    requireSignalTable(settings);
    PgConnector connector = new PgConnector(settings);
    try (Connection c = connector.connect()) {
      check(settings, c);
      insert(settings, c, id, type, data);
    } catch (SQLException e) {
      throw connector.translate(e, false);
    }
  }

  private static void requireSignalTable(PgSourceSettings settings) {
    if (!settings.incrementalSnapshot().enabled()) {
      throw new IllegalArgumentException("source '" + settings.name() + "' has no signal table. Fix: set signal-table"
          + " = \"public.syncline_signals\" in its configuration, create it ("
          + ddl(new IncrementalSnapshotSettings("public.syncline_signals", 1024)) + ") and restart the node.");
    }
  }

  private static void insert(PgSourceSettings settings, Connection c, String id, String type, String data)
      throws SQLException {
    IncrementalSnapshotSettings inc = settings.incrementalSnapshot();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + PgCatalog.quoteIdent(inc.signalSchema()) + "."
        + PgCatalog.quoteIdent(inc.signalTableName()) + " (id, type, data) VALUES (?, ?, ?)")) {
      ps.setString(1, id);
      ps.setString(2, type);
      ps.setString(3, data);
      ps.executeUpdate();
    }
  }
}
