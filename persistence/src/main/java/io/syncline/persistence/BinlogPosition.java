package io.syncline.persistence;

/**
 * A position in a MySQL/MariaDB binary log.
 *
 * <p>{@code file} and {@code offset} locate the start of the transaction (its GTID or BEGIN event),
 * {@code index} is the 1-based order of the row change inside it ({@link #COMPLETE}: the whole
 * transaction), like {@link PgPosition}. {@code gtid} is the GTID of that transaction when the
 * server uses GTIDs (MariaDB {@code domain-server-sequence}, MySQL {@code uuid:n}), else null: it is
 * kept to resume on another server of the same topology, while order on one server is by file and
 * offset. Binlog file names share a base and differ by a numeric suffix that grows by one per file.
 *
 * <p>{@code resumeGtids} is the server's GTID state just before that transaction (MariaDB: the last
 * GTID of each domain, {@code 0-1-41,1-2-7}; MySQL: the executed set, {@code uuid:1-41}): handed to
 * the server, it sends this transaction next. Null when the server has no GTIDs or the state is not
 * known (positions written before it was recorded).
 */
public record BinlogPosition(String file, long offset, long index, String gtid, String resumeGtids)
    implements SourcePosition, Comparable<BinlogPosition> {

  public static final long COMPLETE = Long.MAX_VALUE;

  /** A position without a known GTID state. */
  public BinlogPosition(String file, long offset, long index, String gtid) {
    this(file, offset, index, gtid, null);
  }

  public BinlogPosition {
    if (file == null || file.isBlank()) {
      throw new IllegalArgumentException("binlog position needs a file name");
    }
    if (offset < 0 || index < 0) {
      throw new IllegalArgumentException("binlog offset and index must not be negative: " + offset + "/" + index);
    }
  }

  /**
   * The boundary at {@code offset} of {@code file}: after every transaction that starts before it,
   * before the transaction that starts there (the offset after an XID or a DDL statement, a
   * heartbeat's or ROTATE's position, SHOW MASTER STATUS). {@code resumeGtids}: the server's GTID
   * state there (null when not known): handed to the server, it sends the next transaction.
   */
  public static BinlogPosition boundary(String file, long offset, String resumeGtids) {
    return new BinlogPosition(file, offset, 0L, null, resumeGtids);
  }

  @Override
  @com.fasterxml.jackson.annotation.JsonIgnore // derived: not part of the persisted form
  public boolean isBoundary() {
    return index == 0L;
  }

  /** The numeric suffix of the file name ({@code mariadb-bin.000042} → 42). */
  public long fileNumber() {
    int dot = file.lastIndexOf('.');
    try {
      return Long.parseLong(file.substring(dot + 1));
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("binlog file name '" + file + "' has no numeric suffix", e);
    }
  }

  @Override
  public int compareTo(BinlogPosition o) {
    // positions compared in the hot path share their file: no need to parse its number then
    int c = file.equals(o.file) ? 0 : Long.compare(fileNumber(), o.fileNumber());
    if (c != 0) {
      return c;
    }
    c = Long.compare(offset, o.offset);
    return c != 0 ? c : Long.compare(index, o.index);
  }

  @Override
  public boolean isAfter(SourcePosition other) {
    if (!(other instanceof BinlogPosition b)) {
      throw new IllegalArgumentException("cannot order a binlog position against " + other.getClass().getSimpleName());
    }
    return compareTo(b) > 0;
  }

  @Override
  public String display() {
    return (index == 0 ? "before " : "") + file + ":" + offset + (index == COMPLETE || index == 0 ? "" : "#" + index)
        + (gtid == null ? "" : " (" + gtid + ")");
  }
}
