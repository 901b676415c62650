package io.syncline.streams.snapshot;

import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.TableRef;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the chunks of an initial snapshot over several connections that share one consistent view
 * (PostgreSQL: each imported the exported snapshot; MariaDB: each started a consistent-snapshot
 * transaction at the same binlog position). One worker per connection, each a
 * {@code Source.unfoldResource} on the blocking I/O dispatcher, takes the next chunk from a shared
 * queue when it finished its last (so the work balances itself), streams its rows with a cursor of
 * bounded fetch size, and ends each chunk with {@link CaptureRecord.SnapshotChunkDone}; the workers'
 * outputs are merged ({@code flatMapMerge}). Downstream backpressure stops the workers, so memory
 * holds a few batches per worker whatever the table size. When every worker is done, one
 * {@link CaptureRecord.SnapshotDone} per table follows.
 */
public final class ParallelSnapshot {

  private static final Logger log = LoggerFactory.getLogger(ParallelSnapshot.class);
  private static final String BLOCKING_IO_DISPATCHER = "pekko.stream.materializer.blocking-io-dispatcher";

  /** How one table's rows are read, per key range, on a connection inside the view. */
  public interface ChunkReader {
    TableRef table();

    /** Opens a cursor over the rows of {@code range} (bounded fetch size). */
    Cursor open(Connection connection, KeyRange range) throws SQLException;
  }

  /** Rows of one chunk as snapshot change events (op {@code r}). */
  public interface Cursor {
    /** The next row's event, or null at the end. */
    ChangeEvent next() throws SQLException;

    /** Closes the cursor after its end (a cursor given up is never closed: its connection is aborted). */
    void close() throws SQLException;
  }

  /** One chunk to read. */
  public record Task(ChunkReader reader, KeyRange range) {}

  /**
   * A table of the snapshot and how its {@link CaptureRecord.SnapshotDone} is made.
   *
   * @param previousRows rows of chunks recorded by earlier runs
   * @param donePosition the position the table's snapshot completes at
   */
  public record Table(TableRef table, long previousRows, SourcePosition donePosition) {}

  private ParallelSnapshot() {}

  /**
   * The snapshot's records. Each connection is owned by one worker from now on: committed and
   * closed when it read its last chunk, aborted when the stream stops early or fails.
   */
  public static Source<List<CaptureRecord>, NotUsed> source(String sourceName, List<Connection> connections,
      SourcePosition view, List<Task> tasks, List<Table> tables, int batchSize, SnapshotProgress progress) {
    ConcurrentLinkedQueue<Task> queue = new ConcurrentLinkedQueue<>(tasks);
    log.info("source '{}': snapshot of {} tables in {} chunks over {} connections at {}", sourceName, tables.size(),
        tasks.size(), connections.size(), view.display());
    Source<List<CaptureRecord>, NotUsed> rows = Source.from(connections)
        .flatMapMerge(Math.max(1, connections.size()), c -> Source.<List<CaptureRecord>, Worker>unfoldResource(
                () -> new Worker(sourceName, c, queue, view, batchSize, progress),
                Worker::next,
                Worker::close)
            .async(BLOCKING_IO_DISPATCHER)
            // each element is a batch of rows: a small buffer per boundary keeps memory to a few batches
            .addAttributes(Attributes.inputBuffer(2, 2)));
    return rows.concatLazy(Source.lazySingle(() -> {
      List<CaptureRecord> done = new ArrayList<>(tables.size());
      for (Table t : tables) {
        long n = t.previousRows() + progress.rowsRead(t.table());
        done.add(new CaptureRecord.SnapshotDone(t.table(), t.donePosition(), n));
      }
      progress.finish();
      return done;
    })).watchTermination((mat, terminated) -> {
      terminated.whenComplete((d, e) -> {
        if (e != null) {
          progress.finish();
        }
      });
      return NotUsed.getInstance();
    });
  }

  /** One connection reading chunk after chunk. Used by one stream stage at a time. */
  private static final class Worker {
    private final String sourceName;
    private final Connection connection;
    private final ConcurrentLinkedQueue<Task> queue;
    private final SourcePosition view;
    private final int batchSize;
    private final SnapshotProgress progress;
    private Task task;
    private Cursor cursor;
    private long chunkRows;
    private boolean finished;

    Worker(String sourceName, Connection connection, ConcurrentLinkedQueue<Task> queue, SourcePosition view,
        int batchSize, SnapshotProgress progress) {
      this.sourceName = sourceName;
      this.connection = connection;
      this.queue = queue;
      this.view = view;
      this.batchSize = batchSize;
      this.progress = progress;
    }

    Optional<List<CaptureRecord>> next() throws SQLException {
      List<CaptureRecord> out = new ArrayList<>(Math.min(batchSize, 4096));
      long counted = 0;
      while (out.size() < batchSize) {
        if (cursor == null) {
          task = queue.poll();
          if (task == null) {
            finished = true;
            break;
          }
          cursor = task.reader().open(connection, task.range());
          chunkRows = 0;
        }
        ChangeEvent e = cursor.next();
        if (e == null) {
          cursor.close();
          cursor = null;
          TableRef t = task.reader().table();
          progress.rows(t, counted);
          counted = 0;
          progress.chunkDone(t);
          out.add(new CaptureRecord.SnapshotChunkDone(t, task.range(), view, chunkRows));
          log.debug("source '{}': chunk {} of {} read: {} rows", sourceName, task.range(), t.qualifiedName(), chunkRows);
          continue;
        }
        out.add(new CaptureRecord.Change(e));
        chunkRows++;
        counted++;
      }
      if (counted > 0) {
        progress.rows(task.reader().table(), counted);
      }
      return out.isEmpty() && finished ? Optional.empty() : Optional.of(out);
    }

    void close() {
      if (finished) {
        try {
          if (connection.getAutoCommit()) {
            try (java.sql.Statement s = connection.createStatement()) {
              s.execute("COMMIT");
            }
          } else {
            connection.commit();
          }
          connection.close();
          return;
        } catch (SQLException e) {
          log.debug("source '{}': ending a snapshot connection failed: {}", sourceName, e.getMessage());
        }
      }
      try {
        connection.abort(Runnable::run); // never drain what is left of a streaming cursor
      } catch (SQLException | RuntimeException e) {
        log.debug("source '{}': aborting a snapshot connection failed: {}", sourceName, e.getMessage());
      }
    }
  }
}
