package io.syncline.streams.snapshot.incremental;

import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.IncrementalSnapshotState.TableJob;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.TableRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incremental snapshots of one source run (DBLog's watermark method, as Debezium does it),
 * placed in the change stream right after the source decodes it: {@link #process} takes every
 * chunk of records in log order and returns what to deliver.
 *
 * <ul>
 *   <li>Signal-table changes are never delivered: they are the signals ({@code execute-snapshot},
 *       {@code stop-snapshot}) and the watermarks of the chunks.
 *   <li>While a table is queued, one chunk at a time is read by the {@link ChunkReader} on the
 *       blocking executor (low watermark, SELECT, high watermark), the stream going on meanwhile.
 *   <li>From the chunk's low watermark on, keys of its table changed by streamed events are
 *       remembered ({@link ChunkWindow}); the streamed events are delivered as usual. At the high
 *       watermark the chunk's other rows are appended as reads ({@code op: r}), followed by an
 *       {@link CaptureRecord.IncrementalSnapshotProgress} mark to record once delivered, and the next
 *       chunk is requested.
 * </ul>
 *
 * Not thread-safe: called by the source's reading thread only. Memory: one chunk of rows and the
 * keys changed during its window.
 */
public final class IncrementalSnapshotter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(IncrementalSnapshotter.class);

  /** The chunk being read; {@code dropped}: its table was stopped, its rows are not emitted. */
  private record Pending(String chunkId, TableRef table, CompletableFuture<ChunkReader.Chunk> chunk, boolean dropped) {}

  private final String source;
  private final String signalTable;
  private final Map<String, TableRef> captured;
  private final ChunkReader reader;
  private final Executor executor;
  private final int chunkSize;
  private IncrementalSnapshotState state;
  private Pending pending;
  private ChunkWindow window;
  private long tableStartNanos;
  private long rowsThisRun;

  /**
   * @param signalTable qualified name ({@code schema.table}) of the signal table
   * @param captured the source's captured tables by qualified name
   * @param resume what was recorded before this run
   */
  public IncrementalSnapshotter(String source, String signalTable, Map<String, TableRef> captured, ChunkReader reader,
      Executor executor, int chunkSize, IncrementalSnapshotState resume) {
    this.source = source;
    this.signalTable = signalTable;
    this.captured = Map.copyOf(captured);
    this.reader = reader;
    this.executor = executor;
    this.chunkSize = chunkSize;
    this.state = resume == null ? IncrementalSnapshotState.EMPTY : resume;
    if (!state.isEmpty()) {
      TableJob j = state.current();
      log.info("source '{}': continuing the incremental snapshot of {} after {} rows ({} tables queued)", source,
          j.table(), j.rows(), state.queue().size());
    }
  }

  /** True for a change of the signal table (never delivered). */
  public boolean isSignal(TableRef table) {
    return table.qualifiedName().equals(signalTable);
  }

  public IncrementalSnapshotState state() {
    return state;
  }

  /** True while a chunk is being read: its watermarks are due in the stream soon. */
  public boolean awaitingWatermarks() {
    return pending != null;
  }

  /** What to deliver for {@code in} (records in log order); starts the next chunk when one is due. */
  public List<CaptureRecord> process(List<CaptureRecord> in) {
    List<CaptureRecord> out = null;
    for (int i = 0; i < in.size(); i++) {
      CaptureRecord r = in.get(i);
      if (r instanceof CaptureRecord.Change c && isSignal(c.event().table())) {
        if (out == null) {
          out = new ArrayList<>(in.subList(0, i));
        }
        onSignal(c.event(), out);
        continue;
      }
      if (window != null && r instanceof CaptureRecord.Change c && c.event().table().equals(pending.table())
          && !pending.dropped()) {
        window.changed(c.event());
      }
      if (out != null) {
        out.add(r);
      }
    }
    if (out == null) {
      out = in;
    }
    failIfChunkFailed();
    if (pending == null && !state.isEmpty()) {
      if (out == in) {
        out = new ArrayList<>(in);
      }
      startChunk(out);
    }
    return out;
  }

  private void onSignal(ChangeEvent e, List<CaptureRecord> out) {
    Signal s = Signal.of(e);
    if (s == null) {
      return; // a delete or truncate of the signal table: nothing to do
    }
    if (s instanceof Signal.WindowOpen w) {
      if (pending != null && pending.chunkId().equals(w.chunkId())) {
        window = new ChunkWindow();
      }
    } else if (s instanceof Signal.WindowClose w) {
      if (pending != null && pending.chunkId().equals(w.chunkId())) {
        if (pending.dropped()) {
          pending = null;
          window = null;
        } else {
          closeWindow(e, out);
        }
      }
    } else if (s instanceof Signal.ExecuteSnapshot x) {
      onExecute(x, out);
    } else if (s instanceof Signal.StopSnapshot x) {
      onStop(x, out);
    } else if (s instanceof Signal.Unknown u) {
      log.warn("source '{}': signal '{}' of type '{}' ignored: {}", source, u.id(), u.type(), u.why());
    }
  }

  private void onExecute(Signal.ExecuteSnapshot x, List<CaptureRecord> out) {
    if (state.knows(x.id())) {
      log.debug("source '{}': signal '{}' already executed or queued (read again after a restart)", source, x.id());
      return;
    }
    List<TableJob> jobs = new ArrayList<>();
    for (String t : x.tables()) {
      if (!captured.containsKey(t)) {
        log.warn("source '{}': signal '{}' asks for an incremental snapshot of {}, which this source does not capture:"
            + " ignored", source, x.id(), t);
        continue;
      }
      jobs.add(new TableJob(x.id(), t, x.from() == null ? null : List.of(x.from()),
          x.to() == null ? null : List.of(x.to()), null, 0));
    }
    if (jobs.isEmpty()) {
      return;
    }
    log.info("source '{}': incremental snapshot requested by signal '{}': {}{}", source, x.id(),
        jobs.stream().map(TableJob::table).toList(), x.from() != null || x.to() != null ? " (a key range)" : "");
    state = state.enqueue(jobs);
    out.add(new CaptureRecord.IncrementalSnapshotProgress(state));
  }

  private void onStop(Signal.StopSnapshot x, List<CaptureRecord> out) {
    TableJob current = state.current();
    IncrementalSnapshotState after = state.stopped(x.tables());
    if (after.queue().size() == state.queue().size()) {
      return;
    }
    if (current != null && (after.isEmpty() || after.current() != current) && pending != null) {
      // the chunk being read is dropped: its rows are not emitted; the next chunk waits for its high
      // watermark, so that the reader's connection serves one chunk at a time
      pending = new Pending(pending.chunkId(), pending.table(), pending.chunk(), true);
    }
    log.info("source '{}': incremental snapshot stopped by signal '{}' ({} tables left)", source, x.id(),
        after.queue().size());
    state = after;
    out.add(new CaptureRecord.IncrementalSnapshotProgress(state));
  }

  private void closeWindow(ChangeEvent highWatermark, List<CaptureRecord> out) {
    if (window == null) {
      throw new IllegalStateException("source '" + source + "': high watermark of chunk " + pending.chunkId()
          + " before its low watermark");
    }
    ChunkReader.Chunk chunk;
    try {
      chunk = pending.chunk().join(); // written after the SELECT returned: done or about to be
    } catch (CompletionException e) {
      throw new IllegalStateException("source '" + source + "': incremental snapshot chunk of "
          + pending.table().qualifiedName() + " failed: " + e.getCause().getMessage(), e.getCause());
    }
    List<Row> rows = window.close(chunk.rows());
    long micros = nowMicros();
    for (Row row : rows) {
      out.add(new CaptureRecord.Change(new ChangeEvent(pending.table(), Op.READ, highWatermark.position(), null, 0,
          micros, true, null, row, List.of())));
    }
    TableJob job = state.current().advanced(chunk.lastKey(), rows.size());
    rowsThisRun += rows.size();
    log.debug("source '{}': chunk of {}: {} rows read, {} emitted ({} keys changed in its window)", source,
        job.table(), chunk.rows().size(), rows.size(), window.changedKeys());
    if (chunk.last()) {
      long ms = Math.max(1, (System.nanoTime() - tableStartNanos) / 1_000_000);
      log.info("source '{}': incremental snapshot of {} done: {} rows ({} read by this run in {} ms, {} rows/s)",
          source, job.table(), job.rows(), rowsThisRun, ms, rowsThisRun * 1000 / ms);
      state = state.withCurrent(job).currentDone();
    } else {
      state = state.withCurrent(job);
    }
    out.add(new CaptureRecord.IncrementalSnapshotProgress(state));
    pending = null;
    window = null;
  }

  private void startChunk(List<CaptureRecord> out) {
    while (!state.isEmpty() && !captured.containsKey(state.current().table())) {
      log.warn("source '{}': table {} queued for an incremental snapshot is no longer captured: skipped", source,
          state.current().table());
      state = state.currentDone();
      out.add(new CaptureRecord.IncrementalSnapshotProgress(state));
    }
    if (state.isEmpty()) {
      return;
    }
    TableJob job = state.current();
    if (job.lastKey() == null && job.rows() == 0) {
      tableStartNanos = System.nanoTime();
      rowsThisRun = 0;
      log.info("source '{}': incremental snapshot of {} started (chunks of {} rows)", source, job.table(), chunkSize);
    } else if (tableStartNanos == 0) {
      tableStartNanos = System.nanoTime();
      rowsThisRun = 0;
    }
    String chunkId = UUID.randomUUID().toString();
    TableRef table = captured.get(job.table());
    CompletableFuture<ChunkReader.Chunk> f = new CompletableFuture<>();
    executor.execute(() -> {
      try {
        f.complete(reader.read(job, chunkId, chunkSize));
      } catch (Throwable t) {
        f.completeExceptionally(t);
      }
    });
    pending = new Pending(chunkId, table, f, false);
  }

  private void failIfChunkFailed() {
    if (pending != null && pending.chunk().isCompletedExceptionally()) {
      if (pending.dropped()) {
        pending = null; // a stopped table's chunk failed: no watermark will come
        window = null;
        return;
      }
      try {
        pending.chunk().join();
      } catch (CompletionException e) {
        throw new IllegalStateException("source '" + source + "': incremental snapshot chunk of "
            + pending.table().qualifiedName() + " failed: " + e.getCause().getMessage(), e.getCause());
      }
    }
  }

  private static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }

  @Override
  public void close() {
    reader.close(); // a chunk still being read fails with its connection; nobody waits for it
  }
}
