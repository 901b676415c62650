package io.syncline.streams.mysql;

import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.capture.PositionCheck;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compares the binlog positions the tables recorded with the server before reading from them: a
 * position must be in a binlog file the server still has, not after its current end (RESET MASTER,
 * a restored or another server), and, when the tables resume by GTID, the server's GTID state must
 * hold every transaction they recorded (a failover to a replica that had not received them, or a
 * reset). Without GTIDs, file and offset mean something on one server only: a different server
 * ({@code server_uuid} on MySQL, {@code server_id} on MariaDB) invalidates them.
 */
final class MySqlPositionCheck {

  private MySqlPositionCheck() {}

  static PositionCheck check(MySqlSourceSettings settings, Map<TableRef, TableStart> recorded) {
    try (Connection c = MySqlCatalog.connect(settings)) {
      MySqlCatalog catalog = new MySqlCatalog(settings, c);
      boolean mariaDb = catalog.isMariaDb();
      String identity = mariaDb ? "mariadb server_id=" + scalar(c, "SELECT @@server_id")
          : "mysql server_uuid=" + scalar(c, "SELECT @@server_uuid");
      BinlogPosition end = catalog.currentPosition();
      String serverGtids = mariaDb ? scalar(c, "SELECT @@gtid_binlog_pos") : end.resumeGtids();
      List<String> files = new ArrayList<>();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW BINARY LOGS")) {
        while (rs.next()) {
          files.add(rs.getString(1));
        }
      }
      for (Map.Entry<TableRef, TableStart> e : recorded.entrySet()) {
        if (!(e.getValue().committed() instanceof BinlogPosition p)) {
          continue;
        }
        String where = "source '" + settings.name() + "': table " + e.getKey().qualifiedName() + " recorded "
            + p.display();
        if (p.resumeGtids() != null && !p.resumeGtids().isBlank()) {
          GtidState server = GtidState.of(serverGtids, mariaDb);
          if (!server.covers(GtidState.of(p.resumeGtids(), mariaDb))) {
            return new PositionCheck.Invalid(identity, where + " at GTID state " + p.resumeGtids() + ", but the server's"
                + " binlog holds only " + (server.toString().isEmpty() ? "no GTIDs" : server) + ": its binlog went back"
                + " (RESET MASTER, a restore, or a failover to a server that had not received those transactions)");
          }
          continue; // by GTID the server finds the transaction itself, on any server of the topology
        }
        String recordedIdentity = e.getValue().sourceIdentity();
        if (recordedIdentity != null && !recordedIdentity.equals(identity)) {
          return new PositionCheck.Invalid(identity, where + " on the server '" + recordedIdentity + "', but this is '"
              + identity + "', and without GTIDs a binlog file and offset mean something on one server only");
        }
        if (p.compareTo(end) > 0) {
          return new PositionCheck.Invalid(identity, where + ", after the end of the server's binlog ("
              + end.display() + "): its binlog went back (RESET MASTER, a restore, or another server)");
        }
        if (!files.contains(p.file())) {
          return new PositionCheck.Invalid(identity, where + ", but binlog file " + p.file() + " is no longer on the"
              + " server (oldest: " + (files.isEmpty() ? "none" : files.get(0)) + "): the changes since are lost"
              + " (keep binlogs longer: binlog_expire_logs_seconds)");
        }
      }
      return new PositionCheck.Valid(identity);
    } catch (SQLException e) {
      throw new MySqlSourceException(MySqlSourceException.Reason.OTHER, "source '" + settings.name()
          + "': cannot compare the recorded positions with the server: " + e.getMessage(), e);
    }
  }

  private static String scalar(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
