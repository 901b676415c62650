package io.syncline.streams.postgres;

import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.postgres.types.PgTypeRegistry;
import io.syncline.streams.postgres.types.ValueConverter;
import io.syncline.streams.snapshot.ChunkPlanner;
import io.syncline.streams.snapshot.KeyRange;
import io.syncline.streams.snapshot.ParallelSnapshot;
import io.syncline.streams.snapshot.SnapshotChunk;
import io.syncline.streams.snapshot.SnapshotProgress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL side of a parallel initial snapshot: {@code snapshot-parallelism} connections,
 * each in a {@code REPEATABLE READ, READ ONLY} transaction that imported the same exported snapshot
 * ({@code SET TRANSACTION SNAPSHOT}), so every chunk is read in one consistent view; the tables
 * split in chunks of primary-key ranges ({@link ChunkPlanner}); the rows read as the single-connection
 * snapshot read them (text values through the type registry's converters), op {@code r} at
 * {@code PgPosition(view, 0)}.
 */
final class PgParallelSnapshot {

  private static final Logger log = LoggerFactory.getLogger(PgParallelSnapshot.class);
  /** int8, int2, int4: the key types split in ranges. */
  private static final Set<Integer> INTEGER_KEYS = Set.of(20, 21, 23);

  private PgParallelSnapshot() {}

  /**
   * Opens the workers (each imports {@code snapshotName}: call this before the exporting connection
   * runs anything else), plans the chunks and returns the snapshot's records.
   *
   * @param view the exported snapshot's consistent point
   * @param donePosition where each table's snapshot completes (the stream's start)
   * @param recorded per table, the chunks recorded by earlier runs (not read again)
   */
  static Source<List<CaptureRecord>, NotUsed> open(PgSourceSettings settings, PgConnector connector, String snapshotName,
      long view, long donePosition, List<PgTable> tables, Map<TableRef, List<SnapshotChunk>> recorded,
      PgTypeRegistry types) throws SQLException {
    List<Connection> workers = new ArrayList<>();
    try {
      for (int i = 0; i < settings.snapshot().parallelism(); i++) {
        workers.add(importSnapshot(connector.connect(), snapshotName));
      }
      Connection planning = workers.get(0);
      PgCatalog catalog = new PgCatalog(settings, planning);
      Map<String, Long> estimates = catalog.estimateRows(tables);
      java.time.Instant now = java.time.Instant.now();
      long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
      SnapshotProgress progress = SnapshotProgress.start(settings.name());
      List<ParallelSnapshot.Task> tasks = new ArrayList<>();
      List<ParallelSnapshot.Table> done = new ArrayList<>();
      PgTypeRegistry known = types;
      for (PgTable table : tables) {
        // columns as the catalog sees them inside the snapshot
        PgTable current = catalog.describe(table.ref().schema(), table.ref().table());
        known = known.ensureKnown(planning, current.columns().stream().mapToInt(PgTable.Column::typeOid).toArray());
        TableReader reader = new TableReader(table.ref(), current, known, new PgPosition(view, 0), micros,
            settings.snapshotFetchSize());
        List<SnapshotChunk> before = recorded.getOrDefault(table.ref(), List.of());
        List<KeyRange> remaining = KeyRange.remaining(before.stream().map(SnapshotChunk::range).toList());
        List<KeyRange> chunks = reader.key == null
            ? remaining
            : ChunkPlanner.plan(remaining, settings.snapshot().chunkSize(),
                ChunkPlanner.jdbc(planning, current.quotedName(), PgCatalog.quoteIdent(reader.key)));
        chunks.forEach(r -> tasks.add(new ParallelSnapshot.Task(reader, r)));
        long previousRows = before.stream().mapToLong(SnapshotChunk::rows).sum();
        progress.table(table.ref(), estimates.getOrDefault(table.ref().qualifiedName(), 0L), previousRows,
            chunks.size() + before.size());
        for (int i = 0; i < before.size(); i++) {
          progress.chunkDone(table.ref());
        }
        done.add(new ParallelSnapshot.Table(table.ref(), previousRows, new PgPosition(donePosition, 0)));
        if (!before.isEmpty()) {
          log.info("source '{}': snapshot of {} resumes: {} chunks ({} rows) recorded, {} chunks left", settings.name(),
              table.ref().qualifiedName(), before.size(), previousRows, chunks.size());
        }
      }
      return ParallelSnapshot.source(settings.name(), workers, new PgPosition(view, 0), tasks, done,
          settings.maxBatchSize(), progress);
    } catch (SQLException | RuntimeException e) {
      for (Connection c : workers) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // closing after a failure: the failure is what matters
        }
      }
      throw e;
    }
  }

  private static Connection importSnapshot(Connection c, String snapshotName) throws SQLException {
    try {
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      try (Statement s = c.createStatement()) {
        s.execute("SET TRANSACTION READ ONLY");
        s.execute("SET TRANSACTION SNAPSHOT '" + snapshotName.replace("'", "''") + "'");
      }
      return c;
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }

  /** Reads key ranges of one table. Shared by the workers: immutable. */
  private static final class TableReader implements ParallelSnapshot.ChunkReader {
    private final TableRef ref;
    private final RowSchema schema;
    private final ValueConverter[] converters;
    private final String select;
    private final String key;
    private final PgPosition position;
    private final long micros;
    private final int fetchSize;

    TableReader(TableRef ref, PgTable current, PgTypeRegistry types, PgPosition position, long micros, int fetchSize) {
      this.ref = ref;
      this.schema = RowSchema.of(current.columns().stream().map(PgTable.Column::name).toList(), current.keyColumns());
      this.converters = current.columns().stream()
          .map(c -> types.converterFor(c.typeOid(), c.typeModifier()))
          .toArray(ValueConverter[]::new);
      StringBuilder sql = new StringBuilder("SELECT ");
      for (int i = 0; i < current.columns().size(); i++) {
        sql.append(i == 0 ? "" : ", ").append(PgCatalog.quoteIdent(current.columns().get(i).name()));
      }
      this.select = sql.append(" FROM ").append(current.quotedName()).toString();
      String k = null;
      if (current.keyColumns().size() == 1) {
        String name = current.keyColumns().get(0);
        k = current.columns().stream().filter(c -> c.name().equals(name) && INTEGER_KEYS.contains(c.typeOid()))
            .findFirst().map(PgTable.Column::name).orElse(null);
      }
      this.key = k;
      this.position = position;
      this.micros = micros;
      this.fetchSize = fetchSize;
    }

    @Override
    public TableRef table() {
      return ref;
    }

    @Override
    public ParallelSnapshot.Cursor open(Connection connection, KeyRange range) throws SQLException {
      if (!range.isAll() && key == null) {
        throw new IllegalStateException("table " + ref.qualifiedName() + " has no integer key to read " + range + " of");
      }
      Statement st = connection.createStatement();
      st.setFetchSize(fetchSize);
      ResultSet rs = st.executeQuery(range.isAll() ? select : select + range.where(PgCatalog.quoteIdent(key)));
      return new ParallelSnapshot.Cursor() {
        @Override
        public ChangeEvent next() throws SQLException {
          if (!rs.next()) {
            return null;
          }
          Object[] values = new Object[converters.length];
          for (int i = 0; i < values.length; i++) {
            String text = rs.getString(i + 1);
            values[i] = text == null ? null : converters[i].convert(text);
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
  }
}
