package io.syncline.streams.mysql;

import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.TableStart;
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
import io.syncline.streams.snapshot.ChunkPlanner;
import io.syncline.streams.snapshot.KeyRange;
import io.syncline.streams.snapshot.ParallelSnapshot;
import io.syncline.streams.snapshot.SnapshotChunk;
import io.syncline.streams.snapshot.SnapshotProgress;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MySQL/MariaDB side of a parallel initial snapshot: {@code snapshot-parallelism} connections,
 * each a {@code START TRANSACTION WITH CONSISTENT SNAPSHOT} at the same binlog position (a commit
 * slipping between two of them gives two positions: all are opened again, {@value #ATTEMPTS} times
 * at most, then the snapshot goes on with the connections of the most common position, saying so in
 * the log). The tables are split in chunks of primary-key ranges ({@link ChunkPlanner}); rows are
 * read as the binlog carries them ({@link JdbcCells}) and converted by the binlog's converters, so a
 * value's JSON is the same from the snapshot and from the binlog. Every row is an {@link Op#READ}
 * event at {@code BinlogPosition(file, pos, 0)}, before every binlog change at or after the snapshot.
 */
final class MySqlParallelSnapshot {

  private static final Logger log = LoggerFactory.getLogger(MySqlParallelSnapshot.class);
  static final int ATTEMPTS = 3;
  private static final Set<MySqlColumn.Kind> INTEGER_KEYS = EnumSet.of(MySqlColumn.Kind.TINYINT,
      MySqlColumn.Kind.SMALLINT, MySqlColumn.Kind.MEDIUMINT, MySqlColumn.Kind.INT, MySqlColumn.Kind.BIGINT);

  /** A snapshot ready to read: its consistent position and its records. */
  record Opened(BinlogPosition position, Source<List<CaptureRecord>, NotUsed> records) {}

  private MySqlParallelSnapshot() {}

  /**
   * Opens the connections at one position and plans the chunks of {@code tables}; chunks recorded
   * in {@code recorded} are not read again.
   */
  static Opened open(MySqlSourceSettings settings, List<MySqlCatalog.MySqlTable> tables,
      Map<TableRef, TableStart> recorded) {
    List<MySqlSnapshot> snapshots = samePosition(settings, settings.snapshot().parallelism());
    try {
      MySqlSnapshot first = snapshots.get(0);
      BinlogPosition view = first.position();
      Connection planning = first.connection();
      Map<String, Long> estimates = estimates(planning, tables);
      SnapshotProgress progress = SnapshotProgress.start(settings.name());
      List<ParallelSnapshot.Task> tasks = new ArrayList<>();
      List<ParallelSnapshot.Table> done = new ArrayList<>();
      for (MySqlCatalog.MySqlTable table : tables) {
        TableRef ref = MySqlSnapshotPlan.ref(settings, table);
        TableReader reader = new TableReader(settings, ref, table, planning, view, first.startMicros());
        TableStart start = recorded.getOrDefault(ref, TableStart.NEW);
        List<SnapshotChunk> before = start.snapshotCompleted() ? List.of() : start.snapshotChunks();
        List<KeyRange> remaining = KeyRange.remaining(before.stream().map(SnapshotChunk::range).toList());
        List<KeyRange> chunks = reader.key == null
            ? remaining
            : ChunkPlanner.plan(remaining, settings.snapshot().chunkSize(), ChunkPlanner.jdbc(planning,
                JdbcCells.quote(table.database()) + "." + JdbcCells.quote(table.table()), JdbcCells.quote(reader.key)));
        chunks.forEach(r -> tasks.add(new ParallelSnapshot.Task(reader, r)));
        long previousRows = before.stream().mapToLong(SnapshotChunk::rows).sum();
        progress.table(ref, estimates.getOrDefault(table.qualifiedName(), 0L), previousRows, chunks.size() + before.size());
        before.forEach(c -> progress.chunkDone(ref));
        // the binlog is read from the earliest view any recorded chunk was read at: the table completes there
        SourcePosition donePosition = view;
        for (SnapshotChunk c : before) {
          if (donePosition.isAfter(c.view())) {
            donePosition = c.view();
          }
        }
        done.add(new ParallelSnapshot.Table(ref, previousRows, donePosition));
        if (!before.isEmpty()) {
          log.info("source '{}': snapshot of {} resumes: {} chunks ({} rows) recorded, {} chunks left", settings.name(),
              table.qualifiedName(), before.size(), previousRows, chunks.size());
        }
      }
      List<Connection> connections = snapshots.stream().map(MySqlSnapshot::connection).toList();
      return new Opened(view, ParallelSnapshot.source(settings.name(), connections, view, tasks, done,
          settings.maxBatchSize(), progress));
    } catch (SQLException | RuntimeException e) {
      snapshots.forEach(MySqlSnapshot::close);
      if (e instanceof SQLException sql) {
        throw new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': cannot plan the initial"
            + " snapshot: " + sql.getMessage(), sql);
      }
      throw (RuntimeException) e;
    }
  }

  /** {@code n} snapshot connections at one binlog position (fewer when writes keep slipping in between). */
  private static List<MySqlSnapshot> samePosition(MySqlSourceSettings settings, int n) {
    List<MySqlSnapshot> last = List.of();
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      last = MySqlSnapshot.beginAll(settings, n);
      if (last.stream().map(MySqlSnapshot::position).distinct().count() == 1) {
        return last;
      }
      if (attempt < ATTEMPTS) {
        last.forEach(MySqlSnapshot::close);
      }
    }
    Map<BinlogPosition, List<MySqlSnapshot>> byPosition = new LinkedHashMap<>();
    last.forEach(s -> byPosition.computeIfAbsent(s.position(), p -> new ArrayList<>()).add(s));
    List<MySqlSnapshot> best = byPosition.values().stream().max(java.util.Comparator.comparingInt(List::size))
        .orElseThrow();
    last.stream().filter(s -> !best.contains(s)).forEach(MySqlSnapshot::close);
    log.warn("source '{}': {} snapshot connections did not start at one binlog position in {} attempts (writes"
        + " committed in between): the snapshot reads over {} connections", settings.name(), n, ATTEMPTS, best.size());
    return best;
  }

  private static Map<String, Long> estimates(Connection c, List<MySqlCatalog.MySqlTable> tables) throws SQLException {
    Map<String, Long> out = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?")) {
      for (MySqlCatalog.MySqlTable t : tables) {
        ps.setString(1, t.database());
        ps.setString(2, t.table());
        try (ResultSet rs = ps.executeQuery()) {
          out.put(t.qualifiedName(), rs.next() ? Math.max(0, rs.getLong(1)) : 0L);
        }
      }
    }
    return out;
  }

  /** Reads key ranges of one table. Shared by the workers: immutable. */
  private static final class TableReader implements ParallelSnapshot.ChunkReader {
    private final String sourceName;
    private final TableRef ref;
    private final MySqlCatalog.MySqlTable table;
    private final List<MySqlColumn> columns;
    private final RowSchema schema;
    private final JdbcCells.CellReader[] readers;
    private final BinlogValueConverter[] converters;
    private final String select;
    private final String key;
    private final BinlogPosition position;
    private final long micros;
    private final int fetchSize;

    TableReader(MySqlSourceSettings settings, TableRef ref, MySqlCatalog.MySqlTable table, Connection c,
        BinlogPosition position, long micros) throws SQLException {
      this.sourceName = settings.name();
      this.ref = ref;
      this.table = table;
      this.columns = MySqlColumn.fromInformationSchema(c, table.database(), table.table());
      List<String> names = columns.stream().map(MySqlColumn::name).toList();
      this.schema = RowSchema.of(names, table.keyColumns().stream().filter(names::contains).toList());
      this.readers = columns.stream().map(JdbcCells::readerFor).toArray(JdbcCells.CellReader[]::new);
      this.converters = columns.stream().map(JdbcCells::converterColumn)
          .map(MySqlValueConverters::converterFor).toArray(BinlogValueConverter[]::new);
      StringBuilder sql = new StringBuilder("SELECT ");
      for (int i = 0; i < columns.size(); i++) {
        sql.append(i == 0 ? "" : ", ").append(JdbcCells.selectExpression(columns.get(i)));
      }
      this.select = sql.append(" FROM ").append(JdbcCells.quote(table.database())).append('.')
          .append(JdbcCells.quote(table.table())).toString();
      String k = null;
      if (table.keyColumns().size() == 1) {
        k = columns.stream()
            .filter(col -> col.name().equals(table.keyColumns().get(0)) && INTEGER_KEYS.contains(col.kind())
                && !(col.kind() == MySqlColumn.Kind.BIGINT && col.unsigned())) // beyond a signed long
            .findFirst().map(MySqlColumn::name).orElse(null);
      }
      this.key = k;
      this.position = position;
      this.micros = micros;
      this.fetchSize = settings.maxBatchSize();
    }

    @Override
    public TableRef table() {
      return ref;
    }

    @Override
    public ParallelSnapshot.Cursor open(Connection connection, KeyRange range) throws SQLException {
      if (!range.isAll() && key == null) {
        throw new IllegalStateException("table " + table.qualifiedName() + " has no integer key to read " + range + " of");
      }
      Statement st = connection.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
      st.setFetchSize(fetchSize); // streaming: the driver holds one fetch of rows, the rest waits in the socket
      ResultSet rs = st.executeQuery(range.isAll() ? select : select + range.where(JdbcCells.quote(key)));
      return new ParallelSnapshot.Cursor() {
        @Override
        public ChangeEvent next() throws SQLException {
          if (!rs.next()) {
            return null;
          }
          Object[] values = new Object[readers.length];
          for (int i = 0; i < values.length; i++) {
            values[i] = convert(rs.getBytes(i + 1), i);
          }
          return new ChangeEvent(ref, Op.READ, position, null, 0, micros, true, null, new Row(schema, values), List.of());
        }

        @Override
        public void close() throws SQLException {
          rs.close();
          st.close();
        }
      };
    }

    private Object convert(byte[] text, int i) {
      MySqlColumn column = columns.get(i);
      try {
        Serializable cell = readers[i].read(text);
        return cell == null ? null : converters[i].convert(cell);
      } catch (NumberFormatException e) {
        // its message holds the value: not passed on
        throw new MySqlSourceException(Reason.OTHER, "source '" + sourceName + "': snapshot of "
            + table.qualifiedName() + ", column " + column.name() + ": the server sent a value that is not a "
            + column.kind().name().toLowerCase(java.util.Locale.ROOT) + " number");
      } catch (RuntimeException e) {
        // the message names the column and type, never the value
        throw new MySqlSourceException(Reason.OTHER, "source '" + sourceName + "': snapshot of "
            + table.qualifiedName() + ", column " + column.name() + ": " + e.getMessage(), e);
      }
    }
  }
}
