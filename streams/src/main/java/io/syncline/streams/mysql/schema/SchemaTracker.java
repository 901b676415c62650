package io.syncline.streams.mysql.schema;

import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.SchemaHistoryEntry;
import io.syncline.persistence.SchemaHistoryStore;
import io.syncline.streams.capture.TablePatterns;
import io.syncline.streams.mysql.MySqlCatalog;
import io.syncline.streams.mysql.MySqlSourceException;
import io.syncline.streams.mysql.MySqlSourceException.Reason;
import io.syncline.streams.mysql.MySqlSourceSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The table definitions of one MySQL/MariaDB source at the binlog position being read, kept by
 * following DDL statements and persisted as a schema history ({@link SchemaHistoryStore}).
 *
 * <ul>
 *   <li>{@link #start}: replays the recorded entries before the reading position; an included
 *       table with no definition yet gets one recorded from {@code SHOW CREATE TABLE}, at the
 *       server's current binlog position (index 0: it holds before the events there).
 *   <li>{@link #onStatement}: a DDL statement read from the binlog is applied and recorded, once:
 *       statements read again after a restart are recognised by their position. A statement on a
 *       captured table that {@link DdlParser} cannot read is not guessed at: the table's definition
 *       is read again from the server ({@code SHOW CREATE TABLE}) and recorded as holding from the
 *       end of the statement.
 *   <li>A statement older than a table's recorded definition is not applied to that table (the
 *       definition already contains it).
 * </ul>
 *
 * Blocking (JDBC to the server and to the store): call it only from the source's own reading thread
 * or a blocking dispatcher. Not thread-safe.
 */
public final class SchemaTracker {

  private static final Logger log = LoggerFactory.getLogger(SchemaTracker.class);

  /** What the tracker needs from the server; {@link #jdbc} is the real one. */
  public interface Server {
    /** The output of {@code SHOW CREATE TABLE}, or null when the table does not exist. */
    String showCreateTable(TableName table);

    /** The binlog position a reader starting now would begin at. */
    BinlogPosition currentPosition();

    /** {@code character_set_server}, the database default character sets, and whether it is MariaDB. */
    ServerInfo info();
  }

  /**
   * Server facts read once at start.
   *
   * @param fullRowMetadata {@code binlog_row_metadata = FULL}: the binlog names the columns and ENUM/SET members
   */
  public record ServerInfo(ServerVersion version, String serverCharset, Map<String, String> databaseCharsets,
      boolean fullRowMetadata) {
    public boolean mariaDb() {
      return version.mariaDb();
    }
  }

  private final MySqlSourceSettings settings;
  private final SchemaHistoryStore store;
  private final Server server;
  private final Map<TableName, BinlogPosition> knownFrom = new HashMap<>();
  private final Set<String> recordedStatements = new HashSet<>();
  private final Set<String> recordedDefinitions = new HashSet<>(); // table@file:offset
  private final List<SchemaHistoryEntry> ahead = new ArrayList<>();
  private Schemas schemas;
  private ServerVersion serverVersion = ServerVersion.MARIADB_11_4;
  private boolean fullRowMetadata;
  private long lastSequence;

  public SchemaTracker(MySqlSourceSettings settings, SchemaHistoryStore store, Server server) {
    this.settings = settings;
    this.store = store;
    this.server = server;
  }

  public boolean started() {
    return schemas != null;
  }

  /** True on MariaDB (JSON is LONGTEXT there). */
  public boolean mariaDb() {
    return serverVersion.mariaDb();
  }

  /** The server's kind and version (which executable comments it runs); known once started. */
  public ServerVersion serverVersion() {
    return serverVersion;
  }

  /**
   * Rebuilds the definitions as they were at {@code from} (where reading starts) from the history,
   * and records the definitions of {@code included} tables the history does not have.
   */
  public void start(BinlogPosition from, Collection<TableName> included) {
    ServerInfo info = server.info();
    serverVersion = info.version();
    fullRowMetadata = info.fullRowMetadata();
    schemas = new Schemas(info.serverCharset());
    info.databaseCharsets().forEach(schemas::setDatabaseCharset);
    List<SchemaHistoryEntry> entries = new ArrayList<>(store.load(settings.name()));
    entries.sort(Comparator.comparing(SchemaHistoryEntry::position).thenComparingLong(SchemaHistoryEntry::sequence));
    BinlogPosition mark = new BinlogPosition(from.file(), from.offset(), 0, null);
    int replayed = 0;
    for (SchemaHistoryEntry e : entries) {
      lastSequence = Math.max(lastSequence, e.sequence());
      if (!e.isRecordedDefinition()) {
        recordedStatements.add(key(e.position()));
      } else {
        TableName defined = definedTable(e);
        if (defined != null) {
          recordedDefinitions.add(defined.qualified() + "@" + key(e.position()));
        }
      }
      if (e.position().compareTo(mark) < 0) {
        replay(e);
        replayed++;
      } else if (e.isRecordedDefinition()) {
        ahead.add(e);
      }
    }
    // a definition recorded ahead of the reading position stands for its table until then, if nothing else does
    for (SchemaHistoryEntry e : List.copyOf(ahead)) {
      TableName table = definedTable(e);
      if (table != null && schemas.get(table) == null) {
        replay(e);
        ahead.remove(e);
      }
    }
    int recorded = 0;
    for (TableName t : included) {
      if (schemas.get(t) == null && recordDefinition(t)) {
        recorded++;
      }
    }
    log.info("source '{}': schema history replayed {} of {} entries up to {}, recorded {} table definition(s)",
        settings.name(), replayed, entries.size(), from.display(), recorded);
  }

  /** Applies definitions recorded ahead of the reading position once reading reaches them. */
  public void advance(BinlogPosition at) {
    if (ahead.isEmpty()) {
      return;
    }
    BinlogPosition mark = new BinlogPosition(at.file(), at.offset(), 0, null);
    for (SchemaHistoryEntry e : List.copyOf(ahead)) {
      if (e.position().compareTo(mark) <= 0) {
        replay(e);
        ahead.remove(e);
      }
    }
  }

  /** The definition of {@code table} now, or null when it is not known. */
  public TableSchema table(TableName table) {
    return schemas.get(table);
  }

  /**
   * The definition of an included table seen for the first time (it entered the include list or
   * was renamed into it): recorded from the server now. Null when the server no longer has it.
   */
  public TableSchema recordIfUnknown(TableName table) {
    TableSchema known = schemas.get(table);
    if (known != null) {
      return known;
    }
    recordDefinition(table);
    return schemas.get(table);
  }

  /**
   * A statement read from the binlog (a QUERY event that is not a transaction's frame, a savepoint,
   * XA or TRUNCATE).
   *
   * @param at its transaction's start with index {@link BinlogPosition#COMPLETE}
   * @param after where the statement's effect holds from (index 0): the end of its event group, or
   *     the start of the group for a statement inside a transaction (the CREATE TABLE of a
   *     {@code CREATE TABLE … SELECT}, whose rows follow in the group)
   * @param defaultDatabase the event's default database (may be empty)
   * @throws MySqlSourceException when it disagrees with the tracked definition, or changes a
   *     captured table in a way neither the statement nor the server's definition of the table says
   */
  public void onStatement(BinlogPosition at, BinlogPosition after, String defaultDatabase, String sql) {
    String db = defaultDatabase == null || defaultDatabase.isEmpty() ? null : defaultDatabase;
    List<SchemaChange> changes = DdlParser.parse(sql, db, serverVersion);
    if (changes.isEmpty()) {
      return;
    }
    boolean relevant = false;
    List<SchemaChange.NotUnderstood> reread = new ArrayList<>(0);
    for (SchemaChange c : changes) {
      if (c instanceof SchemaChange.NotUnderstood n) {
        if (n.table() != null && tracked(n.table())) {
          reread.add(n);
        } else {
          log.debug("source '{}': ignoring a statement at {} on a table not captured: {}", settings.name(),
              at.display(), n.reason());
        }
      } else if (relevant(c)) {
        relevant = true;
      }
    }
    if (relevant) {
      apply(changes, at, true);
      if (recordedStatements.add(key(at))) {
        append(at, db, sql);
      }
    }
    for (SchemaChange.NotUnderstood n : reread) {
      readAgain(n, at, after);
    }
  }

  /**
   * The definition of {@code n.table()} after a statement the parser could not read, from the
   * server, recorded at {@code after}: once (a statement read again after a restart finds it in the
   * history). The server shows the table as it is now: when reading lags and the table was altered
   * again since, the later statements then do not fit it and capture stops naming the fix.
   */
  private void readAgain(SchemaChange.NotUnderstood n, BinlogPosition at, BinlogPosition after) {
    TableName table = n.table();
    BinlogPosition holds = new BinlogPosition(after.file(), after.offset(), 0, null);
    if (recordedDefinitions.contains(table.qualified() + "@" + key(holds))) {
      advance(holds);
      return;
    }
    log.warn("source '{}': cannot read what the DDL statement at {} does to {} ({}); reading its definition from the"
        + " server instead (SHOW CREATE TABLE)", settings.name(), at.display(), table, n.reason());
    String ddl = server.showCreateTable(table);
    if (ddl == null) {
      schemas.remove(table); // gone since: its rows, should any come, find no definition and say so
      knownFrom.remove(table);
      return;
    }
    List<SchemaChange> definition = DdlParser.parse(ddl, table.database(), serverVersion);
    if (definition.size() != 1 || !(definition.get(0) instanceof SchemaChange.CreateTable)) {
      String why = definition.stream().filter(c -> c instanceof SchemaChange.NotUnderstood)
          .map(c -> ((SchemaChange.NotUnderstood) c).reason()).findFirst().orElse("not a table definition");
      throw new MySqlSourceException(Reason.DDL_NOT_UNDERSTOOD, "source '" + settings.name() + "': cannot tell what"
          + " the DDL statement at " + at.display() + " does to the columns of " + table + " (" + n.reason()
          + "), nor read its definition from the server (" + why + "); decoding its rows with a guessed definition"
          + " could put values under the wrong columns, so capture stopped. Fix: exclude the table (exclude-tables),"
          + " or turn on binlog_row_metadata = FULL and, if the statement does not change its columns, stop the"
          + " source, delete its schema history (DELETE FROM schema_history WHERE source_name = '" + settings.name()
          + "') and start it again.");
    }
    replay(append(holds, table.database(), ddl));
    recordedDefinitions.add(table.qualified() + "@" + key(holds));
    warnIfLabelsLost(table);
  }

  private boolean relevant(SchemaChange c) {
    if (c instanceof SchemaChange.CreateTable t) {
      return tracked(t.name());
    }
    if (c instanceof SchemaChange.CreateTableLike t) {
      return tracked(t.name());
    }
    if (c instanceof SchemaChange.AlterTable t) {
      return tracked(t.name()) || t.specs().stream().anyMatch(s -> s instanceof SchemaChange.AlterSpec.RenameTo r && tracked(r.to()));
    }
    if (c instanceof SchemaChange.RenameTable t) {
      return tracked(t.from()) || tracked(t.to());
    }
    if (c instanceof SchemaChange.DropTable t) {
      return tracked(t.name());
    }
    return true; // DROP DATABASE, database character sets: rare, and later CREATE TABLEs depend on them
  }

  private boolean tracked(TableName t) {
    return included(t) || schemas.get(t) != null;
  }

  private boolean included(TableName t) {
    String q = t.qualified();
    return TablePatterns.matchesAny(settings.include(), q) && !TablePatterns.matchesAny(settings.exclude(), q);
  }

  private void replay(SchemaHistoryEntry e) {
    List<SchemaChange> changes = DdlParser.parse(e.ddl(), e.defaultDatabase(), serverVersion);
    if (e.isRecordedDefinition()) {
      for (SchemaChange c : changes) {
        if (c instanceof SchemaChange.CreateTable t) {
          schemas.apply(new SchemaChange.CreateTable(t.name(), false, true, t.columns(), t.primaryKey(), t.jsonChecks(),
              t.charset(), t.collation()));
          knownFrom.put(t.name(), e.position());
        } else {
          throw new IllegalStateException("schema history entry " + e.sequence() + " of source '" + e.source()
              + "' is not a table definition: " + c);
        }
      }
    } else {
      apply(changes, e.position(), false);
    }
  }

  private TableName definedTable(SchemaHistoryEntry e) {
    List<SchemaChange> changes = DdlParser.parse(e.ddl(), e.defaultDatabase(), serverVersion);
    return changes.size() == 1 && changes.get(0) instanceof SchemaChange.CreateTable t ? t.name() : null;
  }

  private void apply(List<SchemaChange> changes, BinlogPosition at, boolean live) {
    for (SchemaChange c : changes) {
      if (c instanceof SchemaChange.NotUnderstood) {
        continue;
      }
      TableName target = target(c);
      BinlogPosition since = target == null ? null : knownFrom.get(target);
      if (since != null && at.compareTo(since) < 0) {
        continue; // the table's recorded definition is newer than this statement
      }
      try {
        schemas.apply(c);
        moveKnownFrom(c);
      } catch (Schemas.UnknownTable u) {
        // a table whose definition was never known (created before capture, renamed in): recorded when first seen
        log.debug("source '{}': statement at {} changes {} whose definition is not known", settings.name(),
            at.display(), u.table());
      } catch (Schemas.InconsistentChange e) {
        if (target != null && !tracked(target)) {
          schemas.remove(target);
          continue;
        }
        throw new MySqlSourceException(Reason.SCHEMA_MISMATCH, "source '" + settings.name() + "': the DDL statement at "
            + at.display() + (live ? "" : " (from the schema history)") + " does not fit the tracked definition of "
            + target + ": " + e.getMessage() + ". Fix: stop the source, delete its schema history (DELETE FROM"
            + " schema_history WHERE source_name = '" + settings.name() + "') and start it again: the current"
            + " definitions are then recorded from the server.", e);
      }
    }
  }

  private static TableName target(SchemaChange c) {
    if (c instanceof SchemaChange.CreateTable t) {
      return t.name();
    }
    if (c instanceof SchemaChange.CreateTableLike t) {
      return t.name();
    }
    if (c instanceof SchemaChange.AlterTable t) {
      return t.name();
    }
    if (c instanceof SchemaChange.RenameTable t) {
      return t.from();
    }
    if (c instanceof SchemaChange.DropTable t) {
      return t.name();
    }
    return null;
  }

  private void moveKnownFrom(SchemaChange c) {
    if (c instanceof SchemaChange.RenameTable r) {
      BinlogPosition since = knownFrom.remove(r.from());
      if (since != null) {
        knownFrom.put(r.to(), since);
      }
    } else if (c instanceof SchemaChange.AlterTable a) {
      for (SchemaChange.AlterSpec s : a.specs()) {
        if (s instanceof SchemaChange.AlterSpec.RenameTo r && knownFrom.containsKey(a.name())) {
          knownFrom.put(r.to(), knownFrom.remove(a.name()));
        }
      }
    } else if (c instanceof SchemaChange.DropTable d) {
      knownFrom.remove(d.name());
    }
  }

  private boolean recordDefinition(TableName table) {
    String ddl = server.showCreateTable(table);
    if (ddl == null) {
      return false;
    }
    BinlogPosition now = server.currentPosition();
    BinlogPosition holds = new BinlogPosition(now.file(), now.offset(), 0, null);
    replay(append(holds, table.database(), ddl));
    recordedDefinitions.add(table.qualified() + "@" + key(holds));
    warnIfLabelsLost(table);
    return true;
  }

  /**
   * The server describes ENUM and SET members in utf8mb3 ({@code SHOW CREATE TABLE},
   * information_schema), so a member with a character outside the BMP reads as {@code ?}. Rows
   * decoded with such a definition (no {@code binlog_row_metadata = FULL}) carry the {@code ?}.
   */
  private void warnIfLabelsLost(TableName table) {
    TableSchema t = schemas.get(table);
    if (t == null || fullRowMetadata) {
      return;
    }
    for (ColumnDefinition c : t.columns()) {
      if (c.labels().stream().anyMatch(l -> l.contains("?")) && c.charset() != null && c.charset().startsWith("utf8mb4")) {
        log.warn("source '{}': the server describes the members of {}.{} in utf8mb3: a member with a character"
            + " outside the BMP (an emoji) reads as '?' there, and so in the rows decoded with this definition."
            + " Fix: SET GLOBAL binlog_row_metadata = 'FULL' (MariaDB 10.5+, MySQL 8.0.1+): the binlog then carries"
            + " the members as they are", settings.name(), table, c.name());
      }
    }
  }

  private SchemaHistoryEntry append(BinlogPosition at, String defaultDatabase, String ddl) {
    SchemaHistoryEntry e = new SchemaHistoryEntry(settings.name(), lastSequence + 1, at, defaultDatabase, ddl);
    store.append(e);
    lastSequence = e.sequence();
    return e;
  }

  private static String key(BinlogPosition p) {
    return p.file() + ":" + p.offset();
  }

  // ---------------------------------------------------------------- JDBC

  /** The real server over JDBC (a short connection per call: calls are rare). */
  public static Server jdbc(MySqlSourceSettings settings) {
    return new Server() {
      @Override
      public String showCreateTable(TableName table) {
        try (Connection c = MySqlCatalog.connect(settings); Statement s = c.createStatement()) {
          try (ResultSet rs = s.executeQuery("SHOW CREATE TABLE " + quote(table.database()) + "." + quote(table.table()))) {
            return rs.next() ? rs.getString(2) : null;
          } catch (SQLException e) {
            if (e.getErrorCode() == 1146) { // ER_NO_SUCH_TABLE
              return null;
            }
            throw e;
          }
        } catch (SQLException e) {
          throw failed("SHOW CREATE TABLE " + table, e);
        }
      }

      @Override
      public BinlogPosition currentPosition() {
        try (Connection c = MySqlCatalog.connect(settings)) {
          return new MySqlCatalog(settings, c).currentPosition();
        } catch (SQLException e) {
          throw failed("SHOW MASTER STATUS", e);
        }
      }

      @Override
      public ServerInfo info() {
        try (Connection c = MySqlCatalog.connect(settings); Statement s = c.createStatement()) {
          ServerVersion version;
          String charset;
          try (ResultSet rs = s.executeQuery("SELECT VERSION(), @@character_set_server")) {
            rs.next();
            version = ServerVersion.of(rs.getString(1));
            charset = rs.getString(2);
          }
          Map<String, String> dbs = new HashMap<>();
          try (PreparedStatement p = c.prepareStatement(
              "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA");
              ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
              dbs.put(rs.getString(1), rs.getString(2));
            }
          }
          boolean full;
          try (ResultSet rs = s.executeQuery("SELECT @@GLOBAL.binlog_row_metadata")) {
            full = rs.next() && "FULL".equalsIgnoreCase(rs.getString(1));
          } catch (SQLException e) {
            full = false; // a server before MariaDB 10.5 / MySQL 8.0.1 has no such setting
          }
          return new ServerInfo(version, charset, dbs, full);
        } catch (SQLException e) {
          throw failed("reading the server version and character sets", e);
        }
      }

      private MySqlSourceException failed(String what, SQLException e) {
        return new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': " + what + " failed: "
            + e.getMessage(), e);
      }
    };
  }

  private static String quote(String identifier) {
    return "`" + identifier.replace("`", "``") + "`";
  }
}
