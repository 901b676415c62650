package io.syncline.streams.lake;

import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.MongoPosition;
import io.syncline.persistence.PgPosition;
import io.syncline.persistence.SourcePosition;

/**
 * The sortable form of a source position: an ASCII string whose byte order is the positions' order
 * (for positions of one kind), so that a Delta reader can sort and filter bronze by position and the
 * writer can store a table's progress as text. Fixed-width hex of each part, most significant first:
 * PostgreSQL {@code pg:<commit LSN>:<index>} (the LSN unsigned), MySQL/MariaDB
 * {@code binlog:<file number>:<offset>:<index>}, MongoDB {@code mongo:<seconds>:<increment>:<index>}.
 */
public final class Positions {

  private Positions() {}

  public static String sortable(SourcePosition position) {
    if (position instanceof PgPosition p) {
      return "pg:" + hex(p.commitLsn()) + ":" + hex(p.index());
    } else if (position instanceof BinlogPosition b) {
      return "binlog:" + hex(b.fileNumber()) + ":" + hex(b.offset()) + ":" + hex(b.index());
    } else if (position instanceof MongoPosition m) {
      return "mongo:" + hex(m.seconds()) + ":" + hex(m.increment()) + ":" + hex(m.index());
    }
    throw new IllegalArgumentException("no sortable form for " + position);
  }

  private static String hex(long v) {
    String h = Long.toHexString(v);
    return "0".repeat(16 - h.length()) + h;
  }
}
