package io.syncline.streams.lake;

import io.delta.kernel.Operation;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.Transaction;
import io.delta.kernel.TransactionBuilder;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.ConcurrentWriteException;
import io.delta.kernel.exceptions.TableAlreadyExistsException;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.expressions.Predicate;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import io.syncline.streams.event.TableRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The bronze table, {@code <lake>/bronze/events}: every change event of every table, append-only,
 * partitioned by {@code table_id} ({@code <source>.<schema>.<table>}) and {@code event_date} (the
 * source commit's UTC date), so that a day of one table is one directory.
 *
 * <p>Exactly once: the events of one source table are committed with the Delta transaction id
 * {@code syncline:bronze:<table_id>} and the next version of that app, and the sortable position of
 * the last event goes into the same commit ({@link Progress}). Before writing, events at or before
 * that position are dropped: a replay of what is already committed adds nothing.
 */
final class BronzeTable {

  static final StructType SCHEMA = new StructType()
      .add("table_id", StringType.STRING)
      .add("event_date", DateType.DATE)
      .add("source_name", StringType.STRING)
      .add("schema_name", StringType.STRING)
      .add("table_name", StringType.STRING)
      .add("op", StringType.STRING)
      .add("key", StringType.STRING)
      .add("before", StringType.STRING)
      .add("after", StringType.STRING)
      .add("source", StringType.STRING)
      .add("position", StringType.STRING)
      .add("position_sort", StringType.STRING)
      .add("tx_id", StringType.STRING)
      .add("commit_ts", TimestampType.TIMESTAMP);
  static final List<String> PARTITION_COLUMNS = List.of("table_id", "event_date");

  private static final int MAX_ATTEMPTS = 10;

  private final Engine engine;
  private final String path;
  private final String engineInfo;
  private final LakeSettings settings;

  BronzeTable(Engine engine, String path, String engineInfo, LakeSettings settings) {
    this.engine = engine;
    this.path = path;
    this.engineInfo = engineInfo;
    this.settings = settings;
  }

  String path() {
    return path;
  }

  static String tableId(TableRef t) {
    return t.source() + "." + t.schema() + "." + t.table();
  }

  /** One event ready for bronze. */
  record Event(LakeRecord record, Envelope envelope, String positionSort, String id) {}

  /**
   * Commits the events of one source table (any order, duplicates allowed) that are not in the table
   * yet, in one Delta commit. Returns the number of events added (0: all were there already).
   */
  int commit(TableRef table, List<Event> events) throws IOException {
    String id = tableId(table);
    String app = "syncline:bronze:" + id;
    for (int attempt = 1; ; attempt++) {
      var snapshot = DeltaIo.latest(engine, path);
      Progress done = Progress.read(snapshot, app);
      List<Event> fresh = new ArrayList<>();
      List<Event> late = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (Event e : events) {
        if (seen.add(e.id())) {
          (done.covers(e.id()) ? late : fresh).add(e);
        }
      }
      if (!late.isEmpty() && snapshot.isPresent()) {
        // at or before the progress: a re-delivery, or an event a transport delivered after later
        // ones (an SQS standard queue, a snapshot's rows in another order). Bronze itself tells
        // which: add only those it does not hold.
        Set<String> ids = new HashSet<>();
        late.forEach(e -> ids.add(e.id()));
        Set<String> held = lookup(snapshot.get(), id, ids, Set.of()).ids();
        for (Event e : late) {
          if (!held.contains(e.id())) {
            fresh.add(e);
          }
        }
      }
      if (fresh.isEmpty()) {
        return 0;
      }
      fresh.sort(Comparator.comparing(Event::id));
      Event last = fresh.get(fresh.size() - 1);
      Progress next = last.id().compareTo(done.position()) > 0
          ? new Progress(done.version() + 1, last.id(), last.record().position().display())
          : new Progress(done.version() + 1, done.position(), done.display());
      Transaction txn;
      try {
        txn = snapshot.isEmpty()
            ? create().withTransactionId(engine, app, next.version()).build(engine)
            // on the snapshot just read: Kernel does not load the table a second time
            : snapshot.get().buildUpdateTableTransaction(engineInfo, Operation.WRITE)
                .withTransactionId(app, next.version()).build(engine);
      } catch (TableAlreadyExistsException e) {
        continue; // another writer created it first: write on top of its table
      }
      List<Row> actions = new ArrayList<>();
      boolean committing = false;
      try {
        Map<Integer, List<Event>> byDate = new TreeMap<>();
        for (Event e : fresh) {
          byDate.computeIfAbsent(Math.toIntExact(Math.floorDiv(e.envelope().commitMicros(), 86_400_000_000L)),
              d -> new ArrayList<>()).add(e);
        }
        for (Map.Entry<Integer, List<Event>> day : byDate.entrySet()) {
          Map<String, Literal> partition = Map.of("table_id", Literal.ofString(id), "event_date",
              Literal.ofDate(day.getKey()));
          actions.addAll(DeltaIo.write(engine, txn, partition, List.of(batch(id, day.getKey(), day.getValue())).iterator(),
              List.of(), true));
        }
        txn.addDomainMetadata(Progress.domain(app), next.toJson());
        committing = true;
        DeltaIo.runHooks(engine, txn.commit(engine, DeltaIo.iterable(actions)));
        return fresh.size();
      } catch (ConcurrentWriteException e) {
        // another writer of this table's app committed first (a second node, a restarted one): its
        // events are in; re-read what it committed and add only what is still missing
        DeltaIo.deleteUncommitted(path, actions);
        if (attempt >= MAX_ATTEMPTS) {
          throw e;
        }
      } catch (IOException | RuntimeException e) {
        if (!committing) { // once the commit was tried, it may have happened: its files stay (vacuum takes orphans)
          DeltaIo.deleteUncommitted(path, actions);
        }
        throw e;
      }
    }
  }

  /**
   * What bronze holds of one table from the smallest position of {@code ids} on: which of those
   * event identities it has, the latest position of each of {@code keys} (sortable keys) and of a
   * TRUNCATE.
   * Reads the position and key columns (and, for keyless events, the row images) of the table's
   * files whose positions reach that far (partition pruning, data skipping on {@code position_sort}),
   * keeping only the answer in memory.
   */
  Lookup lookup(Snapshot snapshot, String tableId, Set<String> ids, Set<String> keys) throws IOException {
    String from = ids.stream().map(Keys::positionOf).min(String::compareTo).orElseThrow();
    boolean keyless = ids.stream().anyMatch(i -> i.startsWith("/h", i.indexOf('/')));
    Predicate filter = new Predicate("AND",
        new Predicate("=", new Column("table_id"), Literal.ofString(tableId)),
        new Predicate(">=", new Column("position_sort"), Literal.ofString(from)));
    StructType columns = new StructType().add("table_id", StringType.STRING).add("key", StringType.STRING)
        .add("position_sort", StringType.STRING).add("op", StringType.STRING);
    if (keyless) {
      columns = columns.add("before", StringType.STRING).add("after", StringType.STRING);
    }
    Set<String> held = new HashSet<>();
    Map<String, String> latest = new HashMap<>();
    String truncated = null;
    try (TableRows rows = new TableRows(engine, snapshot, filter, columns)) {
      while (rows.hasNext()) {
        Map<String, Object> r = rows.next();
        String position = (String) r.get("position_sort");
        if (!tableId.equals(r.get("table_id")) || position == null || position.compareTo(from) < 0) {
          continue;
        }
        String key = (String) r.get("key");
        String k = key == null ? null : Keys.sortable(key);
        String eventId = k != null ? position + "/" + k
            : keyless ? Keys.keylessId(position, (String) r.get("after"), (String) r.get("before")) : null;
        if (eventId != null && ids.contains(eventId)) {
          held.add(eventId);
        }
        if (k != null && keys.contains(k)) {
          latest.merge(k, position, (a, b) -> a.compareTo(b) >= 0 ? a : b);
        }
        if ("t".equals(r.get("op")) && (truncated == null || position.compareTo(truncated) > 0)) {
          truncated = position;
        }
      }
    }
    return new Lookup(held, latest, truncated);
  }

  /**
   * See {@link #lookup}: identities held, the latest position of each key asked for, and the
   * position of the table's latest TRUNCATE in that range (null when none).
   */
  record Lookup(Set<String> ids, Map<String, String> latestByKey, String latestTruncate) {}

  private TransactionBuilder create() {
    return Table.forPath(engine, path).createTransactionBuilder(engine, engineInfo, Operation.CREATE_TABLE)
        .withSchema(engine, SCHEMA)
        .withPartitionColumns(engine, PARTITION_COLUMNS)
        .withTableProperties(engine, settings.tableProperties(Map.of()))
        .withDomainMetadataSupported();
  }

  private static ColumnarBatch batch(String id, int day, List<Event> events) {
    int n = events.size();
    List<Object[]> cols = new ArrayList<>(SCHEMA.length());
    for (int i = 0; i < SCHEMA.length(); i++) {
      cols.add(new Object[n]);
    }
    for (int r = 0; r < n; r++) {
      Event e = events.get(r);
      LakeRecord rec = e.record();
      Envelope env = e.envelope();
      TableRef t = rec.table();
      cols.get(0)[r] = id;
      cols.get(1)[r] = day;
      cols.get(2)[r] = t.source();
      cols.get(3)[r] = t.schema();
      cols.get(4)[r] = t.table();
      cols.get(5)[r] = env.op();
      cols.get(6)[r] = rec.key() == null ? null : new String(rec.key(), StandardCharsets.UTF_8);
      cols.get(7)[r] = env.before();
      cols.get(8)[r] = env.after();
      cols.get(9)[r] = env.source();
      cols.get(10)[r] = rec.position().display();
      cols.get(11)[r] = e.positionSort();
      cols.get(12)[r] = env.txId();
      cols.get(13)[r] = env.commitMicros();
    }
    return Columns.batch(SCHEMA, cols, n);
  }

  /** The latest snapshot (for tests and the demo's counts). */
  java.util.Optional<Snapshot> snapshot() {
    return DeltaIo.latest(engine, path);
  }
}
