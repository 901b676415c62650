package io.syncline.persistence;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a MySQL/MariaDB source keeps its schema history. Blocking: call it only from the source's
 * own reading thread or a blocking dispatcher, never inside an actor.
 */
public interface SchemaHistoryStore {

  /** Every entry of {@code source}, in sequence order. */
  List<SchemaHistoryEntry> load(String source);

  /** Adds one entry durably; its sequence must be the next of its source. */
  void append(SchemaHistoryEntry entry);

  /**
   * A store in memory: the history lives as long as the source object. For tests and for sources
   * that read the column names from the binlog ({@code binlog_row_metadata=FULL}).
   */
  static SchemaHistoryStore inMemory() {
    List<SchemaHistoryEntry> entries = new ArrayList<>();
    return new SchemaHistoryStore() {
      @Override
      public synchronized List<SchemaHistoryEntry> load(String source) {
        return entries.stream().filter(e -> e.source().equals(source)).toList();
      }

      @Override
      public synchronized void append(SchemaHistoryEntry entry) {
        entries.add(entry);
      }
    };
  }
}
