package io.syncline.streams.postgres;

import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.Lsn;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.postgres.pgoutput.PgMessage;
import io.syncline.streams.postgres.pgoutput.PgOutputDecoder;
import io.syncline.streams.postgres.types.PgTypeRegistry;
import io.syncline.streams.postgres.types.ValueConverter;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshotter;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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

  private final PgSourceSettings settings;
  private final PgStart start;
  private final PgCapture.Control control;
  private final PgConnector connector;
  private Connection jdbc;
  private Connection replicationConnection;
  private PGConnection replication;
  private PGReplicationStream stream;
  private PgCatalog catalog;
  private PgTypeRegistry types;
  private PgChangeAssembler assembler;
  private boolean heartbeats;
  private long consistentPoint;

  // snapshot phase: tables still to read, the open cursor
  private final Deque<PgTable> snapshotQueue = new ArrayDeque<>();
  private Statement snapshotStatement;
  private ResultSet snapshotRows;
  private PgTable snapshotTable;
  private RowSchema snapshotSchema;
  private ValueConverter[] snapshotConverters;
  private long snapshotCount;
  private long snapshotMicros;
  private long snapshotStartNanos;

  // stream phase
  private long lastAckedLsn;
  private long lastIdleMarkLsn;
  private long lastMessageNanos = System.nanoTime();
  private long lastHeartbeatNanos = System.nanoTime();

  // incremental snapshots (null: no signal table)
  private final IncrementalSnapshotState incrementalResume;
  private final java.util.concurrent.Executor blocking;
  private IncrementalSnapshotter incremental;

  private PgReplicationSession(PgSourceSettings settings, PgStart start, PgCapture.Control control,
      IncrementalSnapshotState incrementalResume, java.util.concurrent.Executor blocking) {
    this.settings = settings;
    this.start = start;
    this.control = control;
    this.connector = new PgConnector(settings);
    this.incrementalResume = incrementalResume;
    this.blocking = blocking;
  }

  static PgReplicationSession open(PgSourceSettings settings, PgStart start, PgCapture.Control control,
      IncrementalSnapshotState incrementalResume, java.util.concurrent.Executor blocking) {
    PgReplicationSession s = new PgReplicationSession(settings, start, control, incrementalResume, blocking);
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

    Optional<PgCatalog.SlotInfo> slot = catalog.slotReleased(java.time.Duration.ofSeconds(15));
    slot.ifPresent(catalog::checkSlotUsable);
    boolean anyCompleted = start.tables().stream().anyMatch(t -> start.of(t.ref()).snapshotCompleted());
    boolean wantSnapshot = settings.snapshotMode() == PgSourceSettings.SnapshotMode.INITIAL;

    if (slot.isPresent() && wantSnapshot && !anyCompleted) {
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
        beginSnapshot(snapshotName);
      }
    } else {
      for (PgTable t : start.tables()) {
        if (wantSnapshot && !start.of(t.ref()).snapshotCompleted()) {
          log.warn("source '{}': table {} was added after the initial snapshot; its existing rows are not read"
              + " (only its changes from now on are captured)", settings.name(), t.ref().qualifiedName());
        }
      }
    }
    if (snapshotQueue.isEmpty()) {
      startStreaming(startLsn);
    }
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

  private void beginSnapshot(String snapshotName) throws SQLException {
    jdbc.setAutoCommit(false);
    jdbc.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try (Statement s = jdbc.createStatement()) {
      s.execute("SET TRANSACTION READ ONLY");
      s.execute("SET TRANSACTION SNAPSHOT '" + snapshotName.replace("'", "''") + "'");
    }
    snapshotQueue.addAll(start.tables());
    java.time.Instant now = java.time.Instant.now();
    snapshotMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    log.info("source '{}': initial snapshot of {} tables at {}", settings.name(), snapshotQueue.size(),
        new Lsn(consistentPoint));
  }

  private void startStreaming(long startLsn) throws SQLException {
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
    lastAckedLsn = startLsn;
    log.info("source '{}': streaming from slot {}{}", settings.name(), settings.slotName(),
        startLsn == 0 ? " at its confirmed position" : " at " + new Lsn(startLsn));
  }

  /** The next chunk of records; blocks (on this dedicated thread) until there is something to emit. */
  List<CaptureRecord> next() throws SQLException {
    if (stream == null) {
      return nextSnapshotChunk();
    }
    List<CaptureRecord> out = nextStreamChunk();
    return incremental == null ? out : incremental.process(out);
  }

  // ---------------------------------------------------------------- snapshot

  private List<CaptureRecord> nextSnapshotChunk() throws SQLException {
    List<CaptureRecord> out = new ArrayList<>(Math.min(settings.maxBatchSize(), 4096));
    while (out.size() < settings.maxBatchSize()) {
      if (snapshotRows == null) {
        if (snapshotQueue.isEmpty()) {
          jdbc.commit();
          jdbc.setAutoCommit(true);
          startStreaming(consistentPoint);
          return out;
        }
        openSnapshotCursor(snapshotQueue.poll());
      }
      if (snapshotRows.next()) {
        Object[] values = new Object[snapshotConverters.length];
        for (int i = 0; i < values.length; i++) {
          String text = snapshotRows.getString(i + 1);
          values[i] = text == null ? null : snapshotConverters[i].convert(text);
        }
        Row row = new Row(snapshotSchema, values);
        out.add(new CaptureRecord.Change(new ChangeEvent(snapshotTable.ref(), Op.READ,
            new PgPosition(consistentPoint, 0), null, 0, snapshotMicros, true, null, row, List.of())));
        snapshotCount++;
      } else {
        snapshotRows.close();
        snapshotStatement.close();
        snapshotRows = null;
        long ms = Math.max(1, (System.nanoTime() - snapshotStartNanos) / 1_000_000);
        log.info("source '{}': snapshot of {} done: {} rows in {} ms ({} rows/s)", settings.name(),
            snapshotTable.ref().qualifiedName(), snapshotCount, ms, snapshotCount * 1000 / ms);
        out.add(new CaptureRecord.SnapshotDone(snapshotTable.ref(), new PgPosition(consistentPoint, 0), snapshotCount));
      }
    }
    return out;
  }

  private void openSnapshotCursor(PgTable table) throws SQLException {
    // columns as the catalog sees them inside the snapshot transaction
    PgTable current = catalog.describe(table.ref().schema(), table.ref().table());
    snapshotTable = table;
    snapshotSchema = RowSchema.of(current.columns().stream().map(PgTable.Column::name).toList(), current.keyColumns());
    types = types.ensureKnown(jdbc, current.columns().stream().mapToInt(PgTable.Column::typeOid).toArray());
    snapshotConverters = current.columns().stream()
        .map(c -> types.converterFor(c.typeOid(), c.typeModifier()))
        .toArray(ValueConverter[]::new);
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < current.columns().size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(PgCatalog.quoteIdent(current.columns().get(i).name()));
    }
    sql.append(" FROM ").append(current.quotedName());
    snapshotStatement = jdbc.createStatement();
    snapshotStatement.setFetchSize(settings.snapshotFetchSize());
    snapshotRows = snapshotStatement.executeQuery(sql.toString());
    snapshotCount = 0;
    snapshotStartNanos = System.nanoTime();
    log.info("source '{}': snapshot of {} started", settings.name(), table.ref().qualifiedName());
  }

  // ---------------------------------------------------------------- stream

  private List<CaptureRecord> nextStreamChunk() throws SQLException {
    List<CaptureRecord> out = new ArrayList<>();
    long parkNanos = 50_000;
    long giveBackAt = System.nanoTime() + MAX_IDLE_READ_NANOS;
    while (true) {
      applyAcknowledged();
      ByteBuffer buffer = stream.readPending();
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
          out.add(new CaptureRecord.Checkpoint(null, new PgPosition(mark, PgPosition.COMPLETE)));
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
    closeQuietly(snapshotRows);
    closeQuietly(snapshotStatement);
    closeQuietly(incremental);
    if (stream != null) {
      try {
        applyAcknowledged();
        stream.forceUpdateStatus();
      } catch (SQLException | RuntimeException e) {
        log.debug("source '{}': final status update failed: {}", settings.name(), e.getMessage());
      }
      closeQuietly(stream::close);
    }
    closeQuietly(replicationConnection);
    closeQuietly(jdbc);
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
