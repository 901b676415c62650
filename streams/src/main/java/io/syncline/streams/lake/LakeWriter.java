package io.syncline.streams.lake;

import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.syncline.streams.event.TableRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.hadoop.conf.Configuration;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes change events into the Delta lake: every event to bronze, and each keyed table's current
 * rows to its silver table. Its {@link #flow()} takes {@link LakeBatch}es from any transport and
 * emits each batch's pass-through, in order, only after the batch's events are committed to Delta
 * (bronze and silver): the caller then commits its Kafka offset, deletes its SQS messages or
 * acknowledges the source. Batches are gathered for up to {@code commit-interval} (or until
 * {@code max-batch-events} events wait) and committed together: one bronze and one silver commit per
 * table. Delta and Parquet I/O runs on the {@code syncline.lake.dispatcher}, never on the stream's
 * threads. A failure (I/O, a malformed envelope) fails the stream; nothing is emitted for batches
 * not committed, so their events come again (a replay adds nothing twice: {@link BronzeTable}).
 *
 * <p>A change silver cannot follow (a dropped column, a type change, a value its Delta type cannot
 * hold) stops that table's silver only: its error is logged and kept in {@link #silverFailures()},
 * its bronze and every other table go on.
 */
public final class LakeWriter {

  private static final Logger log = LoggerFactory.getLogger(LakeWriter.class);
  static final String ENGINE_INFO = "Syncline";

  private final LakeSettings settings;
  private static final String DICTIONARY = "parquet.enable.dictionary";

  private final Engine engine;
  private final Engine bronzeEngine;
  private final BronzeTable bronze;
  private final Map<String, SilverTable> silver = new ConcurrentHashMap<>();
  private final Map<String, String> silverFailures = new ConcurrentHashMap<>();
  private final Map<String, Long> commits = new ConcurrentHashMap<>();
  private final Map<String, String> goldFailures = new ConcurrentHashMap<>();

  public LakeWriter(LakeSettings settings) {
    this.settings = settings;
    Configuration hadoop = new Configuration();
    hadoop.set("io.delta.kernel.logStore.file.impl", LocalLogStore.class.getName());
    settings.hadoop().forEach(hadoop::set);
    this.engine = DefaultEngine.create(hadoop);
    // bronze's big columns (row images, source blocks) are all different: a Parquet dictionary only
    // costs time there (a third of bronze's write time measured), so bronze is written without one
    Configuration bronzeHadoop = new Configuration(hadoop);
    if (!settings.hadoop().containsKey(DICTIONARY)) {
      bronzeHadoop.set(DICTIONARY, "false");
    }
    this.bronzeEngine = DefaultEngine.create(bronzeHadoop);
    this.bronze = new BronzeTable(bronzeEngine, settings.bronzePath().toString(), ENGINE_INFO, settings);
  }

  public LakeSettings settings() {
    return settings;
  }

  /** Tables whose silver stopped, with the error (table id → message). */
  public Map<String, String> silverFailures() {
    return Collections.unmodifiableMap(silverFailures);
  }

  /** Gold tables whose refresh stopped, with the error (gold name → message). */
  public Map<String, String> goldFailures() {
    return Collections.unmodifiableMap(goldFailures);
  }

  /** The commit flow: batches in, their pass-throughs out once committed, in order. */
  public <P> Flow<LakeBatch<P>, P, NotUsed> flow() {
    return Flow.<LakeBatch<P>>create()
        .groupedWeightedWithin(settings.maxBatchEvents(), b -> (long) Math.max(1, b.records().size()),
            settings.commitInterval())
        .via(Flow.fromMaterializer((mat, attrs) -> {
          Executor io = mat.system().dispatchers().lookup(settings.dispatcher());
          return Flow.<List<LakeBatch<P>>>create()
              .mapAsync(1, group -> CompletableFuture.supplyAsync(() -> {
                commit(group);
                List<P> done = new ArrayList<>(group.size());
                for (LakeBatch<P> b : group) {
                  done.add(b.passThrough());
                }
                return done;
              }, io));
        }))
        .mapConcat(list -> list)
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /** Commits these batches' events (blocking): bronze, then silver, table by table. */
  public void commit(List<? extends LakeBatch<?>> batches) {
    Map<TableRef, List<LakeRecord>> byTable = new LinkedHashMap<>();
    for (LakeBatch<?> b : batches) {
      for (LakeRecord r : b.records()) {
        byTable.computeIfAbsent(r.table(), t -> new ArrayList<>()).add(r);
      }
    }
    for (Map.Entry<TableRef, List<LakeRecord>> e : byTable.entrySet()) {
      try {
        commitTable(e.getKey(), e.getValue());
      } catch (IOException ex) {
        throw new UncheckedIOException("lake commit of " + e.getKey() + " failed", ex);
      }
    }
  }

  private void commitTable(TableRef table, List<LakeRecord> records) throws IOException {
    String id = BronzeTable.tableId(table);
    List<BronzeTable.Event> events = new ArrayList<>(records.size());
    for (LakeRecord r : records) {
      Envelope envelope;
      try {
        envelope = Envelope.parse(r.value());
      } catch (IllegalArgumentException e) {
        // the same bytes fail the same way after a restart: stop rather than retry (no data in the message)
        throw new io.syncline.streams.capture.Failures.Permanent("lake: the change event of " + table + " at "
            + r.position().display() + " cannot be read: " + e.getMessage() + ". Fix: it must be the envelope"
            + " of Syncline's EnvelopeEncoder (Debezium JSON with schemas disabled)", e);
      }
      String position = Positions.sortable(r.position());
      events.add(new BronzeTable.Event(r, envelope, position, Keys.eventId(position, r.key(), envelope)));
    }
    if (settings.bronze()) {
      int added = bronze.commit(table, events);
      log.debug("bronze: {} of {} events of {} added", added, events.size(), id);
    }
    if (!settings.silver() || silverFailures.containsKey(id)) {
      return;
    }
    LakeRecord last = records.get(records.size() - 1);
    if (last.shape().keyColumns().isEmpty()) {
      return; // no key, no current row per key: bronze only (docs/lake.md)
    }
    SilverTable table0 = silver.computeIfAbsent(id, k ->
        new SilverTable(engine, settings.silverPath(k).toString(), k, ENGINE_INFO, settings));
    List<SilverTable.Change> changes = new ArrayList<>(events.size());
    for (BronzeTable.Event e : events) {
      changes.add(new SilverTable.Change(e.record(), e.envelope(), e.positionSort(), e.id()));
    }
    SilverTable.LateChanges late = !settings.bronze() ? SilverTable.LateChanges.NONE : lateChanges -> {
      // bronze (committed just before) holds every change of the table: a late change is applied
      // when no later change of its key is there, i.e. when it is the key's latest, and no TRUNCATE
      // of the table came after it
      var snapshot = DeltaIo.latest(bronzeEngine, bronze.path());
      if (snapshot.isEmpty()) {
        return java.util.Set.of();
      }
      java.util.Set<String> ids = new java.util.HashSet<>();
      java.util.Map<String, String> keyOf = new java.util.HashMap<>();
      for (SilverTable.Change c : lateChanges) {
        if (c.record().key() != null) {
          ids.add(c.id());
          keyOf.put(c.id(), Keys.sortable(new String(c.record().key(), java.nio.charset.StandardCharsets.UTF_8)));
        }
      }
      if (ids.isEmpty()) {
        return java.util.Set.of();
      }
      BronzeTable.Lookup found = bronze.lookup(snapshot.get(), id, ids, new java.util.HashSet<>(keyOf.values()));
      java.util.Set<String> apply = new java.util.HashSet<>();
      keyOf.forEach((eventId, key) -> {
        String position = Keys.positionOf(eventId);
        boolean beforeTruncate = found.latestTruncate() != null && position.compareTo(found.latestTruncate()) < 0;
        if (position.equals(found.latestByKey().get(key)) && !beforeTruncate) {
          apply.add(eventId);
        }
      });
      return apply;
    };
    try {
      if (table0.commit(changes, late) > 0) {
        refreshGold(id, table0);
      }
    } catch (io.syncline.streams.capture.Failures.Permanent p) {
      silverFailures.put(id, p.getMessage());
      log.error("{}", p.getMessage());
    }
    long n = commits.merge(id, 1L, Long::sum);
    LakeSettings.Maintenance m = settings.maintenance();
    if (m.compaction() && n % m.compactEvery() == 0) {
      housekeep(id, true, false);
    }
    if (m.vacuum() && n % m.vacuumEvery() == 0) {
      housekeep(id, false, true);
    }
  }

  /** Recomputes the gold tables over this silver table from its latest version. */
  private void refreshGold(String tableId, SilverTable table) throws IOException {
    for (GoldSettings g : settings.gold()) {
      if (!g.from().equals(tableId) || goldFailures.containsKey(g.name())) {
        continue;
      }
      var snapshot = DeltaIo.latest(engine, table.path());
      if (snapshot.isEmpty()) {
        continue;
      }
      try {
        new GoldTable(engine, settings.goldPath(g.name()).toString(), g).refresh(snapshot.get());
      } catch (io.syncline.streams.capture.Failures.Permanent p) {
        goldFailures.put(g.name(), p.getMessage());
        log.error("{}", p.getMessage());
      }
    }
  }

  /**
   * Compacts and/or vacuums bronze and the table's silver now (the writer does it every
   * {@code every-commits} commits of a table). A failure is logged: housekeeping never fails a commit.
   */
  public void housekeep(String tableId, boolean compact, boolean vacuum) {
    List<Housekeeping> tables = new ArrayList<>(2);
    if (settings.bronze()) {
      tables.add(new Housekeeping(bronzeEngine, bronze.path(), "position_sort", false, settings));
    }
    if (settings.silver() && java.nio.file.Files.isDirectory(settings.silverPath(tableId))) {
      tables.add(new Housekeeping(engine, settings.silverPath(tableId).toString(), SilverTable.KEY, true, settings));
    }
    for (Housekeeping h : tables) {
      try {
        if (compact) {
          h.compact();
        }
        if (vacuum) {
          h.vacuum();
        }
      } catch (IOException | RuntimeException e) {
        log.warn("lake housekeeping of {} failed, tried again later: {}", tableId, e.toString());
      }
    }
  }
}
