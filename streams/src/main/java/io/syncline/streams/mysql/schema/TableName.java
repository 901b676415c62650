package io.syncline.streams.mysql.schema;

/** A table's database and name, exactly as the server spells them (table names are case-sensitive on Linux). */
public record TableName(String database, String table) {

  public TableName {
    if (database == null || database.isEmpty() || table == null || table.isEmpty()) {
      throw new IllegalArgumentException("a table name needs a database and a table: " + database + "." + table);
    }
  }

  /** {@code database.table}, as include patterns match it. */
  public String qualified() {
    return database + "." + table;
  }

  @Override
  public String toString() {
    return qualified();
  }
}
