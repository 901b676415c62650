package io.syncline.streams.event;

/**
 * Identifies one captured table: which connector kind and logical source it came from, and its
 * database, schema and name. Shared by every event of that table (one instance per table).
 *
 * @param connector connector kind as Debezium names it ({@code postgresql}, {@code mysql}, {@code mongodb})
 * @param source the logical source name from configuration (Debezium's {@code topic.prefix} / {@code name})
 */
public record TableRef(String connector, String source, String database, String schema, String table) {

  /** {@code schema.table}, the form used in include lists and logs. */
  public String qualifiedName() {
    return schema + "." + table;
  }

  /** Entity id of the table entity that owns this table's position: {@code source/schema.table}. */
  public String entityId() {
    return source + "/" + schema + "." + table;
  }

  @Override
  public String toString() {
    return source + ":" + qualifiedName();
  }
}
