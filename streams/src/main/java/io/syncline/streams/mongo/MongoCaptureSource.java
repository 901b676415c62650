package io.syncline.streams.mongo;

import com.mongodb.MongoException;
import com.mongodb.client.ChangeStreamIterable;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.model.changestream.FullDocument;
import com.mongodb.client.model.changestream.FullDocumentBeforeChange;
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
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Source;
import org.bson.BsonDocument;
import org.bson.BsonTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MongoDB deployment (replica set or sharded cluster) captured from change streams.
 *
 * <p>One change stream per captured collection, read through the sync driver's cursor
 * ({@link MongoChangeStreamReader}) in a {@code Source.unfoldResource} on a dispatcher of its own
 * ({@value #DISPATCHER}): a read is one server batch, asked for only when the stream wants more, so
 * a slow sink slows the reading and memory stays bounded. The sync cursor keeps the post-batch resume
 * token, which the reactive driver does not expose: a collection without changes gets a boundary
 * from it after each batch, so its recorded resume point keeps up with the oplog. (One stream per
 * database with a {@code $match} on the collections would use fewer cursors and threads, but the
 * embedded imitation gives nothing on a database-level stream, so it could not be tested here; per
 * collection, each collection also resumes from its own position alone. See docs/mongodb-source.md.)
 *
 * <p>Run plan, from what the table entities recorded: the current cluster time {@code T0} is taken
 * first. The run starts with the positions it starts from: a collection without a recorded position
 * that is not snapshotted starts after {@code T0} ({@link CaptureRecord.TableCheckpoint}), and the
 * earliest start of all is a boundary for every collection ({@link CaptureRecord.Checkpoint}), so the
 * reader records them before it reports capturing. Collections whose snapshot never completed (with
 * {@code snapshot-mode = initial}) are read by {@link MongoSnapshot} at {@code T0}, one after the other;
 * then every collection's stream opens: a freshly snapshotted one at {@code T0} (its events at or before
 * the snapshot are dropped here), one with a recorded position after that position's resume token (or
 * at its cluster time when it has no token), a new one without snapshot after {@code T0}. Events already
 * delivered are dropped by the delivery pipeline (positions order by cluster time, then the event's
 * order among those of that time, which the reader counts). When a collection's resume point is no
 * longer in the oplog ({@code ChangeStreamHistoryLost}), {@code on-history-lost} decides: fail with the
 * fix, or read the collection again at a new cluster time and stream from there.
 */
public final class MongoCaptureSource implements CaptureSource {

  private static final Logger log = LoggerFactory.getLogger(MongoCaptureSource.class);
  /** ChangeStreamHistoryLost, ChangeStreamFatalError (e.g. the resume token is no longer in the oplog). */
  private static final Set<Integer> HISTORY_LOST = Set.of(286, 280);
  /**
   * The dispatcher the change streams are read on (streams' reference.conf): each collection's read
   * holds a thread while its getMore waits on the server (up to {@code max-await-time}).
   */
  static final String DISPATCHER = "syncline.mongodb.change-stream-dispatcher";

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
      log.info("source '{}': {} collections to capture from {}", settings.name(), resolved.size(),
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

  @Override
  public Source<List<CaptureRecord>, CaptureControl> open(Map<TableRef, TableStart> recorded) {
    List<MongoCatalog.MongoTable> t = tables;
    if (t == null) {
      throw new IllegalStateException("source '" + settings.name() + "': open() before prepare()");
    }
    CaptureControl control = new io.syncline.streams.capture.AcknowledgedPosition();
    return Source.<List<CaptureRecord>, NotUsed>fromMaterializer((mat, attrs) -> {
      warnWhenThreadsAreFew(mat.system().settings().config(), t.size());
      MongoClient client = MongoCatalog.connect(settings);
      com.mongodb.client.MongoClient streams = MongoCatalog.connectSync(settings);
      MongoCatalog catalog = new MongoCatalog(settings, client);
      return Source.completionStageSource(catalog.clusterTime().thenApply(t0 -> {
            lastStart = t0;
            return run(client, streams, catalog, t, recorded, t0);
          }))
          .watchTermination((m, done) -> {
            done.whenComplete((d, e) -> {
              client.close();
              streams.close();
            });
            return NotUsed.getInstance();
          });
    }).mapMaterializedValue(f -> (CaptureControl) control);
  }

  /** Warns when the change-stream dispatcher has fewer threads than collections to read (reads then queue). */
  private void warnWhenThreadsAreFew(com.typesafe.config.Config config, int collections) {
    String key = DISPATCHER + ".thread-pool-executor.fixed-pool-size";
    if (config.hasPath(key) && config.getInt(key) < collections) {
      log.warn("source '{}': {} collections but {} = {}: each collection's change stream holds a thread while it"
          + " waits on the server (up to max-await-time), so reads queue and changes arrive later. Fix: raise {}"
          + " to the number of collections captured by all MongoDB sources of this node", settings.name(),
          collections, key, config.getInt(key), key);
    }
  }

  private Source<List<CaptureRecord>, NotUsed> run(MongoClient client, com.mongodb.client.MongoClient streams,
      MongoCatalog catalog, List<MongoCatalog.MongoTable> all, Map<TableRef, TableStart> recorded, BsonTimestamp t0) {
    List<MongoCatalog.MongoTable> snapshot = new ArrayList<>();
    List<Source<List<CaptureRecord>, NotUsed>> collections = new ArrayList<>();
    List<CaptureRecord> starts = new ArrayList<>();
    MongoPosition atT0 = MongoPosition.boundary(unsigned(t0.getTime()), unsigned(t0.getInc()), null);
    MongoPosition afterT0 = MongoPosition.boundaryAfter(unsigned(t0.getTime()), unsigned(t0.getInc()));
    MongoPosition completeT0 = new MongoPosition(unsigned(t0.getTime()), unsigned(t0.getInc()), MongoPosition.COMPLETE,
        null);
    MongoPosition earliest = null; // before every change any collection's stream will deliver
    for (MongoCatalog.MongoTable table : all) {
      TableStart s = recorded.getOrDefault(table.ref(), TableStart.NEW);
      MongoPosition committed = s.committed() instanceof MongoPosition m ? m : null;
      MongoChangeStreamReader.Start start;
      MongoPosition from;
      if (settings.snapshotMode() == MongoSourceSettings.SnapshotMode.INITIAL && !s.snapshotCompleted()) {
        snapshot.add(table);
        start = new MongoChangeStreamReader.Start(t0, null, 0, completeT0);
        from = atT0;
      } else if (committed != null) {
        start = new MongoChangeStreamReader.Start(timestamp(committed), committed.resumeToken(),
            committed.resumeToken() != null ? committed.index() : 0, null);
        from = MongoPosition.boundary(committed.seconds(), committed.increment(), null);
      } else {
        // nothing recorded, no snapshot: what happened up to T0 is not wanted; record that at once (finding 7a),
        // or a stop before its first change would start the next run at a later T0 and lose what came between
        start = new MongoChangeStreamReader.Start(t0, null, 0, completeT0);
        from = afterT0;
        starts.add(new CaptureRecord.TableCheckpoint(table.ref(), afterT0));
      }
      earliest = earliest == null || earliest.isAfter(from) ? from : earliest;
      log.info("source '{}': {} streams from {}{}", settings.name(), table.namespace(),
          start.resumeToken() != null ? "after its recorded resume token at " : "cluster time ",
          new MongoPosition(unsigned(start.at().getTime()), unsigned(start.at().getInc()), start.index(), null)
              .display());
      collections.add(collection(client, streams, catalog, table, start));
    }
    // every collection's changes from here on are after the earliest start: a boundary for them all
    starts.add(0, new CaptureRecord.Checkpoint(null, earliest));
    Source<List<CaptureRecord>, NotUsed> snapshots = Source.from(snapshot)
        .flatMapConcat(table -> MongoSnapshot.read(settings, client.getDatabase(table.database()), table, t0));
    return Source.single(List.copyOf(starts))
        .concat(snapshots)
        .concat(Source.from(collections).flatMapMerge(collections.size(), c -> c));
  }

  private static long unsigned(int part) {
    return Integer.toUnsignedLong(part);
  }

  private static BsonTimestamp timestamp(MongoPosition p) {
    return new BsonTimestamp((int) p.seconds(), (int) p.increment());
  }

  /** One collection's change stream, with the history-lost policy around it. */
  private Source<List<CaptureRecord>, NotUsed> collection(MongoClient client, com.mongodb.client.MongoClient streams,
      MongoCatalog catalog, MongoCatalog.MongoTable table, MongoChangeStreamReader.Start start) {
    String where = "collection " + table.namespace() + " of source '" + settings.name() + "' cannot resume at "
        + (start.resumeToken() != null ? "its recorded resume token, " : "") + "cluster time "
        + new MongoPosition(unsigned(start.at().getTime()), unsigned(start.at().getInc()), start.index(), null).display();
    return onHistoryLost(changeStream(streams, table, start), settings.onHistoryLost(), where, () ->
        Source.completionStageSource(catalog.clusterTime().thenApply(t1 ->
                MongoSnapshot.read(settings, client.getDatabase(table.database()), table, t1)
                    .concat(collection(client, streams, catalog, table, new MongoChangeStreamReader.Start(t1, null, 0,
                        new MongoPosition(unsigned(t1.getTime()), unsigned(t1.getInc()), MongoPosition.COMPLETE, null))))))
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

  /**
   * One collection's change events from {@code start}, a server batch per read, on the change-stream
   * dispatcher (the cursor blocks while the server waits for changes).
   */
  private Source<List<CaptureRecord>, NotUsed> changeStream(com.mongodb.client.MongoClient streams,
      MongoCatalog.MongoTable table, MongoChangeStreamReader.Start start) {
    return Source.<List<CaptureRecord>, MongoChangeStreamReader>unfoldResource(
            () -> new MongoChangeStreamReader(settings.name(), table, start, settings.maxBatchSize(),
                new DriverCursor(open(streams, table, start))),
            MongoChangeStreamReader::read,
            MongoChangeStreamReader::close)
        .addAttributes(ActorAttributes.dispatcher(DISPATCHER))
        .filter(records -> !records.isEmpty());
  }

  /** Opens the collection's change stream (the aggregate command: blocking). */
  private MongoChangeStreamCursor<BsonDocument> open(com.mongodb.client.MongoClient streams,
      MongoCatalog.MongoTable table, MongoChangeStreamReader.Start start) {
    ChangeStreamIterable<BsonDocument> it = streams.getDatabase(table.database())
        .getCollection(table.collection(), BsonDocument.class)
        .watch(BsonDocument.class)
        .batchSize(settings.maxBatchSize())
        .maxAwaitTime(settings.maxAwaitTime().toMillis(), TimeUnit.MILLISECONDS);
    if (settings.fullDocument() != MongoSourceSettings.FullDocumentMode.DEFAULT) {
      it = it.fullDocument(FullDocument.fromString(settings.fullDocument().value()));
    }
    if (settings.fullDocumentBeforeChange() != MongoSourceSettings.BeforeChangeMode.OFF) {
      it = it.fullDocumentBeforeChange(FullDocumentBeforeChange.fromString(settings.fullDocumentBeforeChange().value()));
    }
    it = start.resumeToken() != null ? it.resumeAfter(BsonDocument.parse(start.resumeToken()))
        : it.startAtOperationTime(start.at());
    // the raw events (the decoder reads them as MongoDB documents them), on the change-stream cursor that keeps
    // the resume token: the iterable of raw documents is typed as a plain iterable, its cursor is the stream's
    com.mongodb.client.MongoCursor<BsonDocument> cursor = it.withDocumentClass(BsonDocument.class).cursor();
    if (cursor instanceof MongoChangeStreamCursor<BsonDocument> stream) {
      return stream;
    }
    cursor.close();
    throw new IllegalStateException("source '" + settings.name() + "': the MongoDB sync driver's change stream of raw"
        + " documents gave a cursor without resume token (" + cursor.getClass().getName() + "): run with the"
        + " mongodb-driver-sync version Syncline was built with");
  }

  /** The sync driver's change-stream cursor, as the reader reads it. */
  private record DriverCursor(MongoChangeStreamCursor<BsonDocument> cursor) implements MongoChangeStreamReader.Cursor {
    @Override
    public BsonDocument tryNext() {
      return cursor.tryNext();
    }

    @Override
    public int available() {
      return cursor.available();
    }

    @Override
    public BsonDocument resumeToken() {
      return cursor.getResumeToken();
    }

    @Override
    public boolean closed() {
      return cursor.getServerCursor() == null;
    }

    @Override
    public void close() {
      cursor.close();
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
