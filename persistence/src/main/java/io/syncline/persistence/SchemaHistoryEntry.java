package io.syncline.persistence;

/**
 * One entry of a MySQL/MariaDB source's schema history: a DDL statement read from the binlog, or a
 * table definition recorded from {@code SHOW CREATE TABLE}. Replaying a source's entries in order
 * up to a binlog position gives the table definitions that were current there.
 *
 * @param source the source name
 * @param sequence 1, 2, 3, … per source, in the order the entries were recorded
 * @param position where the statement is in the binlog: its transaction's start with index
 *     {@link BinlogPosition#COMPLETE}; a recorded definition has index 0 (it holds before any event
 *     at that offset)
 * @param defaultDatabase the database unqualified table names belong to (the statement's default
 *     database), or null
 * @param ddl the statement text as the server wrote it
 */
public record SchemaHistoryEntry(String source, long sequence, BinlogPosition position, String defaultDatabase, String ddl) {

  public SchemaHistoryEntry {
    if (source == null || source.isEmpty() || position == null || ddl == null) {
      throw new IllegalArgumentException("a schema history entry needs a source, a position and a statement");
    }
    if (sequence <= 0) {
      throw new IllegalArgumentException("schema history sequence numbers start at 1, got " + sequence);
    }
  }

  /** True for a definition recorded from the server rather than a statement read from the binlog. */
  public boolean isRecordedDefinition() {
    return position.index() == 0;
  }
}
