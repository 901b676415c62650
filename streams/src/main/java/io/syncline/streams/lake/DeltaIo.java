package io.syncline.streams.lake;

import io.delta.kernel.DataWriteContext;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.Transaction;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Small helpers over Delta Kernel shared by the bronze and silver tables. */
final class DeltaIo {

  private static final String PHYSICAL_NAME = "delta.columnMapping.physicalName";

  private DeltaIo() {}

  /** The table's latest snapshot, or empty when there is no table at {@code path} yet. */
  static Optional<Snapshot> latest(Engine engine, String path) {
    try {
      return Optional.of(Table.forPath(engine, path).getLatestSnapshot(engine));
    } catch (TableNotFoundException e) {
      return Optional.empty();
    }
  }

  /**
   * Writes {@code batches} (logical data of one partition, in the transaction's schema) as Parquet
   * files of the transaction's table and returns their add actions. {@code extraStats}: columns to
   * collect min/max for besides the table's default ones.
   */
  static List<Row> write(Engine engine, Transaction txn, Map<String, Literal> partition,
      Iterator<ColumnarBatch> batches, List<Column> extraStats, boolean logical) throws IOException {
    Row state = txn.getTransactionState(engine);
    CloseableIterator<FilteredColumnarBatch> data = closeable(batches);
    CloseableIterator<FilteredColumnarBatch> physical =
        logical ? Transaction.transformLogicalData(engine, state, data, partition) : data;
    DataWriteContext ctx = Transaction.getWriteContext(engine, state, partition);
    List<Column> stats = new ArrayList<>(ctx.getStatisticsColumns());
    for (Column c : extraStats) {
      if (!stats.contains(c)) {
        stats.add(c);
      }
    }
    List<Row> actions = new ArrayList<>();
    try (CloseableIterator<DataFileStatus> files =
        engine.getParquetHandler().writeParquetFiles(ctx.getTargetDirectory(), physical, stats);
        CloseableIterator<Row> adds = Transaction.generateAppendActions(engine, state, files, ctx)) {
      while (adds.hasNext()) {
        actions.add(adds.next());
      }
    }
    return actions;
  }

  /** Actions to commit, replayable (Kernel reads them again when it retries after a conflict). */
  static CloseableIterable<Row> iterable(List<Row> actions) {
    return new CloseableIterable<>() {
      @Override
      public CloseableIterator<Row> iterator() {
        return closeableOf(actions.iterator());
      }

      @Override
      public void close() {}
    };
  }

  private static CloseableIterator<FilteredColumnarBatch> closeable(Iterator<ColumnarBatch> batches) {
    return closeableOf(batches).map(b -> new FilteredColumnarBatch(b, Optional.empty()));
  }

  /** A closeable view of an iterator that holds no resources. */
  static <T> CloseableIterator<T> closeableOf(Iterator<T> it) {
    return new CloseableIterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public T next() {
        return it.next();
      }

      @Override
      public void close() {}
    };
  }

  /**
   * Deletes data files written for a commit that did not happen (a conflict or a failure), so a
   * retry leaves no orphans behind; best effort (vacuum removes what is left).
   */
  static void deleteUncommitted(String tablePath, List<Row> addActions) {
    for (Row action : addActions) {
      String path = addPath(action);
      if (path == null) {
        continue;
      }
      try {
        Path p = resolve(tablePath, path);
        if (p != null) {
          Files.deleteIfExists(p);
        }
      } catch (IOException | RuntimeException e) {
        // left for vacuum
      }
    }
  }

  /** The path of an add action (relative to the table or absolute), or null for another action. */
  static String addPath(Row singleAction) {
    int add = singleAction.getSchema().indexOf("add");
    if (add < 0 || singleAction.isNullAt(add)) {
      return null;
    }
    Row a = singleAction.getStruct(add);
    return a.getString(a.getSchema().indexOf("path"));
  }

  /** A local file of the table, or null when the table is not on the local file system. */
  static Path resolve(String tablePath, String filePath) {
    URI uri = URI.create(filePath.replace(" ", "%20"));
    if (uri.isAbsolute()) {
      return "file".equals(uri.getScheme()) ? Paths.get(uri) : null;
    }
    URI table = URI.create(tablePath);
    if (table.getScheme() != null && !"file".equals(table.getScheme())) {
      return null;
    }
    Path root = table.getScheme() == null ? Paths.get(tablePath) : Paths.get(table);
    return root.resolve(uri.getPath());
  }

  /** Runs a commit's post-commit hooks (checkpoints, checksums): optimisations, the commit stands without them. */
  static void runHooks(Engine engine, io.delta.kernel.TransactionCommitResult result) {
    for (io.delta.kernel.hook.PostCommitHook hook : result.getPostCommitHooks()) {
      try {
        hook.threadSafeInvoke(engine);
      } catch (IOException | RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(DeltaIo.class).warn("Delta post-commit hook {} failed: {}",
            hook.getType(), e.toString());
      }
    }
  }

  /** The schema with the physical (column-mapping) name of each field: the names in the Parquet files. */
  static io.delta.kernel.types.StructType physical(io.delta.kernel.types.StructType logical) {
    io.delta.kernel.types.StructType out = new io.delta.kernel.types.StructType();
    for (io.delta.kernel.types.StructField f : logical.fields()) {
      String name = f.getMetadata().contains(PHYSICAL_NAME) ? f.getMetadata().getString(PHYSICAL_NAME) : f.getName();
      out = out.add(name, f.getDataType(), true);
    }
    return out;
  }

  /**
   * The scan files (Kernel's rows of add actions) a scan selects: the table's data files, less
   * those its filter skips. Metadata only: one row per file, not the data.
   */
  static List<Row> scanFiles(Engine engine, io.delta.kernel.ScanBuilder scan) throws IOException {
    List<Row> out = new ArrayList<>();
    try (CloseableIterator<FilteredColumnarBatch> batches = scan.build().getScanFiles(engine)) {
      while (batches.hasNext()) {
        try (CloseableIterator<Row> rows = batches.next().getRows()) {
          while (rows.hasNext()) {
            out.add(rows.next());
          }
        }
      }
    }
    return out;
  }

  /**
   * The rows of one data file of {@code snapshot} as logical batches (column mapping and partition
   * values applied), one batch in memory at a time; {@code columns}: the columns to read, null for all.
   */
  static CloseableIterator<FilteredColumnarBatch> readFile(Engine engine, io.delta.kernel.Snapshot snapshot,
      Row scanFile, io.delta.kernel.types.StructType columns) throws IOException {
    io.delta.kernel.ScanBuilder builder = snapshot.getScanBuilder();
    if (columns != null) {
      builder = builder.withReadSchema(columns);
    }
    Row state = builder.build().getScanState(engine);
    io.delta.kernel.types.StructType physicalRead =
        io.delta.kernel.internal.data.ScanStateRow.getPhysicalDataReadSchema(state);
    CloseableIterator<ColumnarBatch> physical = engine.getParquetHandler()
        .readParquetFiles(single(io.delta.kernel.internal.InternalScanFileUtils.getAddFileStatus(scanFile)),
            physicalRead, Optional.empty())
        .map(r -> r.getData());
    return io.delta.kernel.Scan.transformPhysicalData(engine, state, scanFile, physical);
  }

  /** A remove action for the file of a scan row ({@code dataChange}: false for compaction). */
  static Row removeOf(Row scanFile, boolean dataChange) {
    io.delta.kernel.internal.actions.AddFile add = new io.delta.kernel.internal.actions.AddFile(
        scanFile.getStruct(io.delta.kernel.internal.InternalScanFileUtils.ADD_FILE_ORDINAL));
    return io.delta.kernel.internal.actions.SingleAction.createRemoveFileSingleAction(
        add.toRemoveFileRow(dataChange, Optional.of(System.currentTimeMillis())));
  }

  /** An iterator of one element. */
  static <T> CloseableIterator<T> single(T t) {
    return closeableOf(List.of(t).iterator());
  }

  static UncheckedIOException unchecked(IOException e) {
    return new UncheckedIOException(e);
  }
}
