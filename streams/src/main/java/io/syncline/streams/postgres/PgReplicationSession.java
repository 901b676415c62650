package io.syncline.streams.postgres;

import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.Lsn;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.postgres.pgoutput.PgMessage;
import io.syncline.streams.postgres.pgoutput.PgOutputDecoder;
import io.syncline.streams.postgres.types.PgTypeRegistry;
import io.syncline.streams.snapshot.SnapshotChunk;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshotter;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import io.syncline.streams.capture.TableStart;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.replication.fluent.logical.ChainedLogicalStreamBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a PostgreSQL source on one dedicated (blocking) thread: it owns a plain connection
 * (catalog, snapshot, heartbeats) and the replication connection. {@link #next()} returns the next
 * chunk of records: snapshot rows first when a snapshot is due, then the replication stream.
 * Acknowledged positions are applied on this thread, the only one that touches the stream.
 */
final class PgReplicationSession implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PgReplicationSession.class);
  private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long MAX_IDLE_READ_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final java.time.Duration CLOSE_TIMEOUT = java.time.Duration.ofSeconds(5);

  private final PgSourceSettings settings;
  private final PgStart start;
  private final PgCapture.Control control;
  private final PgConnector connector;
  /** The pid of the walsender this source streamed from last, in this process (0: none yet); see {@link PgCatalog#slotReleased}. */
  private final java.util.concurrent.atomic.AtomicInteger walsender;
  private Connection jdbc;
  private Connection replicationConnection;
  private PGConnection replication;
  private PGReplicationStream stream;
  private PgCatalog catalog;
  private PgTypeRegistry types;
  private PgChangeAssembler assembler;
  private boolean heartbeats;
  private long consistentPoint;

  // snapshot phase: the parallel snapshot's records, pulled on this thread; where streaming starts after it
  private final org.apache.pekko.stream.Materializer materializer;
  private org.apache.pekko.stream.javadsl.SinkQueueWithCancel<List<CaptureRecord>> snapshot;
  private long streamAfterSnapshot;

  // stream phase
  private long lastAckedLsn;
  private long lastIdleMarkLsn;
  private long startBoundary; // where this run's stream starts: emitted first, so tables without a position record it
  private long lastMessageNanos = System.nanoTime();
  private long lastHeartbeatNanos = System.nanoTime();

  // the server's liveness: time spent reading without any sign of it (a message, or its sent position moving)
  private long silentNanos;
  private long lastReceivedLsn;
  private boolean probed;

  // the catalog, looked at now and then while streaming: new tables to capture, the slot's health
  private long nextCatalogCheckNanos;
  private final java.util.Set<String> keyless = new java.util.HashSet<>(); // new tables warned about
  private String lastWalStatus;
  private String signalTable; // schema.table of the signal table (never captured), or null
  private boolean runOver; // the run should end: a new one takes in new tables
  private boolean failed; // a read, a query or a status update failed: the connections may be dead

  // incremental snapshots (null: no signal table)
  private final IncrementalSnapshotState incrementalResume;
  private final java.util.concurrent.Executor blocking;
  private IncrementalSnapshotter incremental;

  private PgReplicationSession(PgSourceSettings settings, PgStart start, PgCapture.Control control,
      IncrementalSnapshotState incrementalResume, org.apache.pekko.stream.Materializer materializer,
      java.util.concurrent.atomic.AtomicInteger walsender) {
    this.settings = settings;
    this.walsender = walsender;
    this.materializer = materializer;
    this.start = start;
    this.control = control;
    this.connector = new PgConnector(settings);
    this.incrementalResume = incrementalResume;
    this.blocking = materializer.system().dispatchers().lookup(PgCapture.BLOCKING_IO_DISPATCHER);
  }

  static PgReplicationSession open(PgSourceSettings settings, PgStart start, PgCapture.Control control,
      IncrementalSnapshotState incrementalResume, org.apache.pekko.stream.Materializer materializer,
      java.util.concurrent.atomic.AtomicInteger walsender) {
    PgReplicationSession s = new PgReplicationSession(settings, start, control, incrementalResume, materializer,
        walsender);
    try {
      s.begin();
      return s;
    } catch (RuntimeException | SQLException e) {
      s.close();
      if (e instanceof SQLException sql) {
        throw s.connector.translate(sql, false);
      }
      throw (RuntimeException) e;
    }
  }

  private void begin() throws SQLException {
    jdbc = connector.connect();
    catalog = new PgCatalog(settings, jdbc);
    types = PgTypeRegistry.load(jdbc);
    heartbeats = !settings.heartbeatInterval().isZero() && catalog.serverMajorVersion() >= 14;
    List<PgTable> decoded = start.tables();
    if (settings.incrementalSnapshot().enabled()) {
      PgTable signal = PgSignalTable.check(settings, jdbc);
      signalTable = signal.ref().qualifiedName();
      decoded = new ArrayList<>(decoded);
      decoded.add(signal); // decoded so that its changes reach the snapshotter, which keeps them from the sink
      java.util.Map<String, io.syncline.streams.event.TableRef> captured = new java.util.HashMap<>();
      start.tables().forEach(t -> captured.put(t.ref().qualifiedName(), t.ref()));
      incremental = new IncrementalSnapshotter(settings.name(), signal.ref().qualifiedName(), captured,
          new PgChunkReader(settings), blocking, settings.incrementalSnapshot().chunkSize(), incrementalResume);
    }
    assembler = new PgChangeAssembler(settings, decoded, types, jdbc);
    replicationConnection = connector.connectForReplication();
    replication = replicationConnection.unwrap(PGConnection.class);

    Optional<PgCatalog.SlotInfo> slot = catalog.slotReleased(java.time.Duration.ofSeconds(15), walsender.get());
    slot.ifPresent(catalog::checkSlotUsable);
    boolean anyCompleted = start.tables().stream().anyMatch(t -> start.of(t.ref()).snapshotCompleted());
    boolean wantSnapshot = settings.snapshotMode() == PgSourceSettings.SnapshotMode.INITIAL;
    Map<TableRef, List<SnapshotChunk>> chunks = slot.isPresent() && wantSnapshot
        ? PgSnapshotResume.recordedChunks(start, slot.get()) : Map.of();

    if (slot.isPresent() && wantSnapshot && !anyCompleted && chunks.isEmpty()) {
      log.warn("source '{}': slot {} exists but no table finished its initial snapshot (interrupted run):"
          + " dropping the slot and starting the snapshot over", settings.name(), settings.slotName());
      catalog.dropSlot();
      slot = Optional.empty();
    }
    long startLsn = 0;
    if (slot.isEmpty()) {
      if (anyCompleted) {
        log.warn("source '{}': replication slot {} is gone although tables were captured before; changes made"
            + " while it was missing are lost{}", settings.name(), settings.slotName(),
            wantSnapshot ? ": re-reading every table with a new snapshot" : "");
      }
      String snapshotName = createSlot(wantSnapshot);
      startLsn = consistentPoint;
      if (wantSnapshot) {
        beginSnapshot(snapshotName, consistentPoint, consistentPoint, start.tables(), Map.of());
      }
    } else if (!chunks.isEmpty()) {
      resumeSnapshot(chunks);
    } else {
      List<PgTable> fresh = new ArrayList<>();
      for (PgTable t : start.tables()) {
        TableStart recorded = start.of(t.ref());
        if (wantSnapshot && !recorded.snapshotCompleted()) {
          if (recorded.committed() == null) {
            fresh.add(t); // never captured: created (or included) since, its rows are read first
          } else {
            log.warn("source '{}': table {} was captured without an initial snapshot; its rows from before are not"
                + " read (an incremental snapshot reads them: bin/syncline snapshot)", settings.name(),
                t.ref().qualifiedName());
          }
        }
      }
      if (!fresh.isEmpty()) {
        snapshotNewTables(fresh);
      }
    }
    if (snapshot == null) {
      startStreaming(startLsn);
    }
  }

  /**
   * An initial snapshot was interrupted after some chunks were delivered: the chunks left (and the
   * tables not started) are read at a new consistent view S2, given by a temporary slot's exported
   * snapshot; the stream then resumes at the slot's confirmed position S, and {@code KeyRangeFilter}
   * drops its changes to re-read keys at or before S2. See docs/positions-and-recovery.md.
   */
  private void resumeSnapshot(Map<TableRef, List<SnapshotChunk>> chunks) throws SQLException {
    List<PgTable> tables = start.tables().stream().filter(t -> !start.of(t.ref()).snapshotCompleted()).toList();
    long origin = PgSnapshotResume.origin(chunks);
    try (PgSnapshotResume.View view = PgSnapshotResume.newView(settings, connector)) {
      log.info("source '{}': resuming the initial snapshot of {} tables at a new view {} (stream from {})",
          settings.name(), tables.size(), new Lsn(view.lsn()), new Lsn(origin));
      beginSnapshot(view.snapshotName(), view.lsn(), origin, tables, chunks);
    } // the workers imported the view: the temporary slot may go
    streamAfterSnapshot = 0; // the slot's confirmed position: the original snapshot's
  }

  /**
   * Tables never captured before (created while the source ran, or added to {@code include-tables})
   * are read at a new consistent view S2 (a temporary slot's exported snapshot), after they joined
   * the publication (prepare added them); the stream then resumes at the slot's confirmed position,
   * and their streamed changes at or before S2, which the rows read hold, are dropped. So the rows
   * written between the table's creation and its joining the publication, which the slot never
   * streams, are read, and nothing comes twice. Their snapshot completes at S2.
   */
  private void snapshotNewTables(List<PgTable> tables) throws SQLException {
    try (PgSnapshotResume.View view = PgSnapshotResume.newView(settings, connector)) {
      log.info("source '{}': reading the rows of {} new {} {} at a new view {}, then streaming from slot {}",
          settings.name(), tables.size(), tables.size() == 1 ? "table" : "tables",
          tables.stream().map(t -> t.ref().qualifiedName()).toList(), new Lsn(view.lsn()), settings.slotName());
      beginSnapshot(view.snapshotName(), view.lsn(), view.lsn(), tables, Map.of());
    }
    streamAfterSnapshot = 0; // the slot's confirmed position
  }

  /** Creates the slot; returns the exported snapshot's name (null when not exported). */
  private String createSlot(boolean exportSnapshot) throws SQLException {
    Connection r = replicationConnection;
    String sql = "CREATE_REPLICATION_SLOT " + PgCatalog.quoteIdent(settings.slotName()) + " LOGICAL pgoutput "
        + (exportSnapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
    try (Statement st = r.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      consistentPoint = Lsn.parse(rs.getString("consistent_point")).value();
      String snapshot = rs.getString("snapshot_name");
      log.info("source '{}': created replication slot {} at {}", settings.name(), settings.slotName(),
          new Lsn(consistentPoint));
      return snapshot;
    }
  }

  private void beginSnapshot(String snapshotName, long view, long origin, List<PgTable> tables,
      Map<TableRef, List<SnapshotChunk>> chunks) throws SQLException {
    snapshot = PgParallelSnapshot.open(settings, connector, snapshotName, view, origin, tables, chunks, types)
        .runWith(org.apache.pekko.stream.javadsl.Sink.<List<CaptureRecord>>queue()
            .addAttributes(org.apache.pekko.stream.Attributes.inputBuffer(2, 2)), materializer);
    streamAfterSnapshot = origin;
  }

  private void startStreaming(long startLsn) throws SQLException {
    // the walsender serving this connection: if the network dies, the next run takes the slot back from it
    try (Statement st = replicationConnection.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      walsender.set(rs.getInt(1));
    }
    ChainedLogicalStreamBuilder b = replication.getReplicationAPI().replicationStream().logical()
        .withSlotName(settings.slotName())
        .withStartPosition(LogSequenceNumber.valueOf(startLsn))
        .withSlotOption("proto_version", "1")
        .withSlotOption("publication_names", settings.publicationName())
        .withStatusInterval((int) Math.max(1, settings.statusInterval().toMillis()), TimeUnit.MILLISECONDS);
    if (heartbeats) {
      b = b.withSlotOption("messages", "true");
    }
    stream = b.start();
    if (!settings.serverTimeout().isZero()) {
      // a message that starts but never ends fails the read after server-timeout (pgjdbc's own socket
      // timeout on this connection is not one: it retries the read forever)
      replicationConnection.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE,
          settings.serverTimeout().toMillis()));
    }
    lastReceivedLsn = stream.getLastReceiveLSN().asLong();
    nextCatalogCheckNanos = System.nanoTime() + catalogCheckInterval().toNanos();
    lastAckedLsn = startLsn;
    startBoundary = startLsn != 0 ? startLsn : catalog.slot().map(PgCatalog.SlotInfo::confirmedFlushLsn)
        .filter(l -> l != null).map(l -> Lsn.parse(l).value()).orElse(0L);
    log.info("source '{}': streaming from slot {}{}", settings.name(), settings.slotName(),
        startLsn == 0 ? " at its confirmed position" : " at " + new Lsn(startLsn));
  }

  /**
   * The next chunk of records; blocks (on this dedicated thread) for a moment at most: an empty
   * chunk when nothing arrived. After {@link #ended()} turned true, nothing more comes.
   */
  List<CaptureRecord> next() throws SQLException {
    try {
      if (snapshot != null) {
        return nextSnapshotChunk();
      }
      List<CaptureRecord> out = nextStreamChunk();
      return incremental == null ? out : incremental.process(out);
    } catch (SQLException e) {
      failed = true;
      if (io.syncline.streams.capture.Failures.timedOut(e)) {
        throw connector.translate(e, false); // a query without an answer: says so, and is retried
      }
      throw e;
    } catch (RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  /**
   * True when this run should end (and the source reader start a new one): new tables matching
   * {@code include-tables} appeared, which a new run publishes, reads and captures.
   */
  boolean ended() {
    return runOver;
  }

  // ---------------------------------------------------------------- snapshot

  private List<CaptureRecord> nextSnapshotChunk() throws SQLException {
    Optional<List<CaptureRecord>> next;
    try {
      next = snapshot.pull().toCompletableFuture().get(); // this thread is the reader's own: it may wait
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("source '" + settings.name() + "': interrupted during the snapshot", e);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SQLException sql) {
        throw sql;
      }
      throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
    }
    if (next.isPresent()) {
      return next.get();
    }
    snapshot = null;
    startStreaming(streamAfterSnapshot);
    return List.of();
  }

  // ---------------------------------------------------------------- stream

  private List<CaptureRecord> nextStreamChunk() throws SQLException {
    List<CaptureRecord> out = new ArrayList<>();
    if (startBoundary != 0) {
      // every change before the stream's start is delivered (the slot was acknowledged there, or the snapshot holds it)
      out.add(new CaptureRecord.Checkpoint(null, PgPosition.boundary(startBoundary)));
      startBoundary = 0;
    }
    long parkNanos = 50_000;
    long giveBackAt = System.nanoTime() + MAX_IDLE_READ_NANOS;
    long loopNanos = System.nanoTime(); // silence counts only while reading: not while the sink is busy
    while (true) {
      long now = System.nanoTime();
      silentNanos += now - loopNanos;
      loopNanos = now;
      applyAcknowledged();
      ByteBuffer buffer = stream.readPending();
      long received = stream.getLastReceiveLSN().asLong();
      if (buffer != null || received != lastReceivedLsn) {
        lastReceivedLsn = received; // a keepalive with a new sent position is a sign of life too
        silentNanos = 0;
        probed = false;
      }
      if (buffer != null) {
        lastMessageNanos = System.nanoTime();
        PgMessage message = PgOutputDecoder.decode(buffer);
        assembler.accept(message, out);
        parkNanos = 50_000;
        if (out.size() >= settings.maxBatchSize()) {
          return out;
        }
        continue;
      }
      if (!out.isEmpty()) {
        return out; // nothing more buffered right now: hand over what we have (keeps latency low)
      }
      checkServerSilence();
      if (!assembler.inTransaction() && System.nanoTime() >= nextCatalogCheckNanos) {
        checkCatalog();
        if (runOver) {
          return out;
        }
      }
      long idleNanos = System.nanoTime() - lastMessageNanos;
      if (!assembler.inTransaction() && idleNanos >= settings.idleEmitInterval().toNanos()) {
        if (heartbeats && idleNanos >= settings.heartbeatInterval().toNanos()
            && System.nanoTime() - lastHeartbeatNanos >= settings.heartbeatInterval().toNanos()) {
          lastHeartbeatNanos = System.nanoTime();
          catalog.emitHeartbeat();
        }
        long sent = stream.getLastReceiveLSN().asLong();
        long mark = Math.max(sent, assembler.lastCommitEndLsn());
        if (Long.compareUnsigned(mark, lastIdleMarkLsn) > 0 && Long.compareUnsigned(mark, lastAckedLsn) > 0) {
          lastIdleMarkLsn = mark;
          out.add(new CaptureRecord.Checkpoint(null, PgPosition.boundary(mark)));
          return out;
        }
      }
      if (System.nanoTime() > giveBackAt) {
        // hand control back now and then, even with nothing to emit: the stream stage can only see a
        // cancellation (node stop, restart) between reads, and would otherwise wait for a keepalive
        return out;
      }
      // nothing to read: wait a little on this dedicated thread (the server pushes; pgjdbc has no blocking read with timeout)
      LockSupport.parkNanos(parkNanos);
      parkNanos = Math.min(MAX_PARK_NANOS, parkNanos * 2);
    }
  }

  /**
   * Fails the stream when the server said nothing for {@code server-timeout} while we read: a dead
   * network or a frozen server, which TCP would notice only after many minutes. An idle stream is
   * never silent that long, since heartbeats (PostgreSQL 14+) come back through it; without them,
   * silence outside a transaction is normal and not counted. Halfway, a status update asking for a
   * reply gives a live server a chance to move its sent position.
   */
  private void checkServerSilence() throws SQLException {
    java.time.Duration timeout = settings.serverTimeout();
    if (timeout.isZero() || (!heartbeats && !assembler.inTransaction())) {
      silentNanos = 0;
      return;
    }
    if (!probed && silentNanos >= timeout.toNanos() / 2) {
      probed = true;
      stream.forceUpdateStatus();
    }
    if (silentNanos >= timeout.toNanos()) {
      throw new PgSourceException(PgSourceException.Reason.UNREACHABLE, "source '" + settings.name()
          + "': no message from PostgreSQL at " + settings.host() + ":" + settings.port()
          + " on the replication connection for " + timeout.toSeconds() + " s (server-timeout), although an idle"
          + " stream hears a heartbeat every " + settings.heartbeatInterval().toSeconds()
          + " s: the network or the server is gone. Reconnecting.");
    }
  }

  private java.time.Duration catalogCheckInterval() {
    java.time.Duration d = settings.tableDiscoveryInterval();
    return d.isZero() ? java.time.Duration.ofSeconds(10) : d;
  }

  /**
   * Looks at the catalog between transactions: warns when the slot's WAL is no longer reserved (and
   * fails when the server invalidated it), and, with {@code table-discovery-interval}, ends the run
   * when a table matching {@code include-tables} is not captured or not published (created since,
   * or dropped and created again): the next run publishes it, reads its rows and streams it.
   */
  private void checkCatalog() throws SQLException {
    nextCatalogCheckNanos = System.nanoTime() + catalogCheckInterval().toNanos();
    Optional<PgCatalog.SlotInfo> slot = catalog.slot();
    if (slot.isPresent() && (slot.get().invalidated() || !java.util.Objects.equals(slot.get().walStatus(), lastWalStatus))) {
      lastWalStatus = slot.get().walStatus();
      catalog.checkSlotHealth(slot.get());
    }
    if (settings.tableDiscoveryInterval().isZero()) {
      return;
    }
    java.util.Set<String> captured = new java.util.HashSet<>();
    start.tables().forEach(t -> captured.add(t.ref().qualifiedName()));
    java.util.Set<String> published = catalog.publishedTables();
    List<String> added = new ArrayList<>();
    List<String> republished = new ArrayList<>();
    for (String q : catalog.matchingTables()) {
      if (q.equals(signalTable) || (captured.contains(q) && published.contains(q))) {
        continue;
      }
      int dot = q.indexOf('.');
      try {
        catalog.describe(q.substring(0, dot), q.substring(dot + 1));
      } catch (PgSourceException e) {
        if (keyless.add(q)) {
          log.warn("source '{}': new table {} matches include-tables but is not captured yet: {}", settings.name(), q,
              e.getMessage());
        }
        continue;
      } catch (SQLException e) {
        continue; // dropped meanwhile
      }
      (captured.contains(q) ? republished : added).add(q);
    }
    if (!added.isEmpty() || !republished.isEmpty()) {
      if (!added.isEmpty()) {
        log.info("source '{}': new {} matching include-tables: {}; restarting the capture to publish, read and"
            + " stream {}", settings.name(), added.size() == 1 ? "table" : "tables", added,
            added.size() == 1 ? "it" : "them");
      }
      if (!republished.isEmpty()) {
        log.warn("source '{}': {} left publication {} (dropped and created again?); restarting the capture to"
            + " publish {} again. Rows written before that are not read again: an incremental snapshot reads them"
            + " (bin/syncline snapshot)", settings.name(), republished, settings.publicationName(),
            republished.size() == 1 ? "it" : "them");
      }
      runOver = true;
    }
  }

  /**
   * Sends the server a standby status update with what is acknowledged: called while nobody reads
   * (the sink is slow), so that the server does not take the silence for a dead reader
   * ({@code wal_sender_timeout}) and end the connection. Nothing before streaming starts.
   */
  void keepAlive() throws SQLException {
    if (stream != null) {
      try {
        applyAcknowledged();
        stream.forceUpdateStatus();
      } catch (SQLException | RuntimeException e) {
        failed = true;
        throw e;
      }
    }
  }

  /** Tells the server what is durably delivered, on this thread (the stream is not thread-safe). */
  private void applyAcknowledged() throws SQLException {
    long lsn = control.pendingLsn();
    if (lsn != 0 && Long.compareUnsigned(lsn, lastAckedLsn) > 0) {
      LogSequenceNumber l = LogSequenceNumber.valueOf(lsn);
      stream.setFlushedLSN(l);
      stream.setAppliedLSN(l);
      lastAckedLsn = lsn;
      log.debug("source '{}': acknowledged {}", settings.name(), new Lsn(lsn));
    }
  }

  @Override
  public void close() {
    if (snapshot != null) {
      snapshot.cancel(); // the workers abort their connections
    }
    closeQuietly(incremental);
    if (failed) {
      // the connections may be dead (a frozen network): a goodbye to the server could wait forever
      abortQuietly(replicationConnection);
      abortQuietly(jdbc);
      return;
    }
    if (stream != null) {
      try {
        applyAcknowledged();
        stream.forceUpdateStatus();
        // ending the copy waits for the server's answer: bounded, whatever the network does
        replicationConnection.setNetworkTimeout(Runnable::run, (int) CLOSE_TIMEOUT.toMillis());
      } catch (SQLException | RuntimeException e) {
        log.debug("source '{}': final status update failed: {}", settings.name(), e.getMessage());
      }
      closeQuietly(stream::close);
    }
    closeQuietly(replicationConnection);
    closeQuietly(jdbc);
  }

  private static void abortQuietly(Connection c) {
    if (c != null) {
      try {
        c.abort(Runnable::run); // closes the socket, sends nothing
      } catch (SQLException | RuntimeException e) {
        log.debug("abort failed: {}", e.getMessage());
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("close failed: {}", e.getMessage());
      }
    }
  }
}
