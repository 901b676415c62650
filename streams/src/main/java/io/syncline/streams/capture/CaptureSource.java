package io.syncline.streams.capture;

import io.syncline.streams.event.TableRef;
import java.util.List;
import java.util.Map;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One configured source database, as the source reader drives it: check and prepare it, then read
 * it from what the table entities recorded. One implementation per database kind.
 */
public interface CaptureSource {

  /** The logical source name ({@code source.name} in envelopes). */
  String name();

  /**
   * Checks the server and configuration and resolves the tables to capture. Blocking: the caller
   * runs it on a blocking dispatcher. Throws an exception whose message names the fix.
   */
  List<TableRef> prepare();

  /** The reader: snapshot when due, then the change log, as chunks of records in log order. */
  Source<List<CaptureRecord>, CaptureControl> open(Map<TableRef, TableStart> recorded);

  /**
   * The reader, continuing the incremental snapshots recorded in {@code incremental}
   * (docs/incremental-snapshots.md). Sources without incremental snapshots ignore it.
   */
  default Source<List<CaptureRecord>, CaptureControl> open(Map<TableRef, TableStart> recorded,
      io.syncline.persistence.IncrementalSnapshotState incremental) {
    return open(recorded);
  }

  /** Most records per transport batch. */
  int maxBatchSize();

  /**
   * Compares what the tables recorded with the server before {@link #open}: whether the recorded
   * positions are still positions of this server's log. Blocking (the caller runs it on a blocking
   * dispatcher), after {@link #prepare()}. A source with nothing to check says {@code Valid(null)}.
   */
  default PositionCheck checkPositions(Map<TableRef, TableStart> recorded) {
    return new PositionCheck.Valid(null);
  }

  /** What to do when {@link #checkPositions} finds the recorded positions invalid ({@code on-position-lost}). */
  default PositionCheck.OnPositionLost onPositionLost() {
    return PositionCheck.OnPositionLost.FAIL;
  }
}
