package io.syncline.streams.snapshot.incremental;

import io.syncline.persistence.IncrementalSnapshotState.TableJob;
import io.syncline.streams.event.Row;
import java.util.List;

/**
 * Reads one chunk of a table for an incremental snapshot, on its own connection, the DBLog way:
 * writes the low watermark to the signal table, selects the next {@code chunkSize} rows by key
 * order after the job's last key (within its range), then writes the high watermark. Blocking: the
 * caller runs it on a blocking dispatcher, never on the stream's thread. One per source run;
 * used by one chunk at a time.
 */
public interface ChunkReader extends AutoCloseable {

  /**
   * A chunk read between its watermarks.
   *
   * @param rows the rows in key order, converted like the change stream's
   * @param lastKey text form of the last row's key (the job's unchanged last key when no row)
   * @param last true when the table (or range) has no rows after these
   */
  record Chunk(String chunkId, List<Row> rows, List<String> lastKey, boolean last) {
    public Chunk {
      rows = List.copyOf(rows);
      lastKey = lastKey == null ? null : List.copyOf(lastKey);
    }
  }

  Chunk read(TableJob job, String chunkId, int chunkSize) throws Exception;

  @Override
  void close();
}
