package io.syncline.streams.snapshot.incremental;

import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.IncrementalSnapshotState.TableJob;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.TableRef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *   <li>While a table is queued, its chunks are read one after the other by the {@link ChunkReader}
 *       on the blocking executor (low watermark, SELECT, high watermark), the stream going on
 *       meanwhile; the next chunk is read while the stream catches up with the previous one's
 *       watermarks ({@link #PREFETCH} chunks at most).
 *   <li>From the chunk's low watermark on, keys of its table changed by streamed events are
 *       remembered ({@link ChunkWindow}); the streamed events are delivered as usual. At the high
 *       watermark the chunk's other rows are appended as reads ({@code op: r}), followed by an
 *       {@link CaptureRecord.IncrementalSnapshotProgress} mark to record once delivered, and the next
 *       chunk is requested.
 * </ul>
 *
 * Not thread-safe: called by the source's reading thread only. Memory: {@link #PREFETCH} chunks of
 * rows and the keys changed during one window.
 */
public final class IncrementalSnapshotter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(IncrementalSnapshotter.class);

  /** Chunks read ahead of the stream: while one chunk's watermarks travel the log, the next is read. */
  static final int PREFETCH = 2;

  /**
   * A chunk being read or read, whose watermarks the stream has not passed yet. Its future completes
   * with null when there was no chunk to read (the previous one was the table's last): no watermarks
   * come then. {@code dropped} (shared by the chunks of one table): the table was stopped.
   */
  private record Pending(String chunkId, TableRef table, TableJob job, CompletableFuture<ChunkReader.Chunk> chunk,
      AtomicBoolean dropped) {}

  private final String source;
  private final String signalTable;
  private final String signalSchemaPart;
  private final String signalTablePart;
  private final Map<String, TableRef> captured;
  private final ChunkReader reader;
  private final Executor executor;
  private final int chunkSize;
  private IncrementalSnapshotState state;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>(PREFETCH);
  private ChunkWindow window; // of the first pending chunk, from its low watermark on
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
    int dot = signalTable.indexOf('.');
    this.signalSchemaPart = signalTable.substring(0, Math.max(dot, 0));
    this.signalTablePart = signalTable.substring(dot + 1);
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
    // compared by parts: this runs for every streamed change, and qualifiedName() builds a string
    return table.table().equals(signalTablePart) && table.schema().equals(signalSchemaPart);
  }

  public IncrementalSnapshotState state() {
    return state;
  }

  /** True while a chunk is being read: its watermarks are due in the stream soon. */
  public boolean awaitingWatermarks() {
    return !pending.isEmpty();
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
      if (window != null && r instanceof CaptureRecord.Change c && c.event().table().equals(pending.peekFirst().table())) {
        window.changed(c.event());
      }
      if (out != null) {
        out.add(r);
      }
    }
    if (out == null) {
      out = in;
    }
    settle();
    if (pending.isEmpty() && !state.isEmpty()) {
      if (out == in) {
        out = new ArrayList<>(in);
      }
      startChunk(out);
    }
    prefetch();
    return out;
  }

  private void onSignal(ChangeEvent e, List<CaptureRecord> out) {
    Signal s = Signal.of(e);
    if (s == null) {
      return; // a delete or truncate of the signal table: nothing to do
    }
    Pending head = pending.peekFirst();
    if (s instanceof Signal.WindowOpen w) {
      if (head != null && head.chunkId().equals(w.chunkId()) && !head.dropped().get()) {
        window = new ChunkWindow();
      }
    } else if (s instanceof Signal.WindowClose w) {
      if (head != null && head.chunkId().equals(w.chunkId())) {
        if (head.dropped().get()) {
          pending.removeFirst();
          window = null;
        } else {
          closeWindow(head, e, out);
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
    if (current != null && (after.isEmpty() || after.current() != current) && !pending.isEmpty()) {
      // the chunks being read are dropped: their rows are not emitted, no further chunk of the table is
      // read; the next table waits for their watermarks, so that the reader serves one chunk at a time
      pending.peekFirst().dropped().set(true);
      window = null;
    }
    log.info("source '{}': incremental snapshot stopped by signal '{}' ({} tables left)", source, x.id(),
        after.queue().size());
    state = after;
    out.add(new CaptureRecord.IncrementalSnapshotProgress(state));
  }

  private void closeWindow(Pending head, ChangeEvent highWatermark, List<CaptureRecord> out) {
    if (window == null) {
      throw new IllegalStateException("source '" + source + "': high watermark of chunk " + head.chunkId()
          + " before its low watermark");
    }
    ChunkReader.Chunk chunk;
    try {
      chunk = head.chunk().join(); // written after the SELECT returned: done or about to be
    } catch (CompletionException e) {
      throw new IllegalStateException("source '" + source + "': incremental snapshot chunk of "
          + head.table().qualifiedName() + " failed: " + e.getCause().getMessage(), e.getCause());
    }
    List<Row> rows = window.close(chunk.rows());
    long micros = nowMicros();
    for (Row row : rows) {
      out.add(new CaptureRecord.Change(new ChangeEvent(head.table(), Op.READ, highWatermark.position(), null, 0,
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
    pending.removeFirst();
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
    CompletableFuture<ChunkReader.Chunk> f = CompletableFuture.supplyAsync(() -> read(job, chunkId), executor);
    pending.add(new Pending(chunkId, captured.get(job.table()), job, f, new AtomicBoolean()));
  }

  /** Reads the chunk after the last pending one, as soon as that one is read (one chunk at a time). */
  private void prefetch() {
    Pending last = pending.peekLast();
    if (last == null || pending.size() >= PREFETCH || last.dropped().get()) {
      return;
    }
    String chunkId = UUID.randomUUID().toString();
    TableJob job = last.job();
    CompletableFuture<ChunkReader.Chunk> f = last.chunk().thenApplyAsync(previous -> {
      if (previous == null || previous.last() || last.dropped().get()) {
        return null; // no chunk: no watermarks
      }
      return read(new TableJob(job.signalId(), job.table(), job.from(), job.to(), previous.lastKey(), job.rows()), chunkId);
    }, executor);
    pending.add(new Pending(chunkId, last.table(), job, f, last.dropped()));
  }

  private ChunkReader.Chunk read(TableJob job, String chunkId) {
    try {
      return reader.read(job, chunkId, chunkSize);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  /**
   * Removes the first pending chunks that will see no watermarks (none read; a dropped one failed);
   * fails when a chunk could not be read.
   */
  private void settle() {
    while (!pending.isEmpty() && pending.peekFirst().chunk().isDone()) {
      Pending head = pending.peekFirst();
      if (head.chunk().isCompletedExceptionally()) {
        if (!head.dropped().get()) {
          fail(head);
        }
      } else if (head.chunk().join() != null) {
        break; // read: its watermarks are on their way
      }
      pending.removeFirst();
      window = null;
    }
    for (Pending p : pending) {
      if (p.chunk().isCompletedExceptionally() && !p.dropped().get()) {
        fail(p);
      }
    }
  }

  private void fail(Pending p) {
    try {
      p.chunk().join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
      throw new IllegalStateException("source '" + source + "': incremental snapshot chunk of "
          + p.table().qualifiedName() + " failed: " + cause.getMessage(), cause);
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
