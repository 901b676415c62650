package io.syncline.streams.capture;

import io.syncline.streams.event.Op;

/** How many changes of each operation. Immutable. */
public record OpCounts(long inserts, long updates, long deletes, long reads, long truncates) {

  public static final OpCounts ZERO = new OpCounts(0, 0, 0, 0, 0);

  public static OpCounts of(Op op) {
    return switch (op) {
      case CREATE -> new OpCounts(1, 0, 0, 0, 0);
      case UPDATE -> new OpCounts(0, 1, 0, 0, 0);
      case DELETE -> new OpCounts(0, 0, 1, 0, 0);
      case READ -> new OpCounts(0, 0, 0, 1, 0);
      case TRUNCATE -> new OpCounts(0, 0, 0, 0, 1);
    };
  }

  public OpCounts plus(OpCounts o) {
    return new OpCounts(inserts + o.inserts, updates + o.updates, deletes + o.deletes, reads + o.reads,
        truncates + o.truncates);
  }

  public long total() {
    return inserts + updates + deletes + reads + truncates;
  }
}
