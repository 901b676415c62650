package io.syncline.streams.lake;

import io.delta.kernel.Snapshot;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.actions.AddFile;
import io.delta.kernel.utils.CloseableIterator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;

/**
 * Reads a lake back as any Delta reader would (Kernel's scan of the latest snapshot), for the demo's
 * summary line and for comparing silver with the source row by row: never the writer's state.
 */
public final class LakeTables {

  private final Engine engine = DefaultEngine.create(new Configuration());
  private final Path root;

  public LakeTables(Path root) {
    this.root = root;
  }

  /** What the lake holds: {@code lake bronze_events=… silver_tables=… silver_rows=… gold_tables=…}. */
  public record Summary(long bronzeEvents, int silverTables, long silverRows, int goldTables) {
    public String line() {
      return "lake bronze_events=" + bronzeEvents + " silver_tables=" + silverTables + " silver_rows=" + silverRows
          + " gold_tables=" + goldTables;
    }
  }

  public Summary summary() throws IOException {
    long bronze = count(root.resolve("bronze").resolve("events"));
    long silverRows = 0;
    List<Path> silver = tables(root.resolve("silver"));
    for (Path t : silver) {
      silverRows += count(t);
    }
    return new Summary(bronze, silver.size(), silverRows, tables(root.resolve("gold")).size());
  }

  /** The Delta tables directly under {@code dir} (directories with a {@code _delta_log}). */
  public static List<Path> tables(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> children = Files.list(dir)) {
      children.filter(p -> Files.isDirectory(p.resolve("_delta_log"))).sorted().forEach(out::add);
    }
    return out;
  }

  /** Rows of a table's latest version, from the files' record counts (0 when there is no table). */
  public long count(Path table) throws IOException {
    Optional<Snapshot> snapshot = DeltaIo.latest(engine, table.toString());
    if (snapshot.isEmpty()) {
      return 0;
    }
    long n = 0;
    for (Row f : DeltaIo.scanFiles(engine, snapshot.get().getScanBuilder())) {
      AddFile add = new AddFile(f.getStruct(InternalScanFileUtils.ADD_FILE_ORDINAL));
      Optional<Long> records = add.getNumRecords();
      if (records.isEmpty()) {
        return countRows(snapshot.get()); // a file without statistics: count them all by reading
      }
      n += records.get();
    }
    return n;
  }

  private long countRows(Snapshot snapshot) throws IOException {
    long n = 0;
    try (CloseableIterator<Map<String, Object>> rows = new TableRows(engine, snapshot)) {
      while (rows.hasNext()) {
        rows.next();
        n++;
      }
    }
    return n;
  }

  /**
   * The rows of a table's latest version, one data batch in memory at a time: column name → value
   * (long for integers and timestamps in microseconds, int days for dates, double, boolean,
   * BigDecimal, String). Close it when done.
   */
  public CloseableIterator<Map<String, Object>> rows(Path table) {
    Optional<Snapshot> snapshot = DeltaIo.latest(engine, table.toString());
    if (snapshot.isEmpty()) {
      return DeltaIo.closeableOf(java.util.Collections.emptyIterator());
    }
    return new TableRows(engine, snapshot.get());
  }
}
