package io.syncline.streams.lake;

import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * The rows of a snapshot, read lazily through Kernel's scan one data batch at a time (column name →
 * {@link Columns#get} value): for aggregates and the demo's comparisons, which must not hold a table in memory.
 */
final class TableRows implements CloseableIterator<Map<String, Object>> {

  private final Engine engine;
  private final Row state;
  private final StructType physicalRead;
  private final CloseableIterator<FilteredColumnarBatch> files;
  private CloseableIterator<Row> fileRows;
  private CloseableIterator<FilteredColumnarBatch> data;
  private FilteredColumnarBatch batch;
  private int row;
  private Map<String, Object> next;

  TableRows(Engine engine, Snapshot snapshot) {
    this(engine, snapshot, null, null);
  }

  /**
   * @param filter files that cannot hold a matching row are skipped (data skipping, partition
   *     pruning); rows of the files read are not filtered, the caller checks them. Null: every file
   * @param columns the columns to read, null for all
   */
  TableRows(Engine engine, Snapshot snapshot, io.delta.kernel.expressions.Predicate filter, StructType columns) {
    this.engine = engine;
    io.delta.kernel.ScanBuilder builder = snapshot.getScanBuilder();
    if (filter != null) {
      builder = builder.withFilter(filter);
    }
    if (columns != null) {
      builder = builder.withReadSchema(columns);
    }
    Scan scan = builder.build();
    this.state = scan.getScanState(engine);
    this.physicalRead = ScanStateRow.getPhysicalDataReadSchema(state);
    this.files = scan.getScanFiles(engine);
  }

  @Override
  public boolean hasNext() {
    try {
      while (next == null) {
        if (batch != null && row < batch.getData().getSize()) {
          int r = row++;
          if (batch.getSelectionVector().isPresent() && !batch.getSelectionVector().get().getBoolean(r)) {
            continue;
          }
          ColumnarBatch b = batch.getData();
          Map<String, Object> m = new HashMap<>();
          for (int c = 0; c < b.getSchema().length(); c++) {
            m.put(b.getSchema().at(c).getName(), Columns.get(b.getColumnVector(c), r));
          }
          next = m;
        } else if (data != null && data.hasNext()) {
          batch = data.next();
          row = 0;
        } else if (fileRows != null && fileRows.hasNext()) {
          closeData();
          Row scanFile = fileRows.next();
          CloseableIterator<ColumnarBatch> physical = engine.getParquetHandler()
              .readParquetFiles(DeltaIo.single(InternalScanFileUtils.getAddFileStatus(scanFile)), physicalRead,
                  Optional.empty())
              .map(r -> r.getData());
          data = Scan.transformPhysicalData(engine, state, scanFile, physical);
        } else if (files.hasNext()) {
          if (fileRows != null) {
            fileRows.close();
          }
          fileRows = files.next().getRows();
        } else {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Map<String, Object> next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Map<String, Object> out = next;
    next = null;
    return out;
  }

  private void closeData() throws IOException {
    if (data != null) {
      data.close();
      data = null;
    }
    batch = null;
  }

  @Override
  public void close() throws IOException {
    closeData();
    if (fileRows != null) {
      fileRows.close();
    }
    files.close();
  }
}
