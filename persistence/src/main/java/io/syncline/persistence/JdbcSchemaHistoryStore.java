package io.syncline.persistence;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The schema history in the journal database ({@code syncline.journal}), table {@code schema_history}
 * (created with the journal tables by {@link JournalSchema}, and here on first use so a source also
 * works without a node). Plain JDBC, one short connection per call: entries are written only when a
 * DDL statement or a new table definition comes by. Blocking.
 */
public final class JdbcSchemaHistoryStore implements SchemaHistoryStore {

  private final JournalSettings settings;
  private volatile boolean tableChecked;

  public JdbcSchemaHistoryStore(JournalSettings settings) {
    this.settings = settings;
  }

  @Override
  public List<SchemaHistoryEntry> load(String source) {
    List<SchemaHistoryEntry> out = new ArrayList<>();
    try (Connection c = connect(); PreparedStatement s = c.prepareStatement(
        "SELECT \"sequence_number\", \"binlog_file\", \"binlog_offset\", \"binlog_index\", \"gtid\", \"default_database\","
            + " \"ddl\", \"resume_gtids\" FROM \"schema_history\" WHERE \"source_name\" = ? ORDER BY \"sequence_number\"")) {
      s.setString(1, source);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(new SchemaHistoryEntry(source, rs.getLong(1),
              new BinlogPosition(rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getString(5), rs.getString(8)), rs.getString(6),
              rs.getString(7)));
        }
      }
    } catch (SQLException e) {
      throw failure("reading the schema history of source '" + source + "'", e);
    }
    return out;
  }

  @Override
  public void append(SchemaHistoryEntry e) {
    try (Connection c = connect(); PreparedStatement s = c.prepareStatement(
        "INSERT INTO \"schema_history\" (\"source_name\", \"sequence_number\", \"binlog_file\", \"binlog_offset\","
            + " \"binlog_index\", \"gtid\", \"default_database\", \"ddl\", \"recorded_at\", \"resume_gtids\")"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, e.source());
      s.setLong(2, e.sequence());
      s.setString(3, e.position().file());
      s.setLong(4, e.position().offset());
      s.setLong(5, e.position().index());
      s.setString(6, e.position().gtid());
      s.setString(7, e.defaultDatabase());
      s.setString(8, e.ddl());
      s.setLong(9, System.currentTimeMillis());
      s.setString(10, e.position().resumeGtids());
      s.executeUpdate();
    } catch (SQLException ex) {
      throw failure("recording schema history entry " + e.sequence() + " of source '" + e.source() + "'", ex);
    }
  }

  private Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
    if (!tableChecked) {
      try (Statement s = c.createStatement()) {
        for (String sql : JournalSchema.statements(settings.kind())) {
          if (sql.contains("schema_history")) {
            s.execute(sql);
          }
        }
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      tableChecked = true;
    }
    return c;
  }

  private IllegalStateException failure(String what, SQLException e) {
    return new IllegalStateException(what + " failed on the journal database " + settings.displayUrl()
        + " (syncline.journal): " + e.getMessage(), e);
  }
}
