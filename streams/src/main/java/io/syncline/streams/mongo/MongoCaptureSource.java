package io.syncline.streams.mongo;

import com.mongodb.MongoException;
import com.mongodb.client.model.changestream.FullDocument;
import com.mongodb.client.model.changestream.FullDocumentBeforeChange;
import com.mongodb.reactivestreams.client.ChangeStreamPublisher;
import com.mongodb.reactivestreams.client.MongoClient;
import io.syncline.persistence.MongoPosition;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.javadsl.Source;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MongoDB deployment (replica set or sharded cluster) captured from change streams.
 *
 * <p>One change stream per captured collection, consumed through {@code Source.fromPublisher}: the
 * driver asks the server for the next batch only when the stream wants more, so a slow sink slows
 * the reading and memory stays bounded. (One stream per database with a {@code $match} on the
 * collections would use fewer cursors, but the embedded imitation gives nothing on a database-level
 * stream, so it could not be tested here; per collection, each collection also resumes from its own
 * position alone. See docs/mongodb-source.md.)
 *
 * <p>Run plan, from what the table entities recorded: the current cluster time {@code T0} is taken
 * first. Collections whose snapshot never completed (with {@code snapshot-mode = initial}) are read
 * by {@link MongoSnapshot} at {@code T0}, one after the other; then every collection's stream opens:
 * a freshly snapshotted one at {@code T0} (its events at or before the snapshot are dropped here), one
 * with a recorded position after that position's resume token (or at its cluster time when it has no
 * token), a new one without snapshot at {@code T0}. Events already delivered are dropped by the
 * delivery pipeline (positions order by cluster time, then the event's order among those of that time,
 * which this class counts). When a collection's resume point is no longer in the oplog
 * ({@code ChangeStreamHistoryLost}), {@code on-history-lost} decides: fail with the fix, or read the
 * collection again at a new cluster time and stream from there.
 */
public final class MongoCaptureSource implements CaptureSource {

  private static final Logger log = LoggerFactory.getLogger(MongoCaptureSource.class);
  /** ChangeStreamHistoryLost, ChangeStreamFatalError (e.g. the resume token is no longer in the oplog). */
  private static final Set<Integer> HISTORY_LOST = Set.of(286, 280);

  private final MongoSourceSettings settings;
  private volatile List<MongoCatalog.MongoTable> tables;
  /** The start cluster time of the latest run (null before the first); read by {@link #started()}. */
  private volatile BsonTimestamp lastStart;

  public MongoCaptureSource(MongoSourceSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return settings.name();
  }

  public MongoSourceSettings settings() {
    return settings;
  }

  @Override
  public List<TableRef> prepare() {
    try (MongoClient client = MongoCatalog.connect(settings)) {
      MongoCatalog catalog = new MongoCatalog(settings, client);
      List<MongoCatalog.MongoTable> resolved = catalog.resolveCollections();
      catalog.checkChangeStreams(resolved.get(0));
      tables = resolved;
      log.info("source '{}': capturing {} collections from {}", settings.name(), resolved.size(),
          settings.maskedConnectionString());
      return resolved.stream().map(MongoCatalog.MongoTable::ref).toList();
    }
  }

  /**
   * True once the latest {@link #open} has taken its start cluster time {@code T0}: every write
   * after this is captured (a collection without recorded position or snapshot starts at T0). For
   * the demo and tests, which write only once capture has started.
   */
  public boolean started() {
    return lastStart != null;
  }

  /** Where one collection's change stream starts, and which of its events this run drops itself. */
  private record Start(BsonTimestamp at, String resumeToken, long index, MongoPosition fence) {}

  @Override
  public Source<List<CaptureRecord>, CaptureControl> open(Map<TableRef, TableStart> recorded) {
    List<MongoCatalog.MongoTable> t = tables;
    if (t == null) {
      throw new IllegalStateException("source '" + settings.name() + "': open() before prepare()");
    }
    CaptureControl control = new io.syncline.streams.capture.AcknowledgedPosition();
    return Source.<List<CaptureRecord>, NotUsed>fromMaterializer((mat, attrs) -> {
      MongoClient client = MongoCatalog.connect(settings);
      MongoCatalog catalog = new MongoCatalog(settings, client);
      return Source.completionStageSource(catalog.clusterTime().thenApply(t0 -> {
            lastStart = t0;
            return run(client, catalog, t, recorded, t0);
          }))
          .watchTermination((m, done) -> {
            done.whenComplete((d, e) -> client.close());
            return NotUsed.getInstance();
          });
    }).mapMaterializedValue(f -> (CaptureControl) control);
  }

  private Source<List<CaptureRecord>, NotUsed> run(MongoClient client, MongoCatalog catalog,
      List<MongoCatalog.MongoTable> all, Map<TableRef, TableStart> recorded, BsonTimestamp t0) {
    List<MongoCatalog.MongoTable> snapshot = new ArrayList<>();
    List<Source<List<CaptureRecord>, NotUsed>> streams = new ArrayList<>();
    for (MongoCatalog.MongoTable table : all) {
      TableStart s = recorded.getOrDefault(table.ref(), TableStart.NEW);
      MongoPosition committed = s.committed() instanceof MongoPosition m ? m : null;
      Start start;
      if (settings.snapshotMode() == MongoSourceSettings.SnapshotMode.INITIAL && !s.snapshotCompleted()) {
        snapshot.add(table);
        start = new Start(t0, null, 0, new MongoPosition(t0.getTime(), t0.getInc(), MongoPosition.COMPLETE, null));
      } else if (committed != null && committed.resumeToken() != null) {
        start = new Start(timestamp(committed), committed.resumeToken(), committed.index(), null);
      } else if (committed != null) {
        start = new Start(timestamp(committed), null, 0, null);
      } else {
        // nothing recorded, no snapshot: what happened up to T0 is not wanted
        start = new Start(t0, null, 0, new MongoPosition(t0.getTime(), t0.getInc(), MongoPosition.COMPLETE, null));
      }
      log.info("source '{}': {} streams from {}{}", settings.name(), table.namespace(),
          start.resumeToken() != null ? "after its recorded resume token at " : "cluster time ",
          new MongoPosition(start.at().getTime(), start.at().getInc(), start.index(), null).display());
      streams.add(collection(client, catalog, table, start));
    }
    Source<List<CaptureRecord>, NotUsed> snapshots = Source.from(snapshot)
        .flatMapConcat(table -> MongoSnapshot.read(settings, client.getDatabase(table.database()), table, t0));
    return snapshots.concat(Source.from(streams).flatMapMerge(streams.size(), s -> s));
  }

  private static BsonTimestamp timestamp(MongoPosition p) {
    return new BsonTimestamp((int) p.seconds(), (int) p.increment());
  }

  /** One collection's change stream, with the history-lost policy around it. */
  private Source<List<CaptureRecord>, NotUsed> collection(MongoClient client, MongoCatalog catalog,
      MongoCatalog.MongoTable table, Start start) {
    String where = "collection " + table.namespace() + " of source '" + settings.name() + "' cannot resume at "
        + (start.resumeToken() != null ? "its recorded resume token, " : "") + "cluster time "
        + new MongoPosition(start.at().getTime(), start.at().getInc(), start.index(), null).display();
    return onHistoryLost(changeStream(client, table, start), settings.onHistoryLost(), where, () ->
        Source.completionStageSource(catalog.clusterTime().thenApply(t1 ->
                MongoSnapshot.read(settings, client.getDatabase(table.database()), table, t1)
                    .concat(collection(client, catalog, table, new Start(t1, null, 0,
                        new MongoPosition(t1.getTime(), t1.getInc(), MongoPosition.COMPLETE, null))))))
            .mapMaterializedValue(f -> NotUsed.getInstance()));
  }

  /**
   * {@code stream}, but when it fails because its resume point fell off the oplog
   * (ChangeStreamHistoryLost 286, ChangeStreamFatalError 280): {@code FAIL} fails with an error naming
   * the collection ({@code where}) and the fix; {@code RESNAPSHOT} goes on with {@code resnapshot}
   * (the collection read again, then its stream from there). Other failures pass through.
   */
  static Source<List<CaptureRecord>, NotUsed> onHistoryLost(Source<List<CaptureRecord>, NotUsed> stream,
      MongoSourceSettings.HistoryLostPolicy policy, String where,
      java.util.function.Supplier<Source<List<CaptureRecord>, NotUsed>> resnapshot) {
    return stream.recoverWithRetries(1, new PFBuilder<Throwable, Source<List<CaptureRecord>, NotUsed>>()
        .match(MongoException.class, e -> HISTORY_LOST.contains(e.getCode()), e -> {
          String lost = where + ": that point is no longer in the oplog (" + e.getClass().getSimpleName() + " "
              + e.getCode() + ")";
          if (policy == MongoSourceSettings.HistoryLostPolicy.FAIL) {
            return Source.failed(new MongoSourceException(MongoSourceException.Reason.HISTORY_LOST, lost
                + ". Changes since then are lost for this collection. Fix: set on-history-lost = resnapshot to read"
                + " the collection again and stream from there, or delete the table's recorded position; and keep"
                + " more oplog (replSetResizeOplog, oplogMinRetentionHours) so it does not happen again", e));
          }
          log.warn("{}. on-history-lost = resnapshot: reading the collection again (op r) and streaming from there;"
              + " documents deleted meanwhile are not reported as deletes", lost);
          return resnapshot.get();
        })
        .build());
  }

  /** The raw change events of one collection from {@code start}, decoded one by one. */
  private Source<List<CaptureRecord>, NotUsed> changeStream(MongoClient client, MongoCatalog.MongoTable table,
      Start start) {
    ChangeStreamPublisher<BsonDocument> p = client.getDatabase(table.database())
        .getCollection(table.collection(), BsonDocument.class)
        .watch(BsonDocument.class)
        .batchSize(settings.maxBatchSize())
        .maxAwaitTime(settings.maxAwaitTime().toMillis(), TimeUnit.MILLISECONDS);
    if (settings.fullDocument() != MongoSourceSettings.FullDocumentMode.DEFAULT) {
      p = p.fullDocument(FullDocument.fromString(settings.fullDocument().value()));
    }
    if (settings.fullDocumentBeforeChange() != MongoSourceSettings.BeforeChangeMode.OFF) {
      p = p.fullDocumentBeforeChange(FullDocumentBeforeChange.fromString(settings.fullDocumentBeforeChange().value()));
    }
    p = start.resumeToken() != null ? p.resumeAfter(BsonDocument.parse(start.resumeToken()))
        : p.startAtOperationTime(start.at());
    BsonDocument namespace = new BsonDocument("db", new BsonString(table.database()))
        .append("coll", new BsonString(table.collection()));
    return Source.fromPublisher(p.withDocumentClass(BsonDocument.class)).statefulMapConcat(() -> {
      MongoChangeDecoder decoder = new MongoChangeDecoder(settings.name());
      EventOrder order = new EventOrder(start);
      return event -> {
        BsonTimestamp ts = event.getTimestamp("clusterTime");
        long index = order.next(ts);
        if (start.fence() != null
            && new MongoPosition(ts.getTime(), ts.getInc(), index, null).compareTo(start.fence()) <= 0) {
          return List.of(); // already in this run's snapshot of the collection
        }
        if (!event.containsKey("ns") && event.containsKey("documentKey")) {
          event.put("ns", namespace); // the imitation leaves it out; MongoDB always sends it for document events
        }
        MongoChangeDecoder.Decoded decoded = decoder.decode(event, index);
        if (decoded instanceof MongoChangeDecoder.Decoded.Change c) {
          if (log.isDebugEnabled()) {
            log.debug("source '{}': {} {} at {}", settings.name(), table.namespace(), c.event().op(),
                c.event().position().display());
          }
          return List.of(List.<CaptureRecord>of(new CaptureRecord.Change(c.event())));
        }
        if (decoded instanceof MongoChangeDecoder.Decoded.Dropped d) {
          log.warn("source '{}': collection {} was dropped at {}: delivered as op t; its change stream ends. Remove"
              + " it from include-tables (or recreate it) before the next start", settings.name(), table.namespace(),
              d.position().display());
          return List.of(List.<CaptureRecord>of(new CaptureRecord.Change(d.truncate())));
        }
        if (decoded instanceof MongoChangeDecoder.Decoded.Renamed r) {
          log.warn("source '{}': collection {} was renamed to {} at {}: delivered as op t; its change stream ends."
              + " Include the new name (its documents are read by a snapshot) before the next start", settings.name(),
              table.namespace(), r.to().qualifiedName(), r.position().display());
          return List.of(List.<CaptureRecord>of(new CaptureRecord.Change(r.truncate())));
        }
        // dropDatabase, invalidate (the server closes this stream after it), or an event without data meaning
        log.info("source '{}': collection {}: {} at {}", settings.name(), table.namespace(),
            decoded.getClass().getSimpleName(), decoded.position().display());
        return List.of();
      };
    });
  }

  /** Counts the order of events among those of the same cluster time (1-based), as positions need. */
  private static final class EventOrder {
    private long seconds;
    private long increment;
    private long index;

    EventOrder(Start start) {
      if (start.resumeToken() != null) {
        // resuming after the event (at, index): the next one of the same cluster time is index + 1
        seconds = start.at().getTime();
        increment = start.at().getInc();
        index = start.index();
      } else {
        seconds = -1;
      }
    }

    long next(BsonTimestamp ts) {
      if (ts.getTime() == seconds && ts.getInc() == increment) {
        return ++index;
      }
      seconds = ts.getTime();
      increment = ts.getInc();
      index = 1;
      return index;
    }
  }

  @Override
  public int maxBatchSize() {
    return settings.maxBatchSize();
  }

  /**
   * A recorded position after the deployment's current cluster time belongs to a history the
   * deployment no longer has (restored from a backup, or another deployment): its changes up to that
   * time would be dropped as delivered.
   */
  @Override
  public io.syncline.streams.capture.PositionCheck checkPositions(Map<TableRef, TableStart> recorded) {
    try (MongoClient client = MongoCatalog.connect(settings)) {
      BsonTimestamp now = new MongoCatalog(settings, client).clusterTime().toCompletableFuture()
          .get(settings.connectTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
      MongoPosition current = MongoPosition.boundaryAfter(Integer.toUnsignedLong(now.getTime()),
          Integer.toUnsignedLong(now.getInc()));
      for (Map.Entry<TableRef, TableStart> e : recorded.entrySet()) {
        if (e.getValue().committed() instanceof MongoPosition p && p.isAfter(current)) {
          return new io.syncline.streams.capture.PositionCheck.Invalid(null, "source '" + settings.name()
              + "': collection " + e.getKey().qualifiedName() + " recorded " + p.display() + ", after the deployment's"
              + " current cluster time " + current.display() + ": its history went back (a restore, or another"
              + " deployment)");
        }
      }
      return new io.syncline.streams.capture.PositionCheck.Valid(null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MongoSourceException(MongoSourceException.Reason.UNREACHABLE, "source '" + settings.name()
          + "': interrupted while reading the cluster time", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new MongoSourceException(MongoSourceException.Reason.UNREACHABLE, "source '" + settings.name()
          + "': cannot read the deployment's cluster time to compare the recorded positions with: "
          + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), e);
    }
  }

  @Override
  public io.syncline.streams.capture.PositionCheck.OnPositionLost onPositionLost() {
    return settings.onPositionLost();
  }

  @Override
  public String toString() {
    return "MongoCaptureSource[" + settings + "]";
  }
}
