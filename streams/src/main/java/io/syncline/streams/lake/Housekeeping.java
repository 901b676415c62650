package io.syncline.streams.lake;

import io.delta.kernel.Operation;
import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.Transaction;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.ConcurrentWriteException;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.actions.AddFile;
import io.delta.kernel.internal.actions.SingleAction;
import io.delta.kernel.internal.data.GenericRow;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delta housekeeping of one lake table: <b>compaction</b> (small files of a partition merged into
 * one, in the table's sort order: a k-way merge of the already sorted files, one batch of each in
 * memory, committed with {@code dataChange = false} so streaming readers do not see the rows twice)
 * and <b>vacuum</b> (data files no version within the retention references, deleted; local file
 * system only). Checkpoints and the removal of expired log files are Delta Kernel's own
 * ({@code delta.checkpointInterval}, {@code delta.logRetentionDuration}).
 */
final class Housekeeping {

  private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);

  private final Engine engine;
  private final String path;
  private final String sortColumn;
  private final boolean columnMapping;
  private final LakeSettings settings;

  /**
   * @param sortColumn the column rows are ordered by within a file ({@code _key} in silver,
   *     {@code position_sort} in bronze)
   * @param columnMapping whether the table maps column names (silver): its files are written with physical names
   */
  Housekeeping(Engine engine, String path, String sortColumn, boolean columnMapping, LakeSettings settings) {
    this.engine = engine;
    this.path = path;
    this.sortColumn = sortColumn;
    this.columnMapping = columnMapping;
    this.settings = settings;
  }

  /**
   * Merges the small files of each partition that has at least {@code compaction.min-files} of them.
   * Returns the number of files removed (0: nothing to do, or another writer changed the same files first).
   */
  int compact() throws IOException {
    Optional<Snapshot> snapshot = DeltaIo.latest(engine, path);
    if (snapshot.isEmpty()) {
      return 0;
    }
    Map<Map<String, String>, List<Row>> small = new LinkedHashMap<>();
    for (Row f : DeltaIo.scanFiles(engine, snapshot.get().getScanBuilder())) {
      if (InternalScanFileUtils.getAddFileStatus(f).getSize() < settings.maintenance().smallFileBytes()) {
        small.computeIfAbsent(InternalScanFileUtils.getPartitionValues(f), k -> new ArrayList<>()).add(f);
      }
    }
    Transaction txn = Table.forPath(engine, path).createTransactionBuilder(engine, LakeWriter.ENGINE_INFO,
        Operation.MANUAL_UPDATE).build(engine);
    StructType logical = txn.getSchema(engine);
    List<Row> written = new ArrayList<>();
    List<Row> actions = new ArrayList<>();
    int removed = 0;
    boolean committing = false;
    try {
      for (Map.Entry<Map<String, String>, List<Row>> group : small.entrySet()) {
        List<Row> files = group.getValue();
        if (files.size() < settings.maintenance().minFiles()) {
          continue;
        }
        // one merged file of at most about four small files' worth: big enough to stop being small,
        // small enough that silver rewrites it cheaply when one of its keys changes
        long budget = 4 * settings.maintenance().smallFileBytes();
        int take = 0;
        long bytes = 0;
        while (take < files.size() && take < settings.maintenance().maxFiles() && bytes < budget) {
          bytes += InternalScanFileUtils.getAddFileStatus(files.get(take)).getSize();
          take++;
        }
        if (take < 2) {
          continue;
        }
        files = files.subList(0, take);
        List<Row> adds = merge(snapshot.get(), files, logical, txn, partition(logical, group.getKey()));
        for (Row add : adds) {
          Row unchanged = withoutDataChange(add);
          written.add(unchanged);
          actions.add(unchanged);
        }
        for (Row f : files) {
          actions.add(DeltaIo.removeOf(f, false));
        }
        removed += files.size();
      }
      if (removed == 0) {
        return 0;
      }
      committing = true;
      DeltaIo.runHooks(engine, txn.commit(engine, DeltaIo.iterable(actions)));
      log.info("lake: compacted {} small files of {}", removed, path);
      return removed;
    } catch (ConcurrentWriteException e) {
      DeltaIo.deleteUncommitted(path, written); // a writer rewrote one of the files first: next time
      return 0;
    } catch (IOException | RuntimeException e) {
      if (!committing) { // once the commit was tried, it may have happened: its files stay (vacuum takes orphans)
        DeltaIo.deleteUncommitted(path, written);
      }
      throw e;
    }
  }

  /** Partition values of a group (physical name → text) as the literals of the logical partition columns. */
  private static Map<String, Literal> partition(StructType logical, Map<String, String> values) {
    Map<String, Literal> out = new HashMap<>();
    values.forEach((name, text) -> {
      DataType t = logical.indexOf(name) < 0 ? StringType.STRING : logical.get(name).getDataType();
      out.put(name, text == null ? Literal.ofNull(t)
          : t instanceof DateType ? Literal.ofDate((int) LocalDate.parse(text).toEpochDay()) : Literal.ofString(text));
    });
    return out;
  }

  /** Writes the rows of {@code files} (each sorted by the sort column) as one sorted run of new files. */
  private List<Row> merge(Snapshot snapshot, List<Row> files, StructType logical, Transaction txn,
      Map<String, Literal> partition) throws IOException {
    Scan scan = snapshot.getScanBuilder().build();
    Row state = scan.getScanState(engine);
    StructType physicalRead = ScanStateRow.getPhysicalDataReadSchema(state);
    PriorityQueue<Cursor> heads = new PriorityQueue<>(Comparator.comparing(Cursor::key,
        Comparator.nullsFirst(Comparator.naturalOrder())));
    List<Cursor> cursors = new ArrayList<>();
    try {
      for (Row f : files) {
        FileStatus status = InternalScanFileUtils.getAddFileStatus(f);
        CloseableIterator<ColumnarBatch> physical = engine.getParquetHandler()
            .readParquetFiles(DeltaIo.single(status), physicalRead, Optional.empty()).map(r -> r.getData());
        Cursor c = new Cursor(Scan.transformPhysicalData(engine, state, f, physical), logical, sortColumn);
        cursors.add(c);
        if (c.advance()) {
          heads.add(c);
        }
      }
      StructType target = columnMapping ? DeltaIo.physical(logical) : logical;
      Iterator<ColumnarBatch> merged = new Iterator<>() {
        @Override
        public boolean hasNext() {
          return !heads.isEmpty();
        }

        @Override
        public ColumnarBatch next() {
          if (heads.isEmpty()) {
            throw new NoSuchElementException();
          }
          List<Object[]> rows = new ArrayList<>(settings.rowsPerBatch());
          while (!heads.isEmpty() && rows.size() < settings.rowsPerBatch()) {
            Cursor c = heads.poll();
            rows.add(c.row());
            try {
              if (c.advance()) {
                heads.add(c);
              }
            } catch (IOException e) {
              throw DeltaIo.unchecked(e);
            }
          }
          List<Object[]> cols = new ArrayList<>(logical.length());
          for (int i = 0; i < logical.length(); i++) {
            Object[] col = new Object[rows.size()];
            for (int r = 0; r < rows.size(); r++) {
              col[r] = rows.get(r)[i];
            }
            cols.add(col);
          }
          return Columns.batch(target, cols, rows.size());
        }
      };
      List<Column> stats = List.of(new Column(target.at(logical.indexOf(sortColumn)).getName()));
      return DeltaIo.write(engine, txn, partition, merged, stats, !columnMapping);
    } finally {
      for (Cursor c : cursors) {
        c.close();
      }
    }
  }

  /** One file's rows, one batch at a time, in the logical schema's column order. */
  private static final class Cursor {
    private final CloseableIterator<FilteredColumnarBatch> batches;
    private final StructType logical;
    private final String sortColumn;
    private ColumnarBatch batch;
    private int[] columns;
    private int row = -1;

    Cursor(CloseableIterator<FilteredColumnarBatch> batches, StructType logical, String sortColumn) {
      this.batches = batches;
      this.logical = logical;
      this.sortColumn = sortColumn;
    }

    boolean advance() throws IOException {
      row++;
      while (batch == null || row >= batch.getSize()) {
        if (!batches.hasNext()) {
          return false;
        }
        batch = batches.next().getData();
        columns = new int[logical.length()];
        for (int i = 0; i < columns.length; i++) {
          columns[i] = batch.getSchema().indexOf(logical.at(i).getName());
        }
        row = 0;
      }
      return true;
    }

    String key() {
      return (String) Columns.get(batch.getColumnVector(batch.getSchema().indexOf(sortColumn)), row);
    }

    Object[] row() {
      Object[] out = new Object[columns.length];
      for (int i = 0; i < columns.length; i++) {
        out[i] = columns[i] < 0 ? null : Columns.get(batch.getColumnVector(columns[i]), row);
      }
      return out;
    }

    void close() {
      try {
        batches.close();
      } catch (IOException e) {
        // reading is done
      }
    }
  }

  /** The same add action with {@code dataChange = false}: compaction changes files, not data. */
  private static Row withoutDataChange(Row singleAction) {
    int addOrdinal = singleAction.getSchema().indexOf("add");
    Row add = singleAction.getStruct(addOrdinal);
    StructType schema = add.getSchema();
    Map<Integer, Object> fields = new HashMap<>();
    for (int i = 0; i < schema.length(); i++) {
      if (add.isNullAt(i)) {
        continue;
      }
      DataType t = schema.at(i).getDataType();
      Object v;
      if (schema.at(i).getName().equals("dataChange")) {
        v = false;
      } else if (t instanceof StringType) {
        v = add.getString(i);
      } else if (t instanceof LongType) {
        v = add.getLong(i);
      } else if (t instanceof BooleanType) {
        v = add.getBoolean(i);
      } else if (t instanceof StructType) {
        v = add.getStruct(i);
      } else {
        v = add.getMap(i); // partitionValues, tags
      }
      fields.put(i, v);
    }
    return SingleAction.createAddFileSingleAction(new GenericRow(schema, fields));
  }

  /**
   * Deletes data files that neither the latest version nor any version committed within the
   * retention references, and that are older than the retention themselves (a file being written
   * by a commit in progress is younger). Returns how many were deleted. Local file system only.
   */
  int vacuum() throws IOException {
    Path root = Path.of(path);
    if (!Files.isDirectory(root.resolve("_delta_log"))) {
      return 0;
    }
    long cutoff = System.currentTimeMillis() - settings.maintenance().retention().toMillis();
    Table table = Table.forPath(engine, path);
    Snapshot latest = table.getLatestSnapshot(engine);
    Snapshot oldest; // the version readers of the cutoff time see: every later version must stay readable
    if (latest.getTimestamp(engine) <= cutoff) {
      oldest = latest;
    } else {
      try {
        oldest = table.getSnapshotAsOfTimestamp(engine, cutoff);
      } catch (RuntimeException e) { // the cutoff is before the first commit kept: keep everything
        oldest = table.getSnapshotAsOfVersion(engine, earliestVersion(root, latest.getVersion()));
      }
    }
    Set<String> keep = new HashSet<>();
    addFiles(oldest, keep);
    for (long v = oldest.getVersion() + 1; v <= latest.getVersion(); v++) {
      Path commit = root.resolve("_delta_log").resolve(String.format("%020d.json", v));
      for (String line : Files.readAllLines(commit)) {
        var action = Envelope.EXACT.readTree(line);
        if (action.has("add")) {
          keep.add(normalize(action.get("add").get("path").asText()));
        }
      }
    }
    int deleted = 0;
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String rel = root.relativize(f).toString().replace('\\', '/');
        String data = dataFileOf(rel);
        if (!Files.isRegularFile(f) || data == null || keep.contains(data)) {
          continue;
        }
        if (Files.getLastModifiedTime(f).toMillis() < cutoff) {
          Files.deleteIfExists(f);
          deleted++;
        }
      }
    }
    if (deleted > 0) {
      log.info("lake: vacuum deleted {} unreferenced files of {}", deleted, path);
    }
    return deleted;
  }

  private static long earliestVersion(Path root, long latest) throws IOException {
    long earliest = latest;
    try (Stream<Path> log = Files.list(root.resolve("_delta_log"))) {
      for (Path p : (Iterable<Path>) log::iterator) {
        String n = p.getFileName().toString();
        if (n.matches("\\d{20}\\.json")) {
          earliest = Math.min(earliest, Long.parseLong(n.substring(0, 20)));
        }
      }
    }
    return earliest;
  }

  private void addFiles(Snapshot snapshot, Set<String> keep) throws IOException {
    for (Row f : DeltaIo.scanFiles(engine, snapshot.getScanBuilder())) {
      keep.add(normalize(new AddFile(f.getStruct(InternalScanFileUtils.ADD_FILE_ORDINAL)).getPath()));
    }
  }

  /** A data file's path relative to the table, decoded as on disk. */
  private String normalize(String filePath) {
    Path p = DeltaIo.resolve(path, filePath);
    return p == null ? filePath : Path.of(path).relativize(p).toString().replace('\\', '/');
  }

  /**
   * The data file a file of the table directory belongs to: itself, or for a Hadoop checksum
   * ({@code .name.crc}) its data file; null for what is not data (the log, names starting with
   * '_' or '.', which Delta readers ignore).
   */
  private static String dataFileOf(String rel) {
    String[] parts = rel.split("/");
    for (int i = 0; i < parts.length - 1; i++) {
      if (parts[i].startsWith("_") || parts[i].startsWith(".")) {
        return null;
      }
    }
    String name = parts[parts.length - 1];
    String dir = rel.substring(0, rel.length() - name.length());
    if (name.startsWith(".") && name.endsWith(".crc") && name.length() > 5) {
      return dir + name.substring(1, name.length() - 4);
    }
    return name.startsWith("_") || name.startsWith(".") ? null : rel;
  }

}
