package io.syncline.streams.mysql;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.Event;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.SchemaHistoryStore;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.mysql.types.BinlogDeserializers;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import io.syncline.streams.snapshot.KeyRangeFilter;
import io.syncline.streams.snapshot.SnapshotChunk;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MySQL/MariaDB database captured from its row-based binlog. The binlog client runs on its own
 * thread and hands each event to a backpressured queue: when the sink is slow, the client waits,
 * and so does the server's dump thread (TCP), so memory stays bounded.
 *
 * <p>When a snapshot is due ({@link MySqlSnapshotPlan}), the same thread first reads it
 * ({@link MySqlSnapshot}) into a small queue of its own, which the stream drains before the binlog's.
 * Then the binlog from the snapshot's position, or from the earliest transaction a table recorded
 * (changes already delivered are dropped by the delivery pipeline, changes a fresh snapshot holds by
 * {@link MySqlSnapshotFilter}), or from its current end. A position that carries the server's GTID
 * state is resumed by GTID, else by file and offset.
 */
public final class MySqlCaptureSource implements CaptureSource {

  private static final Logger log = LoggerFactory.getLogger(MySqlCaptureSource.class);
  private static final String BLOCKING_IO_DISPATCHER = "pekko.stream.materializer.blocking-io-dispatcher";

  /** Snapshot chunks waiting for the stream: each holds up to max-batch-size rows. */
  private static final int SNAPSHOT_CHUNKS_BUFFERED = 2;

  private final MySqlSourceSettings settings;
  private final SchemaHistoryStore schemaHistory;
  private volatile List<MySqlCatalog.MySqlTable> tables;
  private volatile MySqlCatalog.MySqlTable signalTable; // null: no incremental snapshots

  /**
   * A source whose schema history lives in memory only: enough with {@code binlog_row_metadata=FULL};
   * without it, a restart decodes events written before a DDL statement with today's definition
   * (and stops, naming the fix, where the TABLE_MAP shows they differ).
   */
  public MySqlCaptureSource(MySqlSourceSettings settings) {
    this(settings, SchemaHistoryStore.inMemory());
  }

  /** @param schemaHistory where the source's table definitions and DDL are recorded (the journal database in a node) */
  public MySqlCaptureSource(MySqlSourceSettings settings, SchemaHistoryStore schemaHistory) {
    this.settings = settings;
    this.schemaHistory = schemaHistory;
  }

  @Override
  public String name() {
    return settings.name();
  }

  public MySqlSourceSettings settings() {
    return settings;
  }

  @Override
  public List<TableRef> prepare() {
    try (Connection c = MySqlCatalog.connect(settings)) {
      MySqlCatalog catalog = new MySqlCatalog(settings, c);
      catalog.checkBinlog();
      List<MySqlCatalog.MySqlTable> resolved = catalog.resolveTables();
      if (settings.incrementalSnapshot().enabled()) {
        // the signal table's changes are the signals: decoded, never captured as a table
        MySqlCatalog.MySqlTable signal = MySqlSignalTable.check(settings, c);
        resolved = resolved.stream().filter(x -> !x.qualifiedName().equals(signal.qualifiedName())).toList();
        signalTable = signal;
      }
      tables = resolved;
      return resolved.stream().map(t -> new TableRef("mysql", settings.name(), t.database(), t.database(), t.table())).toList();
    } catch (SQLException e) {
      throw new MySqlSourceException(MySqlSourceException.Reason.OTHER, "source '" + settings.name() + "': " + e.getMessage(), e);
    }
  }

  @Override
  public Source<List<CaptureRecord>, CaptureControl> open(Map<TableRef, TableStart> recorded) {
    return open(recorded, IncrementalSnapshotState.EMPTY);
  }

  @Override
  public Source<List<CaptureRecord>, CaptureControl> open(Map<TableRef, TableStart> recorded,
      IncrementalSnapshotState incremental) {
    List<MySqlCatalog.MySqlTable> t = tables;
    MySqlCatalog.MySqlTable signal = signalTable;
    if (t == null) {
      throw new IllegalStateException("source '" + settings.name() + "': open() before prepare()");
    }
    CaptureControl control = new io.syncline.streams.capture.AcknowledgedPosition();
    String startFile = startFile(recorded);
    MySqlSnapshotPlan plan = MySqlSnapshotPlan.of(settings, t, recorded);
    AtomicReference<GtidState> startGtids = new AtomicReference<>(); // set by the reader thread before it connects
    AtomicReference<BinlogPosition> startAt = new AtomicReference<>(); // likewise
    // snapshot chunks first (a small buffer: a chunk holds up to max-batch-size rows), then the binlog
    Source<List<CaptureRecord>, SourceQueueWithComplete<List<CaptureRecord>>> snapshot =
        Source.<List<CaptureRecord>>queue(SNAPSHOT_CHUNKS_BUFFERED, OverflowStrategy.backpressure());
    Source<Event, SourceQueueWithComplete<Event>> events = Source.<Event>queue(1024, OverflowStrategy.backpressure());
    List<MySqlCatalog.MySqlTable> decoded = new ArrayList<>(t);
    if (signal != null) {
      decoded.add(signal);
    }
    Flow<Event, List<CaptureRecord>, NotUsed> assemble = Flow.<Event>create()
        .<MySqlBinlogAssembler, Iterable<List<CaptureRecord>>>statefulMap(
            () -> new MySqlBinlogAssembler(settings, decoded, startFile, startGtids::get, startAt::get, schemaHistory),
            (assembler, event) -> org.apache.pekko.japi.Pair.create(assembler, assembler.accept(event)),
            assembler -> {
              assembler.close(); // held changes' temporary files
              return java.util.Optional.empty();
            })
        .mapConcat(batches -> batches) // held changes released by a commit are read as they go downstream
        .via(signal == null ? Flow.<List<CaptureRecord>>create() : incrementalSnapshots(t, signal, incremental))
        .async(BLOCKING_IO_DISPATCHER); // the schema tracker does JDBC (history, SHOW CREATE TABLE) on DDL
    Flow<List<CaptureRecord>, List<CaptureRecord>, NotUsed> dropSnapshotted =
        Flow.<List<CaptureRecord>>create().statefulMapConcat(() -> {
          MySqlSnapshotFilter filter = new MySqlSnapshotFilter();
          return chunk -> {
            List<CaptureRecord> out = filter.apply(chunk);
            return out.isEmpty() ? List.<List<CaptureRecord>>of() : List.of(out);
          };
        });
    Map<TableRef, List<SnapshotChunk>> recordedChunks = MySqlSnapshotPlan.recordedChunks(recorded);
    return Source.fromMaterializer((mat, attributes) -> snapshot
            .concatMat(events.via(assemble), Keep.both())
            .mapMaterializedValue(queues -> {
              start(queues.first(), queues.second(), plan, recorded, startGtids, startAt, mat);
              return NotUsed.getInstance();
            }))
        .via(dropSnapshotted)
        .via(KeyRangeFilter.flow(recordedChunks)) // changes that chunks re-read at a later view hold
        .mapMaterializedValue(m -> control);
  }

  /**
   * The incremental snapshots of this run (docs/incremental-snapshots.md): keeps signal-table changes
   * from the sink, reads chunks on the blocking dispatcher, appends their reads at the high watermark.
   */
  private Flow<List<CaptureRecord>, List<CaptureRecord>, NotUsed> incrementalSnapshots(
      List<MySqlCatalog.MySqlTable> captured, MySqlCatalog.MySqlTable signal, IncrementalSnapshotState resume) {
    return Flow.<List<CaptureRecord>, List<CaptureRecord>, NotUsed>fromMaterializer((mat, attrs) -> {
      java.util.concurrent.Executor blocking = mat.system().dispatchers().lookup(BLOCKING_IO_DISPATCHER);
      return Flow.<List<CaptureRecord>>create().<io.syncline.streams.snapshot.incremental.IncrementalSnapshotter,
          List<CaptureRecord>>statefulMap(() -> {
            Map<String, TableRef> refs = new java.util.HashMap<>();
            captured.forEach(x -> refs.put(x.qualifiedName(), MySqlSnapshotPlan.ref(settings, x)));
            return new io.syncline.streams.snapshot.incremental.IncrementalSnapshotter(settings.name(),
                signal.qualifiedName(), refs, new MySqlChunkReader(settings, captured), blocking,
                settings.incrementalSnapshot().chunkSize(), resume);
          }, (snapshotter, chunk) -> org.apache.pekko.japi.Pair.create(snapshotter, snapshotter.process(chunk)),
          snapshotter -> {
            snapshotter.close();
            return java.util.Optional.empty();
          })
          .filter(chunk -> !chunk.isEmpty());
    }).mapMaterializedValue(f -> NotUsed.getInstance());
  }

  private static String startFile(Map<TableRef, TableStart> recorded) {
    BinlogPosition start = earliest(recorded);
    BinlogPosition chunks = MySqlSnapshotPlan.earliestChunk(recorded);
    if (chunks != null && (start == null || chunks.compareTo(start) < 0)) {
      start = chunks;
    }
    return start == null ? null : start.file();
  }

  private static BinlogPosition earliest(Map<TableRef, TableStart> recorded) {
    BinlogPosition min = null;
    for (TableStart s : recorded.values()) {
      if (s.committed() instanceof BinlogPosition b && (min == null || b.compareTo(min) < 0)) {
        min = b;
      }
    }
    return min;
  }

  private void start(SourceQueueWithComplete<List<CaptureRecord>> snapshotQueue, SourceQueueWithComplete<Event> queue,
      MySqlSnapshotPlan plan, Map<TableRef, TableStart> recorded, AtomicReference<GtidState> startGtids,
      AtomicReference<BinlogPosition> startAt, Materializer mat) {
    BinaryLogClient client = new BinaryLogClient(settings.host(), settings.port(), settings.user(),
        settings.password().value());
    client.setServerId(settings.serverId());
    // microsecond temporals, raw bytes for text (decoded per column charset), and negative TIME fixed
    client.setEventDeserializer(BinlogDeserializers.create());
    client.setHeartbeatInterval(settings.heartbeatInterval().toMillis());
    client.setKeepAlive(false); // reconnects are the source reader's job (it restarts the stream)
    // a read that waits longer than heartbeat-timeout fails: the client waits on the socket only for the
    // server (not while the queue holds it back), and the server sends a heartbeat every heartbeat-interval
    client.setSocketFactory(() -> {
      java.net.Socket socket = new java.net.Socket();
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, settings.heartbeatTimeout().toMillis()));
      return socket;
    });
    BinlogTls.configure(client, settings);
    client.registerEventListener(event -> {
      try {
        queue.offer(event).toCompletableFuture().join(); // waits while the stream is busy: backpressure
      } catch (RuntimeException e) {
        closeQuietly(client);
      }
    });
    queue.watchCompletion().whenComplete((d, e) -> closeQuietly(client));
    // the client reports a failed dump (an error packet, a broken connection) to listeners, and returns
    AtomicReference<Exception> failure = new AtomicReference<>();
    client.registerLifecycleListener(new BinaryLogClient.AbstractLifecycleListener() {
      @Override
      public void onCommunicationFailure(BinaryLogClient c, Exception ex) {
        failure.compareAndSet(null, ex);
      }

      @Override
      public void onEventDeserializationFailure(BinaryLogClient c, Exception ex) {
        failure.compareAndSet(null, ex);
        closeQuietly(c);
      }
    });
    // everything blocking (JDBC, the snapshot, the binlog connection) runs on this thread, never on the materializer's
    Thread reader = new Thread(() -> {
      try {
        try (Connection c = MySqlCatalog.connect(settings)) {
          if (plan.resumeFrom() != null && plan.resumeFrom().resumeGtids() == null) {
            new MySqlCatalog(settings, c).checkPositionAvailable(plan.resumeFrom()); // by GTID the server checks
          }
        }
        BinlogPosition snapshotAt = null;
        if (!plan.snapshot().isEmpty()) {
          MySqlParallelSnapshot.Opened opened = MySqlParallelSnapshot.open(settings, plan.snapshot(), recorded);
          snapshotAt = opened.position();
          // this thread waits until every chunk is in the stream's queue (backpressure: the queue is small)
          opened.records()
              .mapAsync(1, chunk -> snapshotQueue.offer(chunk).thenApply(result -> {
                if (result != QueueOfferResult.enqueued()) {
                  throw new IllegalStateException("source '" + settings.name()
                      + "': the stream stopped during the snapshot (" + result + ")");
                }
                return result;
              }))
              .runWith(Sink.ignore(), mat)
              .toCompletableFuture().join();
        }
        snapshotQueue.complete();
        BinlogPosition from = plan.streamFrom(snapshotAt);
        try (Connection c = MySqlCatalog.connect(settings)) {
          MySqlCatalog catalog = new MySqlCatalog(settings, c);
          boolean mariaDb = catalog.isMariaDb();
          if (from == null) {
            from = catalog.currentPosition();
          }
          if (from.resumeGtids() != null) {
            // by GTID: the server finds the transaction itself, also after the file was renamed
            client.setGtidSet(from.resumeGtids());
            startGtids.set(GtidState.of(from.resumeGtids(), mariaDb));
            log.info("source '{}': reading the binlog from GTID state {} ({})", settings.name(), from.resumeGtids(),
                from.display());
          } else {
            String state = catalog.gtidStateAt(from);
            startGtids.set(state == null ? null : GtidState.of(state, mariaDb));
            client.setBinlogFilename(from.file());
            client.setBinlogPosition(from.offset());
            log.info("source '{}': reading the binlog from {}", settings.name(), from.display());
          }
        }
        startAt.set(from);
        client.connect();
        Exception failed = failure.get();
        if (failed instanceof com.github.shyiko.mysql.binlog.network.ServerException se) {
          throw MySqlCatalog.explainDumpError(settings, from, se);
        } else if (failed instanceof java.net.SocketTimeoutException) {
          throw new MySqlSourceException(MySqlSourceException.Reason.CONNECTION_LOST, "source '" + settings.name()
              + "': nothing came from " + settings.host() + ":" + settings.port() + " over the binlog connection for "
              + settings.heartbeatTimeout().toSeconds() + " s (heartbeat-timeout), not even a heartbeat (one is due"
              + " every " + settings.heartbeatInterval().toSeconds() + " s): the connection is taken as lost (a"
              + " network that drops packets without closing it, a frozen server); reconnecting", failed);
        } else if (failed != null) {
          throw failed;
        }
        queue.complete();
      } catch (Exception e) {
        Exception failure1 = BinlogTls.explain(settings, e);
        snapshotQueue.fail(failure1);
        queue.fail(failure1);
      }
    }, "binlog-" + settings.name());
    reader.setDaemon(true);
    reader.start();
  }

  private static void closeQuietly(BinaryLogClient client) {
    try {
      client.disconnect();
    } catch (Exception e) {
      log.debug("binlog client disconnect failed: {}", e.getMessage());
    }
  }

  @Override
  public int maxBatchSize() {
    return settings.maxBatchSize();
  }

  @Override
  public io.syncline.streams.capture.PositionCheck checkPositions(Map<TableRef, TableStart> recorded) {
    return MySqlPositionCheck.check(settings, recorded);
  }

  @Override
  public io.syncline.streams.capture.PositionCheck.OnPositionLost onPositionLost() {
    return settings.onPositionLost();
  }

  @Override
  public String toString() {
    return "MySqlCaptureSource[" + settings + "]";
  }
}
