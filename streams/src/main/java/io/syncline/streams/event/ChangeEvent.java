package io.syncline.streams.event;

import io.syncline.persistence.SourcePosition;
import java.util.List;

/**
 * One change of one row (or one truncate), in the same shape from every source.
 *
 * @param table which table it belongs to
 * @param op what happened
 * @param position the source position of this change; positions of one source are totally ordered
 * @param txId the source's transaction id ({@code null} for snapshot reads)
 * @param txOrder 1-based order of this change inside its transaction (0 for snapshot reads)
 * @param commitMicros source commit time in microseconds since the epoch (snapshot: the snapshot's start)
 * @param snapshot true when read by a snapshot rather than from the log
 * @param before the row before the change: updates and deletes, when the source sends it (else null)
 * @param after the row after the change: inserts, updates and snapshot reads (else null)
 * @param unchangedToast columns of {@code after} whose value the source did not send (empty when none)
 * @param updateDescription MongoDB updates: what the update changed ({@code updatedFields},
 *     {@code removedFields}, {@code truncatedArrays}) as a JSON object; null for other sources and ops
 */
public record ChangeEvent(
    TableRef table,
    Op op,
    SourcePosition position,
    String txId,
    long txOrder,
    long commitMicros,
    boolean snapshot,
    Row before,
    Row after,
    List<String> unchangedToast,
    JsonText updateDescription) {

  /** A change without an update description (every relational source). */
  public ChangeEvent(TableRef table, Op op, SourcePosition position, String txId, long txOrder, long commitMicros,
      boolean snapshot, Row before, Row after, List<String> unchangedToast) {
    this(table, op, position, txId, txOrder, commitMicros, snapshot, before, after, unchangedToast, null);
  }

  public ChangeEvent {
    unchangedToast = unchangedToast == null ? List.of() : List.copyOf(unchangedToast);
    switch (op) {
      case CREATE, READ -> require(after != null, "needs an after image");
      // a MongoDB update without the full document: what changed is in updateDescription, the key in before
      case UPDATE -> require(after != null || (updateDescription != null && before != null),
          "needs an after image (or an update description and the key in before)");
      case DELETE -> require(before != null, "needs a before image (at least the key)");
      case TRUNCATE -> require(before == null && after == null, "has no row images");
    }
  }

  private void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException(op + " event of " + table + " " + what);
    }
  }

  /** The row image that carries the key: {@code after}, or {@code before} for deletes; null for truncates. */
  public Row keyRow() {
    return after != null ? after : before;
  }
}
