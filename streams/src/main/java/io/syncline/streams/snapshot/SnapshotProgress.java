package io.syncline.streams.snapshot;

import io.syncline.streams.event.TableRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far a running initial snapshot of one source got: rows read per table and in total, rows/s
 * and the estimated time left (from the server's row estimate: PostgreSQL {@code reltuples},
 * MariaDB {@code TABLE_ROWS}). The snapshot's workers update it; it logs a line every few seconds,
 * and {@link #current(String)} gives its {@link Status} to whoever displays it (the demo's status
 * line; metrics later). Rows are counted when read, a little ahead of their delivery.
 */
public final class SnapshotProgress {

  private static final Logger log = LoggerFactory.getLogger(SnapshotProgress.class);
  private static final long LOG_EVERY_NANOS = Duration.ofSeconds(5).toNanos();
  private static final Map<String, SnapshotProgress> RUNNING = new ConcurrentHashMap<>();

  /** One table: rows read in this run (and before it, from recorded chunks), the estimate, chunks. */
  public record TableStatus(TableRef table, long rows, long estimate, long chunksDone, long chunks) {}

  /**
   * @param rows rows read so far (all tables, including chunks recorded by earlier runs)
   * @param estimate the server's estimate of all rows
   * @param rowsPerSecond rows read per second by this run
   * @param eta time left at the current rate (null when unknown)
   */
  public record Status(String source, List<TableStatus> tables, long rows, long estimate, long chunksDone, long chunks,
      double rowsPerSecond, Duration eta) {}

  private final String source;
  private final long startNanos = System.nanoTime();
  private final Map<TableRef, Table> tables = new LinkedHashMap<>();
  private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime());
  private final LongAdder readThisRun = new LongAdder();

  private static final class Table {
    final long estimate;
    final long previousRows;
    final LongAdder rows = new LongAdder();
    final LongAdder chunksDone = new LongAdder();
    volatile long chunks;

    Table(long estimate, long previousRows) {
      this.estimate = estimate;
      this.previousRows = previousRows;
    }
  }

  private SnapshotProgress(String source) {
    this.source = source;
  }

  /** Starts tracking a snapshot of {@code source}; it is {@link #current} until {@link #finish}ed. */
  public static SnapshotProgress start(String source) {
    SnapshotProgress p = new SnapshotProgress(source);
    RUNNING.put(source, p);
    return p;
  }

  /** The status of the snapshot of {@code source} running now, if any. */
  public static Optional<Status> current(String source) {
    SnapshotProgress p = RUNNING.get(source);
    return p == null ? Optional.empty() : Optional.of(p.status());
  }

  /** Declares a table before the workers start (not thread-safe with the workers: call it first). */
  public void table(TableRef table, long estimate, long previousRows, long chunks) {
    Table t = new Table(Math.max(0, estimate), previousRows);
    t.chunks = chunks;
    tables.put(table, t);
  }

  /** Rows read from {@code table} (any worker thread). */
  public void rows(TableRef table, long n) {
    tables.get(table).rows.add(n);
    readThisRun.add(n);
    long last = lastLogNanos.get();
    long now = System.nanoTime();
    if (now - last >= LOG_EVERY_NANOS && lastLogNanos.compareAndSet(last, now)) {
      log(status());
    }
  }

  /** A chunk of {@code table} was read entirely (any worker thread). */
  public void chunkDone(TableRef table) {
    tables.get(table).chunksDone.increment();
  }

  /** Rows of {@code table} read by this run. */
  public long rowsRead(TableRef table) {
    return tables.get(table).rows.sum();
  }

  /** The snapshot ended (or stopped): logs the totals and stops being {@link #current}. */
  public void finish() {
    RUNNING.remove(source, this);
    Status s = status();
    log.info("source '{}': snapshot read {} rows in {} ms ({} rows/s)", source, readThisRun.sum(),
        (System.nanoTime() - startNanos) / 1_000_000L, Math.round(s.rowsPerSecond()));
  }

  /** The status now. */
  public Status status() {
    List<TableStatus> list = new ArrayList<>(tables.size());
    long rows = 0;
    long estimate = 0;
    long chunksDone = 0;
    long chunks = 0;
    for (Map.Entry<TableRef, Table> e : tables.entrySet()) {
      Table t = e.getValue();
      long r = t.previousRows + t.rows.sum();
      long done = t.chunksDone.sum();
      list.add(new TableStatus(e.getKey(), r, t.estimate, done, t.chunks));
      rows += r;
      estimate += Math.max(t.estimate, r);
      chunksDone += done;
      chunks += t.chunks;
    }
    double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
    double rate = readThisRun.sum() / seconds;
    Duration eta = rate <= 0 ? null : Duration.ofSeconds(Math.round(Math.max(0, estimate - rows) / rate));
    return new Status(source, List.copyOf(list), rows, estimate, chunksDone, chunks, rate, eta);
  }

  /** One line: totals, then each table still being read. */
  public static String describe(Status s) {
    StringBuilder b = new StringBuilder();
    b.append(s.rows()).append('/').append(s.estimate()).append(" rows (")
        .append(s.estimate() == 0 ? 100 : Math.min(100, s.rows() * 100 / s.estimate())).append("%), ")
        .append(Math.round(s.rowsPerSecond())).append(" rows/s, chunks ").append(s.chunksDone()).append('/')
        .append(s.chunks()).append(", ETA ").append(s.eta() == null ? "?" : s.eta().toSeconds() + " s");
    return b.toString();
  }

  private void log(Status s) {
    StringBuilder b = new StringBuilder(describe(s));
    for (TableStatus t : s.tables()) {
      if (t.chunksDone() < t.chunks()) {
        b.append("; ").append(t.table().qualifiedName()).append(' ').append(t.rows()).append('/')
            .append(t.estimate()).append(" rows, chunks ").append(t.chunksDone()).append('/').append(t.chunks());
      }
    }
    log.info("source '{}': snapshot {}", source, b);
  }
}
