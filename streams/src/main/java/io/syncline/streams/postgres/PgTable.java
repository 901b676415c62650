package io.syncline.streams.postgres;

import io.syncline.streams.event.TableRef;
import java.util.List;

/**
 * A captured table as the catalog describes it when capture starts.
 *
 * @param ref the table's identity in events
 * @param columns published columns in table order (no dropped or generated columns)
 * @param keyColumns message-key columns: the primary key, else the replica-identity index; empty
 *     for a keyless {@code REPLICA IDENTITY FULL} table (null message key)
 * @param replicaIdentity {@code d} default, {@code f} full, {@code i} index, {@code n} nothing
 */
public record PgTable(TableRef ref, List<Column> columns, List<String> keyColumns, char replicaIdentity) {

  /** One published column: name, type OID and type modifier, as pgoutput's Relation message gives them. */
  public record Column(String name, int typeOid, int typeModifier) {}

  public PgTable {
    columns = List.copyOf(columns);
    keyColumns = List.copyOf(keyColumns);
  }

  public String quotedName() {
    return PgCatalog.quoteIdent(ref.schema()) + "." + PgCatalog.quoteIdent(ref.table());
  }
}
