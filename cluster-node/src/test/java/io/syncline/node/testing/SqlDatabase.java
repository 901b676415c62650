package io.syncline.node.testing;

import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * PostgreSQL or MariaDB as a node-level test uses them: a database of the test's own, tables
 * {@code (id BIGINT PRIMARY KEY, v INT NOT NULL)} (what {@link Load} writes), the node's source
 * entry, and the rows to compare a replay with. The same test then runs on both.
 */
public sealed interface SqlDatabase permits SqlDatabase.Postgres, SqlDatabase.MariaDb {

  static SqlDatabase postgres(PgServer server) {
    return new Postgres(server);
  }

  static SqlDatabase mariadb(MariaDbServer server) {
    return new MariaDb(server);
  }

  /** {@code postgres} or {@code mariadb}: the source's {@code kind}. */
  String kind();

  /** Creates {@code database} if needed and the tables, dropped first if they exist. */
  void createTables(String database, String... tables);

  Connection connect(String database) throws SQLException;

  /** Runs statements in one transaction. */
  default void transaction(String database, String... sql) throws SQLException {
    try (Connection c = connect(database); var s = c.createStatement()) {
      c.setAutoCommit(false);
      for (String q : sql) {
        s.executeUpdate(q);
      }
      c.commit();
    }
  }

  /** The table as output files and entity ids name it: {@code public.t} or {@code <database>.t}. */
  String schemaTable(String database, String table);

  /**
   * The node's {@code syncline.sources} entry capturing {@code tables} of {@code database}, with
   * {@code extra} keys (e.g. {@code "heartbeat-interval = 1s"}).
   */
  String sourceEntry(String name, String database, List<String> tables, String extra);

  /** The table's rows in the form of {@link Delivered#replay}. */
  default Map<String, Map<String, String>> rows(String database, String table) throws SQLException {
    return Delivered.rows(connect(database), "SELECT id, v FROM " + table, "id");
  }

  /** The entity id of a captured table: {@code <source>/<schema>.<table>}. */
  default String entityId(String source, String database, String table) {
    return source + "/" + schemaTable(database, table);
  }

  record Postgres(PgServer server) implements SqlDatabase {
    @Override
    public String kind() {
      return "postgres";
    }

    @Override
    public void createTables(String database, String... tables) {
      server.createDatabase(database);
      for (String t : tables) {
        server.execute(database, "DROP TABLE IF EXISTS " + t, "CREATE TABLE " + t + " (id bigint PRIMARY KEY, v int NOT NULL)");
      }
    }

    @Override
    public Connection connect(String database) throws SQLException {
      return server.connect(database);
    }

    @Override
    public String schemaTable(String database, String table) {
      return "public." + table;
    }

    @Override
    public String sourceEntry(String name, String database, List<String> tables, String extra) {
      return "{ kind = postgres, name = " + name + ", host = localhost, port = " + server.port() + ", database = "
          + database + ", user = postgres, include-tables = [" + quoted(tables.stream().map(t -> "public." + t).toList())
          + "], " + extra + " }";
    }

    @Override
    public String toString() {
      return "PostgreSQL";
    }
  }

  record MariaDb(MariaDbServer server) implements SqlDatabase {
    @Override
    public String kind() {
      return "mariadb";
    }

    @Override
    public void createTables(String database, String... tables) {
      server.createDatabase(database);
      for (String t : tables) {
        server.execute(database, "DROP TABLE IF EXISTS " + t, "CREATE TABLE " + t + " (id BIGINT PRIMARY KEY, v INT NOT NULL)");
      }
    }

    @Override
    public Connection connect(String database) throws SQLException {
      return server.connect(database);
    }

    @Override
    public String schemaTable(String database, String table) {
      return database + "." + table;
    }

    @Override
    public String sourceEntry(String name, String database, List<String> tables, String extra) {
      return "{ kind = mariadb, name = " + name + ", host = localhost, port = " + server.port() + ", user = root,"
          + " include-tables = [" + quoted(tables.stream().map(t -> database + "." + t).toList()) + "], " + extra + " }";
    }

    @Override
    public String toString() {
      return "MariaDB";
    }
  }

  private static String quoted(List<String> names) {
    return names.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", "));
  }
}
