package io.syncline.streams.lake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.Operation;
import io.delta.kernel.Scan;
import io.delta.kernel.ScanBuilder;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.Transaction;
import io.delta.kernel.TransactionCommitResult;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.ConcurrentWriteException;
import io.delta.kernel.exceptions.TableAlreadyExistsException;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.expressions.Predicate;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.utils.CloseableIterator;
import io.syncline.streams.capture.Failures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The silver table of one source table, {@code <lake>/silver/<source>.<schema>.<table>}: its current
 * rows, one per key, with typed columns ({@link LakeType}) and the metadata columns
 * {@code _key} (the key in {@link Keys sortable form}), {@code _source_position} (sortable position of
 * the change that wrote the row), {@code _commit_ts} (its source commit time) and {@code _source_name}.
 *
 * <p>A commit applies a table's changes in position order, whatever order they came in; a change at
 * or before the position stored with its key's row is ignored, and changes at or before the table's
 * committed {@link Progress} are skipped. Rows live in files sorted by {@code _key}; a commit reads
 * only the files whose key range (Delta statistics, Kernel's data skipping) may hold a changed key,
 * one file at a time, writes each changed file anew and removes the old one in the same commit (a
 * copy-on-write merge); new keys go to a new file. Column mapping ({@code name}) is on, so that a
 * new source column can be added to the Delta schema.
 */
final class SilverTable {

  static final String KEY = "_key";
  static final String POSITION = "_source_position";
  static final String COMMIT_TS = "_commit_ts";
  static final String SOURCE_NAME = "_source_name";
  static final Set<String> METADATA_COLUMNS = Set.of(KEY, POSITION, COMMIT_TS, SOURCE_NAME);

  private static final int MAX_ATTEMPTS = 10;
  /** Up to this many changed keys, the scan asks for files that may hold one of them; above, for the key range. */
  private static final int POINT_LOOKUPS = 64;

  private final Engine engine;
  private final String path;
  private final String tableId;
  private final String engineInfo;
  private final LakeSettings settings;

  SilverTable(Engine engine, String path, String tableId, String engineInfo, LakeSettings settings) {
    this.engine = engine;
    this.path = path;
    this.tableId = tableId;
    this.engineInfo = engineInfo;
    this.settings = settings;
  }

  String path() {
    return path;
  }

  /** One change for silver. */
  record Change(LakeRecord record, Envelope envelope, String positionSort, String id) {}

  /** The row a key ends with after this commit's changes: null values for a delete. */
  private static final class Pending {
    String keyJson;
    ObjectNode values;
    Set<String> unchanged = Set.of();
    String position;
    long commitMicros;
    boolean applied;
  }

  /**
   * Tells which changes at or before silver's progress are still to be applied: a change delivered
   * after later ones (an SQS standard queue) that is the latest of its key. Given the late changes,
   * returns the identities ({@link Keys#eventId}) of those to apply.
   */
  interface LateChanges {
    Set<String> toApply(List<Change> late) throws IOException;

    /** Every change at or before the progress is a re-delivery (in-order transports). */
    LateChanges NONE = late -> Set.of();
  }

  /** Applies the changes of this table not applied yet in one Delta commit; returns how many were applied. */
  int commit(List<Change> changes) throws IOException {
    return commit(changes, LateChanges.NONE);
  }

  /** As {@link #commit(List)}, asking {@code lateChanges} about changes at or before the progress. */
  int commit(List<Change> changes, LateChanges lateChanges) throws IOException {
    String app = "syncline:silver:" + tableId;
    for (int attempt = 1; ; attempt++) {
      Optional<Snapshot> snapshot = DeltaIo.latest(engine, path);
      Progress done = Progress.read(snapshot, app);
      List<Change> unseen = new ArrayList<>();
      List<Change> late = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (Change c : changes) {
        if (seen.add(c.id())) {
          (done.covers(c.id()) ? late : unseen).add(c);
        }
      }
      if (!late.isEmpty()) {
        Set<String> apply = lateChanges.toApply(late);
        for (Change c : late) {
          if (apply.contains(c.id())) {
            unseen.add(c);
          }
        }
      }
      if (unseen.isEmpty()) {
        return 0;
      }
      unseen.sort(Comparator.comparing(Change::id));
      Change last = unseen.get(unseen.size() - 1);
      TableShape shape = shapeOf(unseen);
      Progress next = last.id().compareTo(done.position()) > 0
          ? new Progress(done.version() + 1, last.id(), last.record().position().display())
          : new Progress(done.version() + 1, done.position(), done.display());

      boolean truncate = false;
      TreeMap<String, Pending> pending = new TreeMap<>(); // by sortable key: the order rows are written in
      for (Change c : unseen) {
        if (c.envelope().op().equals("t")) {
          truncate = true;
          pending.clear();
        } else {
          fold(pending, c);
        }
      }

      Transaction txn;
      try {
        txn = transaction(snapshot, shape, app, next.version());
      } catch (TableAlreadyExistsException e) {
        continue;
      }
      StructType logical = txn.getSchema(engine);
      List<Row> written = new ArrayList<>();
      List<Row> actions = new ArrayList<>();
      boolean committing = false;
      try {
        if (snapshot.isPresent()) {
          for (Row scanFile : affectedFiles(snapshot.get(), pending, truncate)) {
            rewrite(snapshot.get(), scanFile, pending, logical, shape, truncate, txn, written, actions);
          }
        }
        List<Object[]> fresh = new ArrayList<>();
        for (Pending p : pending.values()) {
          if (!p.applied && p.values != null) {
            fresh.add(row(logical, shape, p, null));
          }
        }
        written.addAll(writeRows(txn, logical, fresh));
        actions.addAll(written);
        if (actions.isEmpty() && next.position().equals(done.position()) && snapshot.isPresent()
            && logical.equals(snapshot.get().getSchema())) {
          return 0; // only re-deliveries of what silver holds: nothing to commit
        }
        txn.addDomainMetadata(Progress.domain(app), next.toJson());
        committing = true;
        TransactionCommitResult result = txn.commit(engine, DeltaIo.iterable(actions));
        DeltaIo.runHooks(engine, result);
        return unseen.size();
      } catch (ConcurrentWriteException e) {
        DeltaIo.deleteUncommitted(path, written);
        if (attempt >= MAX_ATTEMPTS) {
          throw e;
        }
      } catch (IOException | RuntimeException e) {
        if (!committing) { // once the commit was tried, it may have happened: its files stay (vacuum takes orphans)
          DeltaIo.deleteUncommitted(path, written);
        }
        throw e;
      }
    }
  }

  /**
   * The shape a commit writes with: the last change's; for open shapes (documents without a fixed
   * field list) the union of the columns of every change of the commit.
   */
  private static TableShape shapeOf(List<Change> unseen) {
    TableShape last = unseen.get(unseen.size() - 1).record().shape();
    if (!last.open()) {
      return last;
    }
    Map<String, LakeColumn> union = new java.util.LinkedHashMap<>();
    for (Change c : unseen) {
      for (LakeColumn col : c.record().shape().columns()) {
        union.putIfAbsent(col.name(), col);
      }
    }
    return new TableShape(last.table(), List.copyOf(union.values()), last.keyColumns(), true);
  }

  /** Folds one change (in position order) into the key's pending row. */
  private void fold(TreeMap<String, Pending> pending, Change c) {
    byte[] keyBytes = c.record().key();
    if (keyBytes == null) {
      return; // keyless tables have no silver (LakeWriter does not send them)
    }
    String keyJson = new String(keyBytes, StandardCharsets.UTF_8);
    String key = Keys.sortable(keyJson);
    Pending p = pending.computeIfAbsent(key, k -> new Pending());
    p.keyJson = keyJson;
    p.position = c.positionSort();
    p.commitMicros = c.envelope().commitMicros();
    if (c.envelope().op().equals("d")) {
      p.values = null;
      p.unchanged = Set.of();
      return;
    }
    ObjectNode after = c.envelope().afterObject();
    if (after == null) {
      throw new Failures.Permanent("silver table " + tableId + " stopped: an update without the row's after image"
          + " (a MongoDB update without the full document). Fix: full-document = updateLookup on the source");
    }
    Set<String> unchanged = new HashSet<>(c.envelope().unchangedToast());
    if (!unchanged.isEmpty() && p.values != null) {
      for (String col : List.copyOf(unchanged)) {
        if (!p.unchanged.contains(col)) {
          after.set(col, p.values.get(col)); // the value the earlier change of this commit wrote
          unchanged.remove(col);
        }
      }
    }
    p.values = after;
    p.unchanged = unchanged;
  }

  /** Scan files that may hold a pending key (every file for a truncate). */
  private List<Row> affectedFiles(Snapshot snapshot, TreeMap<String, Pending> pending, boolean truncate)
      throws IOException {
    ScanBuilder sb = snapshot.getScanBuilder();
    if (!truncate) {
      if (pending.isEmpty()) {
        return List.of();
      }
      sb = sb.withFilter(keyFilter(pending));
    }
    return DeltaIo.scanFiles(engine, sb);
  }

  private static Predicate keyFilter(TreeMap<String, Pending> pending) {
    Column key = new Column(KEY);
    if (pending.size() > POINT_LOOKUPS) {
      return new Predicate("AND", new Predicate(">=", key, Literal.ofString(pending.firstKey())),
          new Predicate("<=", key, Literal.ofString(pending.lastKey())));
    }
    List<Predicate> points = new ArrayList<>();
    for (String k : pending.keySet()) {
      points.add(new Predicate("=", key, Literal.ofString(k)));
    }
    while (points.size() > 1) { // a balanced OR tree
      List<Predicate> up = new ArrayList<>();
      for (int i = 0; i < points.size(); i += 2) {
        up.add(i + 1 < points.size() ? new Predicate("OR", points.get(i), points.get(i + 1)) : points.get(i));
      }
      points = up;
    }
    return points.get(0);
  }

  /**
   * Reads one data file; when a pending change touches one of its rows, writes the file anew with
   * the changes applied (its rows stay in key order) and removes it. A truncate removes every file.
   * Two passes, neither holding the file: the key and position columns tell whether a change
   * touches it (and mark the keys it holds), then the rows stream through, a batch at a time.
   */
  private void rewrite(Snapshot snapshot, Row scanFile, TreeMap<String, Pending> pending, StructType logical,
      TableShape shape, boolean truncate, Transaction txn, List<Row> written, List<Row> actions) throws IOException {
    Row remove = DeltaIo.removeOf(scanFile, true);
    if (truncate) {
      actions.add(remove);
      return;
    }
    boolean changed = false;
    StructType keyAndPosition = new StructType().add(KEY, StringType.STRING).add(POSITION, StringType.STRING);
    try (CloseableIterator<FilteredColumnarBatch> data = DeltaIo.readFile(engine, snapshot, scanFile, keyAndPosition)) {
      while (data.hasNext()) {
        ColumnarBatch b = data.next().getData();
        int keyIdx = b.getSchema().indexOf(KEY);
        int posIdx = b.getSchema().indexOf(POSITION);
        for (int r = 0; r < b.getSize(); r++) {
          Pending p = pending.get(b.getColumnVector(keyIdx).getString(r));
          if (p != null) {
            p.applied = true; // the key has a row: not a new one
            changed |= applies(p, b.getColumnVector(posIdx).getString(r));
          }
        }
      }
    }
    if (!changed) {
      return;
    }
    actions.add(remove);
    StructType physical = DeltaIo.physical(logical);
    try (CloseableIterator<FilteredColumnarBatch> data = DeltaIo.readFile(engine, snapshot, scanFile, null)) {
      Iterator<ColumnarBatch> rewritten = new Iterator<>() {
        private ColumnarBatch next;

        @Override
        public boolean hasNext() {
          while (next == null && data.hasNext()) {
            next = apply(data.next().getData(), pending, logical, physical, shape);
          }
          return next != null;
        }

        @Override
        public ColumnarBatch next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          ColumnarBatch out = next;
          next = null;
          return out;
        }
      };
      written.addAll(writeBatches(txn, logical, rewritten));
    }
  }

  /** Whether a pending change replaces a stored row written at {@code stored}: only a newer change does. */
  private static boolean applies(Pending p, String stored) {
    return stored == null || stored.compareTo(p.position) < 0;
  }

  /** One batch of a file with the pending changes applied (null when every row of it was deleted). */
  private ColumnarBatch apply(ColumnarBatch b, TreeMap<String, Pending> pending, StructType logical,
      StructType physical, TableShape shape) {
    StructType readSchema = b.getSchema();
    int keyIdx = readSchema.indexOf(KEY);
    int posIdx = readSchema.indexOf(POSITION);
    List<Object[]> out = new ArrayList<>(b.getSize());
    for (int r = 0; r < b.getSize(); r++) {
      Pending p = pending.get(b.getColumnVector(keyIdx).getString(r));
      if (p == null || !applies(p, b.getColumnVector(posIdx).getString(r))) {
        out.add(copy(b, r, readSchema, logical)); // untouched, or newer than the change (a late re-delivery)
      } else if (p.values != null) {
        out.add(row(logical, shape, p, copy(b, r, readSchema, logical)));
      } // else: deleted
    }
    return out.isEmpty() ? null : columns(physical, logical.length(), out, 0, out.size());
  }

  /** A stored row in the order of the (possibly evolved) table schema; new columns null. */
  private static Object[] copy(ColumnarBatch b, int r, StructType readSchema, StructType logical) {
    Object[] row = new Object[logical.length()];
    for (int i = 0; i < logical.length(); i++) {
      int from = readSchema.indexOf(logical.at(i).getName());
      row[i] = from < 0 ? null : Columns.get(b.getColumnVector(from), r);
    }
    return row;
  }

  /** The silver row of a pending upsert; {@code previous}: the stored row (for unchanged TOAST values). */
  private Object[] row(StructType logical, TableShape shape, Pending p, Object[] previous) {
    Object[] row = new Object[logical.length()];
    for (int i = 0; i < logical.length(); i++) {
      String name = logical.at(i).getName();
      switch (name) {
        case KEY -> row[i] = Keys.sortable(p.keyJson);
        case POSITION -> row[i] = p.position;
        case COMMIT_TS -> row[i] = p.commitMicros;
        case SOURCE_NAME -> row[i] = shape.table().source();
        default -> {
          if (p.unchanged.contains(name)) {
            row[i] = previous == null ? null : previous[i];
          } else {
            JsonNode v = p.values.get(name);
            LakeColumn c = shape.column(name);
            row[i] = c == null ? null : SilverValues.convert(v, settings.silverType(tableId, c), tableId, name);
          }
        }
      }
    }
    return row;
  }

  /** Writes rows (in key order) as new data files of the table; returns their add actions. */
  private List<Row> writeRows(Transaction txn, StructType logical, List<Object[]> rows) throws IOException {
    if (rows.isEmpty()) {
      return List.of();
    }
    StructType physical = DeltaIo.physical(logical);
    int chunk = settings.rowsPerBatch();
    List<ColumnarBatch> batches = new ArrayList<>();
    for (int from = 0; from < rows.size(); from += chunk) {
      batches.add(columns(physical, logical.length(), rows, from, Math.min(rows.size(), from + chunk)));
    }
    return writeBatches(txn, logical, batches.iterator());
  }

  /** Writes batches (physical names, in key order) as new data files; returns their add actions. */
  private List<Row> writeBatches(Transaction txn, StructType logical, Iterator<ColumnarBatch> batches)
      throws IOException {
    StructType physical = DeltaIo.physical(logical);
    return DeltaIo.write(engine, txn, Map.of(), batches,
        List.of(new Column(physical.at(logical.indexOf(KEY)).getName())), false);
  }

  /** Rows {@code from} (inclusive) to {@code to} (exclusive) as a column-wise batch. */
  private static ColumnarBatch columns(StructType physical, int width, List<Object[]> rows, int from, int to) {
    int n = to - from;
    List<Object[]> cols = new ArrayList<>(width);
    for (int c = 0; c < width; c++) {
      Object[] col = new Object[n];
      for (int r = 0; r < n; r++) {
        col[r] = rows.get(from + r)[c];
      }
      cols.add(col);
    }
    return Columns.batch(physical, cols, n);
  }

  /** A transaction on the table: creates it, or evolves its schema when the source added columns. */
  private Transaction transaction(Optional<Snapshot> snapshot, TableShape shape, String app, long version) {
    if (snapshot.isEmpty()) {
      StructType schema = new StructType();
      for (LakeColumn c : shape.columns()) {
        schema = schema.add(c.name(), settings.silverType(tableId, c).deltaType(), true);
      }
      schema = schema.add(KEY, StringType.STRING, true)
          .add(POSITION, StringType.STRING, true)
          .add(COMMIT_TS, TimestampType.TIMESTAMP, true)
          .add(SOURCE_NAME, StringType.STRING, true);
      return Table.forPath(engine, path).createTransactionBuilder(engine, engineInfo, Operation.CREATE_TABLE)
          .withSchema(engine, schema)
          .withTableProperties(engine, settings.tableProperties(Map.of("delta.columnMapping.mode", "name")))
          .withDomainMetadataSupported()
          .withTransactionId(engine, app, version)
          .build(engine);
    }
    StructType current = snapshot.get().getSchema();
    StructType evolved = current;
    for (StructField f : current.fields()) {
      String name = f.getName();
      if (METADATA_COLUMNS.contains(name)) {
        continue;
      }
      LakeColumn c = shape.column(name);
      if (c == null && shape.open()) {
        continue; // a field this document does not have
      }
      if (c == null) {
        throw new Failures.Permanent("silver table " + tableId + " stopped: column " + name
            + " is no longer in the source table (dropped or renamed); the lake cannot follow a dropped column."
            + " Fix: add the column back at the source, or rebuild the table's silver (delete " + path
            + " and resnapshot the table); bronze keeps every event");
      }
      if (!settings.silverType(tableId, c).deltaType().equivalent(f.getDataType())) {
        throw new Failures.Permanent("silver table " + tableId + " stopped: column " + name + " changed type from "
            + display(f.getDataType()) + " to " + settings.silverType(tableId, c).display()
            + " at the source; the lake cannot follow a narrowing or a change of kind. Fix: rebuild the table's silver"
            + " (delete " + path + " and resnapshot the table), or keep the column as a string with"
            + " syncline.lake.silver.text-columns; bronze keeps every event");
      }
    }
    for (LakeColumn c : shape.columns()) {
      if (current.indexOf(c.name()) < 0) {
        evolved = evolved.add(c.name(), settings.silverType(tableId, c).deltaType(), true);
      }
    }
    // on the snapshot just read: Kernel does not load the table a second time
    var b = snapshot.get().buildUpdateTableTransaction(engineInfo, Operation.WRITE).withTransactionId(app, version);
    return (evolved == current ? b : b.withUpdatedSchema(evolved)).build(engine);
  }

  /** A Delta type as {@link LakeType#display()} names it. */
  private static String display(io.delta.kernel.types.DataType t) {
    if (t instanceof io.delta.kernel.types.DecimalType d) {
      return "decimal(" + d.getPrecision() + "," + d.getScale() + ")";
    }
    return t.toString().toLowerCase(java.util.Locale.ROOT);
  }
}
