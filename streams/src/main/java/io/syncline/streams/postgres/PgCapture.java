package io.syncline.streams.postgres;

import io.syncline.persistence.PgPosition;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureRecord;
import java.sql.Connection;
import java.sql.SQLException;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.snapshot.KeyRangeFilter;
import io.syncline.streams.snapshot.SnapshotChunk;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import io.syncline.persistence.IncrementalSnapshotState;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Entry points of the PostgreSQL source: {@link #prepare} checks the server and the configuration
 * and sets up the publication; {@link #source} reads the initial snapshot (when needed) and then
 * the logical replication stream, as chunks of {@link CaptureRecord}s.
 */
public final class PgCapture {

  private PgCapture() {}

  /**
   * Checks the server (reachable, password, {@code wal_level}, REPLICATION privilege, slot usable),
   * resolves the include list and makes sure the publication publishes every table. Blocking: run
   * it on a blocking dispatcher.
   *
   * @throws PgSourceException naming what is wrong and the fix
   */
  public static List<PgTable> prepare(PgSourceSettings settings) {
    return prepare(settings, 0);
  }

  /**
   * The same; {@code ownWalsender} is the pid of the walsender this process streamed from last (0:
   * none), terminated when it still holds the slot after its connection was given up.
   */
  public static List<PgTable> prepare(PgSourceSettings settings, int ownWalsender) {
    PgConnector connector = new PgConnector(settings);
    try (Connection c = connector.connect()) {
      PgCatalog catalog = new PgCatalog(settings, c);
      catalog.checkWalLevel();
      List<PgTable> tables = catalog.resolveTables();
      List<PgTable> published = tables;
      if (settings.incrementalSnapshot().enabled()) {
        // the signal table is published (its changes are the signals) but never captured as a table
        PgTable signal = PgSignalTable.check(settings, c);
        tables = tables.stream().filter(t -> !t.ref().equals(signal.ref())).toList();
        published = new java.util.ArrayList<>(tables);
        published.add(signal);
      }
      // the replication privilege is checked by opening (and closing) a replication connection
      try (Connection r = connector.connectForReplication()) {
        r.isValid(1);
      }
      Optional<PgCatalog.SlotInfo> slot = catalog.slotReleased(java.time.Duration.ofSeconds(15), ownWalsender);
      slot.ifPresent(catalog::checkSlotUsable);
      catalog.ensurePublication(published);
      return tables;
    } catch (SQLException e) {
      throw connector.translate(e, false);
    }
  }

  /**
   * The capture source: snapshot (if the slot is new, or no table finished its snapshot), then the
   * stream. Runs on Pekko's blocking I/O dispatcher; materialize it once per {@link PgStart}.
   */
  public static Source<List<CaptureRecord>, CaptureControl> source(PgSourceSettings settings, PgStart start) {
    return source(settings, start, IncrementalSnapshotState.EMPTY);
  }

  /**
   * The same, continuing the incremental snapshots recorded in {@code incremental}; their chunks
   * are read on the materializer's blocking I/O dispatcher.
   */
  public static Source<List<CaptureRecord>, CaptureControl> source(PgSourceSettings settings, PgStart start,
      IncrementalSnapshotState incremental) {
    return source(settings, start, incremental, new AtomicInteger());
  }

  /**
   * The same; {@code walsender} carries the pid of the walsender a run streams from to the next run
   * of this source in this process (see {@link #prepare(PgSourceSettings, int)}). The source
   * completes, rather than fails, when its run should end for a new one to take in new tables.
   */
  public static Source<List<CaptureRecord>, CaptureControl> source(PgSourceSettings settings, PgStart start,
      IncrementalSnapshotState incremental, AtomicInteger walsender) {
    Control control = new Control();
    Map<TableRef, List<SnapshotChunk>> recordedChunks = new HashMap<>();
    start.recorded().forEach((t, s) -> {
      if (!s.snapshotChunks().isEmpty() && !s.snapshotCompleted()) {
        recordedChunks.put(t, s.snapshotChunks());
      }
    });
    return Source.fromGraph(new PgReplicationStage(settings, start, control, incremental, walsender))
        // changes a re-read snapshot chunk holds (a resumed snapshot): chunks recorded by an earlier slot's
        // snapshot have views before this slot's start, so they never match a streamed change
        .via(KeyRangeFilter.flow(recordedChunks))
        .mapMaterializedValue(n -> control);
  }

  static final String BLOCKING_IO_DISPATCHER = "pekko.stream.materializer.blocking-io-dispatcher";

  /** Hands acknowledged positions from the committing stage to the reader thread, which owns the stream. */
  static final class Control implements CaptureControl {
    private final AtomicLong pending = new AtomicLong(0);

    @Override
    public void acknowledge(SourcePosition position) {
      long lsn = ((PgPosition) position).commitLsn();
      pending.accumulateAndGet(lsn, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
    }

    @Override
    public SourcePosition acknowledged() {
      long v = pending.get();
      return v == 0 ? null : new PgPosition(v, PgPosition.COMPLETE);
    }

    long pendingLsn() {
      return pending.get();
    }
  }
}
