package io.syncline.persistence;

/**
 * A position in a PostgreSQL logical replication stream.
 *
 * <p>{@code commitLsn} is the LSN of the transaction's commit record (pgoutput Begin's
 * {@code final_lsn}); {@code index} is the 1-based order of the change inside that transaction.
 * A table's committed position {@code (lsn, i)} means every change of that table up to and
 * including the i-th change of the transaction committed at {@code lsn} has been durably delivered;
 * {@link #COMPLETE} as index means the whole transaction. Snapshot completion is recorded at
 * {@code (consistentPoint, 0)}: every streamed transaction sorts after it.
 */
public record PgPosition(long commitLsn, long index) implements SourcePosition, Comparable<PgPosition> {

  public static final long COMPLETE = Long.MAX_VALUE;
  public static final PgPosition START = new PgPosition(0L, 0L);

  public static PgPosition of(Lsn lsn, long index) {
    return new PgPosition(lsn.value(), index);
  }

  /**
   * The boundary at {@code lsn}: after every transaction committed before it, before every
   * transaction whose commit record is at or after it (a commit's end LSN, a heartbeat message's
   * LSN, the server's sent position while idle, a slot's consistent point).
   */
  public static PgPosition boundary(long lsn) {
    return new PgPosition(lsn, 0L);
  }

  @Override
  @com.fasterxml.jackson.annotation.JsonIgnore // derived: not part of the persisted form
  public boolean isBoundary() {
    return index == 0L;
  }

  public Lsn lsn() {
    return new Lsn(commitLsn);
  }

  @Override
  public int compareTo(PgPosition o) {
    int c = Long.compareUnsigned(commitLsn, o.commitLsn);
    return c != 0 ? c : Long.compare(index, o.index);
  }

  @Override
  public boolean isAfter(SourcePosition other) {
    if (!(other instanceof PgPosition p)) {
      throw new IllegalArgumentException("cannot order a PostgreSQL position against " + other.getClass().getSimpleName());
    }
    return compareTo(p) > 0;
  }

  @Override
  public String display() {
    return (index == 0 ? "before " : "") + lsn() + (index == COMPLETE || index == 0 ? "" : "#" + index);
  }
}
