package io.syncline.streams.lake;

import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;

/**
 * Reads a Delta table back the way any Delta reader does, through Delta Kernel's scan of the
 * latest snapshot (log replay, column mapping, partition values), with an engine of its own: never
 * through the writer's state.
 */
final class DeltaReader {

  private static final Engine ENGINE = DefaultEngine.create(new Configuration());

  private DeltaReader() {}

  static Snapshot snapshot(Path table) {
    return Table.forPath(ENGINE, table.toString()).getLatestSnapshot(ENGINE);
  }

  static Snapshot snapshot(Path table, long version) {
    return Table.forPath(ENGINE, table.toString()).getSnapshotAsOfVersion(ENGINE, version);
  }

  /** Every row of the latest version, as column name → value ({@link Columns#get} values). */
  static List<Map<String, Object>> rows(Path table) throws IOException {
    return rows(snapshot(table));
  }

  static List<Map<String, Object>> rows(Snapshot snapshot) throws IOException {
    Scan scan = snapshot.getScanBuilder().build();
    Row state = scan.getScanState(ENGINE);
    StructType physical = ScanStateRow.getPhysicalDataReadSchema(state);
    List<Map<String, Object>> out = new ArrayList<>();
    try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(ENGINE)) {
      while (files.hasNext()) {
        try (CloseableIterator<Row> fileRows = files.next().getRows()) {
          while (fileRows.hasNext()) {
            Row scanFile = fileRows.next();
            FileStatus f = InternalScanFileUtils.getAddFileStatus(scanFile);
            try (CloseableIterator<ColumnarBatch> data = ENGINE.getParquetHandler()
                    .readParquetFiles(DeltaIo.single(f), physical, Optional.empty()).map(r -> r.getData());
                CloseableIterator<FilteredColumnarBatch> logical =
                    Scan.transformPhysicalData(ENGINE, state, scanFile, data)) {
              while (logical.hasNext()) {
                FilteredColumnarBatch fb = logical.next();
                ColumnarBatch b = fb.getData();
                for (int r = 0; r < b.getSize(); r++) {
                  if (fb.getSelectionVector().isPresent() && !fb.getSelectionVector().get().getBoolean(r)) {
                    continue;
                  }
                  Map<String, Object> row = new LinkedHashMap<>();
                  for (int c = 0; c < b.getSchema().length(); c++) {
                    row.put(b.getSchema().at(c).getName(), Columns.get(b.getColumnVector(c), r));
                  }
                  out.add(row);
                }
              }
            }
          }
        }
      }
    }
    return out;
  }
}
