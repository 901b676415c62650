package io.syncline.streams.postgres;

import io.syncline.persistence.IncrementalSnapshotState.TableJob;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.postgres.types.PgTypeRegistry;
import io.syncline.streams.postgres.types.ValueConverter;
import io.syncline.streams.snapshot.incremental.ChunkReader;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshotSettings;
import io.syncline.streams.snapshot.incremental.Signal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads incremental-snapshot chunks of PostgreSQL tables on its own connection (autocommit):
 * upserts the source's watermark row of the signal table to {@code snapshot-window-open}, selects
 * {@code WHERE (key) > (last key) ORDER BY key LIMIT n}, upserts it to {@code snapshot-window-close}.
 * Values are read in text form and converted like the stream's. Key values are bound cast to the
 * key columns' types, so text forms compare exactly.
 */
final class PgChunkReader implements ChunkReader {

  /** How one table is read. */
  private record Plan(String select, String first, RowSchema schema, ValueConverter[] converters, int[] keyColumns,
      String[] keyTypes, boolean rangeFrom, boolean rangeTo) {}

  private final PgSourceSettings settings;
  private final IncrementalSnapshotSettings inc;
  private final String watermarkId;
  private final String upsert;
  private final Connection conn;
  private PgTypeRegistry types;
  private final Map<String, Plan> plans = new HashMap<>();

  PgChunkReader(PgSourceSettings settings) {
    this.settings = settings;
    this.inc = settings.incrementalSnapshot();
    String id = "watermark:" + settings.name();
    this.watermarkId = id.length() > 64 ? id.substring(0, 64) : id;
    this.upsert = "INSERT INTO " + PgCatalog.quoteIdent(inc.signalSchema()) + "." + PgCatalog.quoteIdent(inc.signalTableName())
        + " (id, type, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, data = EXCLUDED.data";
    this.conn = new PgConnector(settings).connect();
  }

  @Override
  public Chunk read(TableJob job, String chunkId, int chunkSize) throws SQLException {
    if (types == null) {
      types = PgTypeRegistry.load(conn);
    }
    String key = job.table() + (job.from() != null ? "|from" : "") + (job.to() != null ? "|to" : "");
    Plan plan = plans.get(key);
    if (plan == null) {
      plan = plan(job);
      plans.put(key, plan);
    }
    watermark(Signal.WINDOW_OPEN, chunkId);
    List<Row> rows = new ArrayList<>(Math.min(chunkSize, 4096));
    List<String> lastKey = job.lastKey();
    try (PreparedStatement ps = conn.prepareStatement(job.lastKey() == null ? plan.first : plan.select)) {
      int p = 1;
      if (job.lastKey() != null) {
        for (String v : job.lastKey()) {
          ps.setString(p++, v);
        }
      }
      if (plan.rangeFrom) {
        ps.setString(p++, job.from().get(0));
      }
      if (plan.rangeTo) {
        ps.setString(p++, job.to().get(0));
      }
      ps.setInt(p, chunkSize);
      ps.setFetchSize(chunkSize);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Object[] values = new Object[plan.converters.length];
          for (int i = 0; i < values.length; i++) {
            String text = rs.getString(i + 1);
            values[i] = text == null ? null : plan.converters[i].convert(text);
          }
          rows.add(new Row(plan.schema, values));
          List<String> k = new ArrayList<>(plan.keyColumns.length); // the last row's key is where the next chunk starts
          for (int c : plan.keyColumns) {
            k.add(rs.getString(c + 1));
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
    int dot = job.table().indexOf('.');
    PgTable t = new PgCatalog(settings, conn).describe(job.table().substring(0, dot), job.table().substring(dot + 1));
    if (t.keyColumns().isEmpty()) {
      throw new PgSourceException(PgSourceException.Reason.NO_PRIMARY_KEY, "source '" + settings.name() + "': table "
          + job.table() + " has no primary key or replica-identity index: an incremental snapshot reads by key");
    }
    List<String> names = t.columns().stream().map(PgTable.Column::name).toList();
    types = types.ensureKnown(conn, t.columns().stream().mapToInt(PgTable.Column::typeOid).toArray());
    ValueConverter[] converters = t.columns().stream().map(c -> types.converterFor(c.typeOid(), c.typeModifier()))
        .toArray(ValueConverter[]::new);
    int[] keyCols = t.keyColumns().stream().mapToInt(names::indexOf).toArray();
    String[] keyTypes = new String[keyCols.length];
    try (PreparedStatement ps = conn.prepareStatement("SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
        + " WHERE a.attrelid = ?::regclass AND a.attname = ?")) {
      for (int i = 0; i < keyCols.length; i++) {
        ps.setString(1, t.quotedName());
        ps.setString(2, names.get(keyCols[i]));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          keyTypes[i] = rs.getString(1);
        }
      }
    }
    if ((job.from() != null || job.to() != null) && keyCols.length != 1) {
      throw new PgSourceException(PgSourceException.Reason.OTHER, "source '" + settings.name() + "': table "
          + job.table() + " has a key of " + keyCols.length + " columns: a key range (from/to) needs a single-column key");
    }
    StringBuilder cols = new StringBuilder();
    for (int i = 0; i < names.size(); i++) {
      cols.append(i == 0 ? "" : ", ").append(PgCatalog.quoteIdent(names.get(i)));
    }
    StringBuilder keyList = new StringBuilder();
    StringBuilder params = new StringBuilder();
    for (int i = 0; i < keyCols.length; i++) {
      keyList.append(i == 0 ? "" : ", ").append(PgCatalog.quoteIdent(names.get(keyCols[i])));
      params.append(i == 0 ? "" : ", ").append("CAST(? AS ").append(keyTypes[i]).append(')');
    }
    List<String> range = new ArrayList<>();
    String k0 = PgCatalog.quoteIdent(names.get(keyCols[0]));
    if (job.from() != null) {
      range.add(k0 + " >= CAST(? AS " + keyTypes[0] + ")");
    }
    if (job.to() != null) {
      range.add(k0 + " <= CAST(? AS " + keyTypes[0] + ")");
    }
    String base = "SELECT " + cols + " FROM " + t.quotedName() + " WHERE ";
    String after = "(" + keyList + ") > (" + params + ")";
    String rangeSql = String.join(" AND ", range);
    String tail = " ORDER BY " + keyList + " LIMIT ?";
    String select = base + after + (range.isEmpty() ? "" : " AND " + rangeSql) + tail;
    String first = base + (range.isEmpty() ? "TRUE" : rangeSql) + tail;
    return new Plan(select, first, RowSchema.of(names, t.keyColumns()), converters, keyCols, keyTypes,
        job.from() != null, job.to() != null);
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
