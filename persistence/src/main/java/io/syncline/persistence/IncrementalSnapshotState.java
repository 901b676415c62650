package io.syncline.persistence;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.ArrayList;
import java.util.List;

/**
 * The incremental snapshots of one source still to do, in order: the head of {@code queue} is the
 * table being read, with the key of the last row delivered. Recorded in the journal once the rows
 * up to {@code lastKey} were delivered, so a restart continues after that key.
 *
 * <p>Persisted (inside {@code IncrementalSnapshotEntity.ProgressRecorded}): fields are never removed
 * or renamed, only added. Key values are kept in the text form the database prints them in.
 *
 * @param queue tables still to read, the one being read first
 * @param finishedSignals ids of the last signals whose tables were all read or stopped (at most
 *     {@link #FINISHED_KEPT}): a signal read again after a restart is not executed twice
 */
public record IncrementalSnapshotState(List<TableJob> queue, List<String> finishedSignals) implements CborSerializable {

  /** How many finished signal ids are remembered. */
  public static final int FINISHED_KEPT = 32;

  public static final IncrementalSnapshotState EMPTY = new IncrementalSnapshotState(List.of(), List.of());

  public IncrementalSnapshotState {
    queue = queue == null ? List.of() : List.copyOf(queue);
    finishedSignals = finishedSignals == null ? List.of() : List.copyOf(finishedSignals);
  }

  /**
   * One table to read.
   *
   * @param signalId the {@code execute-snapshot} signal that asked for it
   * @param table {@code schema.table} ({@code database.table} in MySQL/MariaDB)
   * @param from lowest key to read (inclusive), null: from the first row
   * @param to highest key to read (inclusive), null: to the last row
   * @param lastKey key of the last row delivered, null: none yet
   * @param rows rows delivered so far
   */
  public record TableJob(String signalId, String table, List<String> from, List<String> to, List<String> lastKey,
      long rows) implements CborSerializable {

    public TableJob {
      from = from == null ? null : List.copyOf(from);
      to = to == null ? null : List.copyOf(to);
      lastKey = lastKey == null ? null : List.copyOf(lastKey);
    }

    /** This job after a chunk that ended at {@code key} and delivered {@code delivered} rows. */
    public TableJob advanced(List<String> key, long delivered) {
      return new TableJob(signalId, table, from, to, key, rows + delivered);
    }
  }

  @JsonIgnore // derived, not part of the persisted form
  public boolean isEmpty() {
    return queue.isEmpty();
  }

  /** The table being read, or null. */
  public TableJob current() {
    return queue.isEmpty() ? null : queue.get(0);
  }

  /** True when the signal is queued or already finished. */
  public boolean knows(String signalId) {
    return finishedSignals.contains(signalId) || queue.stream().anyMatch(j -> j.signalId().equals(signalId));
  }

  /** The queue with {@code jobs} appended. */
  public IncrementalSnapshotState enqueue(List<TableJob> jobs) {
    List<TableJob> q = new ArrayList<>(queue);
    q.addAll(jobs);
    return new IncrementalSnapshotState(q, finishedSignals);
  }

  /** The current job replaced by {@code job}. */
  public IncrementalSnapshotState withCurrent(TableJob job) {
    List<TableJob> q = new ArrayList<>(queue);
    q.set(0, job);
    return new IncrementalSnapshotState(q, finishedSignals);
  }

  /** The current job removed (done); its signal remembered as finished once none of its tables is left. */
  public IncrementalSnapshotState currentDone() {
    TableJob done = current();
    List<TableJob> q = new ArrayList<>(queue.subList(1, queue.size()));
    return new IncrementalSnapshotState(q, finishing(q, List.of(done.signalId())));
  }

  /**
   * Jobs removed: those of {@code tables} (all when empty); the removed signals remembered as
   * finished when none of their tables is left.
   */
  public IncrementalSnapshotState stopped(List<String> tables) {
    List<TableJob> q = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    for (TableJob j : queue) {
      if (tables.isEmpty() || tables.contains(j.table())) {
        removed.add(j.signalId());
      } else {
        q.add(j);
      }
    }
    return new IncrementalSnapshotState(q, finishing(q, removed));
  }

  private List<String> finishing(List<TableJob> remaining, List<String> signals) {
    List<String> f = new ArrayList<>(finishedSignals);
    for (String s : signals) {
      if (!f.contains(s) && remaining.stream().noneMatch(j -> j.signalId().equals(s))) {
        f.add(s);
      }
    }
    while (f.size() > FINISHED_KEPT) {
      f.remove(0);
    }
    return f;
  }
}
