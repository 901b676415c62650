package io.syncline.streams.lake;

import io.delta.kernel.Operation;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.Transaction;
import io.delta.kernel.TransactionBuilder;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.ConcurrentWriteException;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import io.syncline.streams.capture.Failures;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A gold table, {@code <lake>/gold/<name>}: the aggregates of {@link GoldSettings} over its silver
 * table, recomputed from a scan of the silver snapshot (one group's accumulators in memory per
 * group, never the silver rows) and replacing the gold table's files in one commit. Columns: the
 * group-by columns (their silver types), the aggregates ({@code count}: long; {@code sum}: long,
 * decimal(38,s) or double as its column; {@code min}/{@code max}: its column's type) and
 * {@code _silver_version} (the silver version it was computed from) and {@code _refreshed_at}.
 */
final class GoldTable {

  private final Engine engine;
  private final String path;
  private final GoldSettings gold;

  GoldTable(Engine engine, String path, GoldSettings gold) {
    this.engine = engine;
    this.path = path;
    this.gold = gold;
  }

  String path() {
    return path;
  }

  /** Recomputes the aggregates from this silver snapshot and replaces the gold table's rows. */
  void refresh(Snapshot silver) throws IOException {
    StructType in = silver.getSchema();
    StructType schema = schema(in);
    int groupCount = gold.groupBy().size();
    int aggCount = gold.aggregates().size();
    Map<List<Object>, Object[]> groups = new HashMap<>();
    try (TableRows rows = new TableRows(engine, silver)) {
      while (rows.hasNext()) {
        Map<String, Object> row = rows.next();
        Object[] g = new Object[groupCount];
        for (int i = 0; i < g.length; i++) {
          g[i] = row.get(gold.groupBy().get(i));
        }
        Object[] acc = groups.computeIfAbsent(Arrays.asList(g), k -> new Object[aggCount]);
        for (int i = 0; i < aggCount; i++) {
          GoldSettings.Aggregate a = gold.aggregates().get(i);
          Object v = a.column() == null ? null : row.get(a.column());
          acc[i] = accumulate(a.fn(), acc[i], v, a.column() == null);
        }
      }
    }
    if (groups.isEmpty() && groupCount == 0) {
      groups.put(List.of(), new Object[aggCount]); // a whole-table aggregate of an empty table: one row
    }
    long now = Instant.now().toEpochMilli() * 1000;
    List<Object[]> cols = new ArrayList<>();
    for (int c = 0; c < schema.length(); c++) {
      cols.add(new Object[groups.size()]);
    }
    int r = 0;
    for (Map.Entry<List<Object>, Object[]> e : groups.entrySet()) {
      int c = 0;
      for (Object g : e.getKey()) {
        cols.get(c++)[r] = g;
      }
      for (int i = 0; i < aggCount; i++) {
        Object v = e.getValue()[i];
        cols.get(c++)[r] = v == null && gold.aggregates().get(i).fn() == GoldSettings.Fn.COUNT ? 0L : v;
      }
      cols.get(c++)[r] = silver.getVersion();
      cols.get(c)[r] = now;
      r++;
    }
    commit(schema, cols, groups.size());
  }

  private static Object accumulate(GoldSettings.Fn fn, Object acc, Object v, boolean rows) {
    switch (fn) {
      case COUNT:
        return (acc == null ? 0L : (Long) acc) + (rows || v != null ? 1 : 0);
      case SUM:
        if (v == null) {
          return acc;
        }
        if (acc == null) {
          return v;
        }
        if (v instanceof Long l) {
          return Math.addExact((Long) acc, l);
        }
        if (v instanceof BigDecimal d) {
          return ((BigDecimal) acc).add(d);
        }
        return (Double) acc + (Double) v;
      default:
        if (v == null) {
          return acc;
        }
        if (acc == null) {
          return v;
        }
        @SuppressWarnings("unchecked")
        int c = ((Comparable<Object>) v).compareTo(acc);
        return (fn == GoldSettings.Fn.MIN ? c < 0 : c > 0) ? v : acc;
    }
  }

  private StructType schema(StructType in) {
    StructType out = new StructType();
    for (String g : gold.groupBy()) {
      out = out.add(g, column(in, g).getDataType(), true);
    }
    for (GoldSettings.Aggregate a : gold.aggregates()) {
      DataType t;
      if (a.fn() == GoldSettings.Fn.COUNT) {
        if (a.column() != null) {
          column(in, a.column());
        }
        t = LongType.LONG;
      } else {
        t = column(in, a.column()).getDataType();
        if (a.fn() == GoldSettings.Fn.SUM && !(t instanceof LongType || t instanceof DecimalType || t instanceof DoubleType)) {
          throw new Failures.Permanent("gold table " + gold.name() + ": sum of column " + a.column() + " of "
              + gold.from() + ", which is " + t + ", not a number. Fix: sum a numeric column, or use min/max/count");
        }
      }
      out = out.add(a.as(), t, true);
    }
    return out.add("_silver_version", LongType.LONG, true).add("_refreshed_at", TimestampType.TIMESTAMP, true);
  }

  private StructField column(StructType in, String name) {
    int i = in.indexOf(name);
    if (i < 0) {
      throw new Failures.Permanent("gold table " + gold.name() + ": column " + name + " is not in silver table "
          + gold.from() + ". Fix: name one of its columns in syncline.lake.gold");
    }
    return in.at(i);
  }

  private void commit(StructType schema, List<Object[]> cols, int size) throws IOException {
    for (int attempt = 1; ; attempt++) {
      Optional<Snapshot> current = DeltaIo.latest(engine, path);
      if (current.isPresent() && !current.get().getSchema().equals(schema)) {
        throw new Failures.Permanent("gold table " + gold.name() + " stopped: its columns changed (" + schema
            + "); the lake does not change a gold table's schema. Fix: delete " + path + " to rebuild it");
      }
      Table t = Table.forPath(engine, path);
      TransactionBuilder b = current.isEmpty()
          ? t.createTransactionBuilder(engine, LakeWriter.ENGINE_INFO, Operation.CREATE_TABLE).withSchema(engine, schema)
          : t.createTransactionBuilder(engine, LakeWriter.ENGINE_INFO, Operation.WRITE);
      Transaction txn = b.build(engine);
      List<Row> actions = new ArrayList<>();
      List<Row> written = new ArrayList<>();
      try {
        if (current.isPresent()) {
          for (Row f : DeltaIo.scanFiles(engine, current.get().getScanBuilder())) {
            actions.add(DeltaIo.removeOf(f, true));
          }
        }
        if (size > 0) {
          written.addAll(DeltaIo.write(engine, txn, Map.of(), List.of(Columns.batch(schema, cols, size)).iterator(),
              List.of(), true));
        }
        actions.addAll(written);
        DeltaIo.runHooks(engine, txn.commit(engine, DeltaIo.iterable(actions)));
        return;
      } catch (ConcurrentWriteException e) {
        DeltaIo.deleteUncommitted(path, written);
        if (attempt >= 5) {
          throw e;
        }
      }
    }
  }
}
