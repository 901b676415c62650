package io.syncline.streams.postgres;

import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import java.util.List;
import java.util.Map;

/**
 * What capture of a PostgreSQL source starts from: the tables (checked and published by
 * {@link PgCapture#prepare}) and, per table, what its entity recorded.
 */
public record PgStart(List<PgTable> tables, Map<TableRef, TableStart> recorded) {

  public PgStart {
    tables = List.copyOf(tables);
    recorded = Map.copyOf(recorded);
  }

  public TableStart of(TableRef table) {
    return recorded.getOrDefault(table, TableStart.NEW);
  }
}
