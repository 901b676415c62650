package io.syncline.streams.mysql;

import io.syncline.persistence.IncrementalSnapshotState.TableJob;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.mysql.types.BinlogValueConverter;
import io.syncline.streams.mysql.types.JdbcCells;
import io.syncline.streams.mysql.types.MySqlColumn;
import io.syncline.streams.mysql.types.MySqlValueConverters;
import io.syncline.streams.snapshot.incremental.ChunkReader;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshotSettings;
import io.syncline.streams.snapshot.incremental.Signal;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads incremental-snapshot chunks of MySQL/MariaDB tables on its own connection (autocommit):
 * upserts the source's watermark row of the signal table to {@code snapshot-window-open}, selects
 * the next rows by key order after the last key, upserts it to {@code snapshot-window-close}. Rows
 * are read and converted exactly like the initial snapshot's ({@link JdbcCells}); the keyset
 * condition is spelled out ({@code a > ? OR (a = ? AND b > ?)}) and numeric keys are bound as
 * exact decimals.
 */
final class MySqlChunkReader implements ChunkReader {

  /** How one table is read. */
  private record Plan(String sql, RowSchema schema, JdbcCells.CellReader[] readers, BinlogValueConverter[] converters,
      List<MySqlColumn> columns, int keyCount, List<String> keyCasts) {}

  private final MySqlSourceSettings settings;
  private final String watermarkId;
  private final String upsert;
  private final Connection conn;
  private final Map<String, Plan> plans = new HashMap<>();
  private final Map<String, MySqlCatalog.MySqlTable> tables = new HashMap<>();

  MySqlChunkReader(MySqlSourceSettings settings, List<MySqlCatalog.MySqlTable> captured) {
    this.settings = settings;
    IncrementalSnapshotSettings inc = settings.incrementalSnapshot();
    String id = "watermark:" + settings.name();
    this.watermarkId = id.length() > 64 ? id.substring(0, 64) : id;
    this.upsert = "INSERT INTO " + JdbcCells.quote(inc.signalSchema()) + "." + JdbcCells.quote(inc.signalTableName())
        + " (id, type, data) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE type = VALUES(type), data = VALUES(data)";
    captured.forEach(t -> tables.put(t.qualifiedName(), t));
    this.conn = MySqlCatalog.connect(settings);
  }

  @Override
  public Chunk read(TableJob job, String chunkId, int chunkSize) throws SQLException {
    String planKey = job.table() + "|" + (job.lastKey() != null) + "|" + (job.from() != null) + "|" + (job.to() != null);
    Plan plan = plans.get(planKey);
    if (plan == null) {
      plan = plan(job);
      plans.put(planKey, plan);
    }
    watermark(Signal.WINDOW_OPEN, chunkId);
    List<Row> rows = new ArrayList<>(Math.min(chunkSize, 4096));
    List<String> lastKey = job.lastKey();
    try (PreparedStatement ps = conn.prepareStatement(plan.sql)) {
      int p = 1;
      if (job.lastKey() != null) {
        // a > ? OR (a = ? AND b > ?) OR ...: key i is bound i + 1 times
        for (int i = 0; i < plan.keyCount; i++) {
          for (int j = 0; j <= i; j++) {
            ps.setString(p++, job.lastKey().get(j));
          }
        }
      }
      if (job.from() != null) {
        ps.setString(p++, job.from().get(0));
      }
      if (job.to() != null) {
        ps.setString(p++, job.to().get(0));
      }
      ps.setInt(p, chunkSize);
      try (ResultSet rs = ps.executeQuery()) {
        int n = plan.columns.size();
        while (rs.next()) {
          Object[] values = new Object[n];
          for (int i = 0; i < n; i++) {
            byte[] text = rs.getBytes(i + 1);
            Serializable cell = plan.readers[i].read(text);
            values[i] = cell == null ? null : plan.converters[i].convert(cell);
          }
          rows.add(new Row(plan.schema, values));
          List<String> k = new ArrayList<>(plan.keyCount); // the last row's key is where the next chunk starts
          for (int i = 0; i < plan.keyCount; i++) {
            k.add(rs.getString(n + 1 + i));
          }
          lastKey = k;
        }
      }
    }
    watermark(Signal.WINDOW_CLOSE, chunkId);
    return new Chunk(chunkId, rows, lastKey, rows.size() < chunkSize);
  }

  private void watermark(String type, String chunkId) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(upsert)) {
      ps.setString(1, watermarkId);
      ps.setString(2, type);
      ps.setString(3, chunkId);
      ps.executeUpdate();
    }
  }

  private Plan plan(TableJob job) throws SQLException {
    MySqlCatalog.MySqlTable table = tables.get(job.table());
    if (table == null) {
      throw new MySqlSourceException(MySqlSourceException.Reason.NO_SUCH_TABLE, "source '" + settings.name()
          + "': table " + job.table() + " is not captured");
    }
    if (table.keyColumns().isEmpty()) {
      throw new MySqlSourceException(MySqlSourceException.Reason.OTHER, "source '" + settings.name() + "': table "
          + job.table() + " has no primary key: an incremental snapshot reads by key");
    }
    if ((job.from() != null || job.to() != null) && table.keyColumns().size() != 1) {
      throw new MySqlSourceException(MySqlSourceException.Reason.OTHER, "source '" + settings.name() + "': table "
          + job.table() + " has a key of " + table.keyColumns().size() + " columns: a key range needs a single-column key");
    }
    List<MySqlColumn> columns = MySqlColumn.fromInformationSchema(conn, table.database(), table.table());
    List<String> names = columns.stream().map(MySqlColumn::name).toList();
    RowSchema schema = RowSchema.of(names, table.keyColumns().stream().filter(names::contains).toList());
    JdbcCells.CellReader[] readers = columns.stream().map(JdbcCells::readerFor).toArray(JdbcCells.CellReader[]::new);
    BinlogValueConverter[] converters = columns.stream().map(JdbcCells::converterColumn)
        .map(MySqlValueConverters::converterFor).toArray(BinlogValueConverter[]::new);
    List<String> keys = table.keyColumns().stream().map(JdbcCells::quote).toList();
    List<String> casts = new ArrayList<>();
    for (String k : table.keyColumns()) {
      MySqlColumn c = columns.get(names.indexOf(k));
      casts.add(switch (c.kind()) {
        case TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT, YEAR -> "CAST(? AS DECIMAL(65,0))";
        case DECIMAL -> "CAST(? AS DECIMAL(65,30))";
        default -> "?";
      });
    }
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < columns.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(JdbcCells.selectExpression(columns.get(i)));
    }
    for (String k : keys) {
      sql.append(", CAST(").append(k).append(" AS CHAR)");
    }
    sql.append(" FROM ").append(JdbcCells.quote(table.database())).append('.').append(JdbcCells.quote(table.table()));
    List<String> where = new ArrayList<>();
    if (job.lastKey() != null) {
      List<String> or = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        StringBuilder term = new StringBuilder("(");
        for (int j = 0; j < i; j++) {
          term.append(keys.get(j)).append(" = ").append(casts.get(j)).append(" AND ");
        }
        term.append(keys.get(i)).append(" > ").append(casts.get(i)).append(')');
        or.add(term.toString());
      }
      where.add("(" + String.join(" OR ", or) + ")");
    }
    if (job.from() != null) {
      where.add(keys.get(0) + " >= " + casts.get(0));
    }
    if (job.to() != null) {
      where.add(keys.get(0) + " <= " + casts.get(0));
    }
    if (!where.isEmpty()) {
      sql.append(" WHERE ").append(String.join(" AND ", where));
    }
    sql.append(" ORDER BY ").append(String.join(", ", keys)).append(" LIMIT ?");
    return new Plan(sql.toString(), schema, readers, converters, columns, keys.size(), casts);
  }

  @Override
  public void close() {
    try {
      conn.close();
    } catch (SQLException e) {
      // closing a connection that failed: nothing more to do
    }
  }
}
