package io.syncline.streams.mysql.schema;

import io.syncline.streams.mysql.schema.DdlTokenizer.Token;
import io.syncline.streams.mysql.schema.DdlTokenizer.Type;
import io.syncline.streams.mysql.schema.SchemaChange.AlterSpec;
import io.syncline.streams.mysql.schema.SchemaChange.ColumnPosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads what a DDL statement from the binlog (or the output of {@code SHOW CREATE TABLE}) does to
 * table definitions: CREATE TABLE (column list or LIKE), ALTER TABLE (ADD/DROP/MODIFY/CHANGE/RENAME
 * COLUMN, RENAME TO, ADD/DROP PRIMARY KEY, character sets; index, constraint and option changes
 * have no effect on row images and are skipped), RENAME TABLE, DROP TABLE, DROP DATABASE and
 * database character sets. Any other statement (DML, GRANT, CREATE USER, views, routines, indexes)
 * gives no change. A table statement whose effect cannot be read gives
 * {@link SchemaChange.NotUnderstood}, so the caller can refuse to guess.
 *
 * <p>Our own tokenizer-based parser (a hand-written recursive descent over {@link DdlTokenizer}
 * tokens), not a full SQL grammar: it reads exactly the parts that decide the columns and skips the
 * rest with balanced parentheses.
 */
public final class DdlParser {

  /** Words that start an ALTER TABLE specification with no effect on the columns or the key. */
  private static final Set<String> NEUTRAL_ALTER = Set.of("ENGINE", "ROW_FORMAT", "COMMENT", "AUTO_INCREMENT",
      "ALGORITHM", "LOCK", "FORCE", "KEY_BLOCK_SIZE", "STATS_AUTO_RECALC", "STATS_PERSISTENT", "STATS_SAMPLE_PAGES",
      "PACK_KEYS", "CHECKSUM", "PAGE_CHECKSUM", "DELAY_KEY_WRITE", "DISABLE", "ENABLE", "ORDER", "MAX_ROWS",
      "MIN_ROWS", "AVG_ROW_LENGTH", "TRANSACTIONAL", "PAGE_COMPRESSED", "PAGE_COMPRESSION_LEVEL", "ENCRYPTED",
      "ENCRYPTION_KEY_ID", "IETF_QUOTES", "INSERT_METHOD", "DATA", "INDEX", "TABLESPACE", "STORAGE", "CONNECTION",
      "UNION", "ANALYZE", "CHECK", "OPTIMIZE", "REBUILD", "REPAIR", "REMOVE", "COALESCE", "REORGANIZE", "EXCHANGE",
      "TRUNCATE", "DISCARD", "IMPORT", "PARTITION", "SECONDARY_ENGINE", "SECONDARY_ENGINE_ATTRIBUTE",
      "ENGINE_ATTRIBUTE", "VALIDATION", "WITHOUT", "WITH", "COMPRESSION", "PASSWORD", "AUTOEXTEND_SIZE",
      "SECONDARY_LOAD", "SECONDARY_UNLOAD", "SEQUENCE", "START");

  /**
   * Reserved words (never a column name unquoted) that start an index or key element: after them
   * comes its name, which may be any non-reserved keyword ({@code INDEX date (d)}, {@code KEY year (y)}).
   */
  private static final Set<String> KEY_WORDS = Set.of("INDEX", "KEY", "UNIQUE", "FULLTEXT", "SPATIAL", "FOREIGN");

  /** Words that, followed by PARTITION (or PARTITIONING), start a partition operation: the whole rest of the statement. */
  private static final Set<String> PARTITION_OPERATIONS = Set.of("ADD", "DROP", "TRUNCATE", "ANALYZE", "CHECK",
      "OPTIMIZE", "REBUILD", "REPAIR", "COALESCE", "REORGANIZE", "EXCHANGE", "DISCARD", "IMPORT", "REMOVE", "CONVERT");

  private final TokenCursor in;
  private final String defaultDatabase;
  private TableName current;

  private DdlParser(String sql, String defaultDatabase, ServerVersion server) {
    this.in = new TokenCursor(DdlTokenizer.tokenize(sql, server));
    this.defaultDatabase = defaultDatabase == null || defaultDatabase.isEmpty() ? null : defaultDatabase;
  }

  /**
   * The changes {@code sql} makes, in order; empty for statements that change no table definition.
   *
   * @param defaultDatabase the database unqualified names belong to (the QUERY event's), may be null
   */
  public static List<SchemaChange> parse(String sql, String defaultDatabase) {
    return parse(sql, defaultDatabase, ServerVersion.MARIADB_11_4);
  }

  /**
   * The changes {@code sql} makes as {@code server} runs it (its executable comments).
   *
   * @param defaultDatabase the database unqualified names belong to (the QUERY event's), may be null
   */
  public static List<SchemaChange> parse(String sql, String defaultDatabase, ServerVersion server) {
    return new DdlParser(sql, defaultDatabase, server).statement();
  }

  /** Thrown inside the parser when the statement's effect cannot be read. */
  private static final class NotUnderstoodException extends RuntimeException {
    NotUnderstoodException(String message) {
      super(message, null, false, false);
    }
  }

  private List<SchemaChange> statement() {
    try {
      if (in.accept("CREATE")) {
        return create();
      }
      if (in.accept("ALTER")) {
        return alter();
      }
      if (in.accept("RENAME")) {
        return in.accept("TABLE") || in.accept("TABLES") ? renameTables() : List.of();
      }
      if (in.accept("DROP")) {
        return drop();
      }
      return List.of();
    } catch (NotUnderstoodException e) {
      return List.of(new SchemaChange.NotUnderstood(current, e.getMessage()));
    } catch (RuntimeException e) {
      return List.of(new SchemaChange.NotUnderstood(current, "unreadable at '" + in.near() + "': " + e.getMessage()));
    }
  }

  // ---------------------------------------------------------------- CREATE

  private List<SchemaChange> create() {
    boolean replace = false;
    if (in.accept("OR")) {
      expect("REPLACE");
      replace = true;
    }
    if (in.accept("DATABASE") || in.accept("SCHEMA")) {
      ifExists("NOT");
      String db = identifier();
      String charset = databaseCharset();
      return charset == null ? List.of() : List.of(new SchemaChange.DatabaseCharset(db, charset));
    }
    if (in.accept("TEMPORARY")) {
      return List.of(); // temporary tables are never in a row binlog
    }
    if (!in.accept("TABLE")) {
      return List.of();
    }
    boolean ifNotExists = ifExists("NOT");
    current = tableName();
    if (in.accept("LIKE")) {
      return List.of(new SchemaChange.CreateTableLike(current, tableName(), ifNotExists, replace));
    }
    if (!in.peek().isSymbol('(')) {
      throw new NotUnderstoodException("CREATE TABLE without a column list (… SELECT) does not say the columns");
    }
    in.next();
    if (in.accept("LIKE")) {
      TableName source = tableName();
      expectSymbol(')');
      return List.of(new SchemaChange.CreateTableLike(current, source, ifNotExists, replace));
    }
    List<ColumnDefinition> columns = new ArrayList<>();
    List<String> primaryKey = new ArrayList<>();
    List<String> jsonChecks = new ArrayList<>();
    do {
      if (!tableElement(jsonChecks, primaryKey)) {
        ColumnDefinition c = columnDefinition(primaryKey);
        columns.add(c);
      }
    } while (in.acceptSymbol(','));
    expectSymbol(')');
    String[] charset = new String[2];
    while (in.peek().type() != Type.END) {
      if (in.peek().is("SELECT") || in.peek().is("AS") || in.peek().is("IGNORE") || in.peek().is("REPLACE")) {
        throw new NotUnderstoodException("CREATE TABLE … SELECT adds the columns of a query");
      }
      if (in.peek().is("PARTITION")) {
        break;
      }
      if (in.peek().is("WITH") && in.peekAt(1).is("SYSTEM")) {
        throw new NotUnderstoodException("system-versioned tables have hidden row_start/row_end columns");
      }
      if (!charsetOption(charset)) {
        skipOne();
      }
    }
    return List.of(new SchemaChange.CreateTable(current, ifNotExists, replace, columns, primaryKey, jsonChecks,
        charset[0], charset[1]));
  }

  /** A table-level element (key, constraint, check, period); false when it is a column. */
  private boolean tableElement(List<String> jsonChecks, List<String> primaryKey) {
    Token t = in.peek();
    if (t.type() != Type.WORD) {
      return false;
    }
    String w = t.text().toUpperCase(Locale.ROOT);
    if (w.equals("CONSTRAINT")) {
      in.next();
      if (!in.peek().is("PRIMARY") && !in.peek().is("UNIQUE") && !in.peek().is("FOREIGN") && !in.peek().is("CHECK")) {
        identifier(); // the constraint's name
      }
      return tableElement(jsonChecks, primaryKey) || failNotUnderstood("CONSTRAINT of an unknown kind");
    }
    if (w.equals("PRIMARY") && in.peekAt(1).is("KEY")) {
      in.next();
      in.next();
      primaryKey.clear();
      primaryKey.addAll(keyColumns());
      skipElement();
      return true;
    }
    if (w.equals("CHECK") && in.peekAt(1).isSymbol('(')) {
      in.next();
      String json = jsonCheck();
      if (json != null) {
        jsonChecks.add(json);
      }
      skipElement();
      return true;
    }
    if (isKeyElement()) {
      skipElement();
      return true;
    }
    return false;
  }

  /**
   * An index, key or period element starts here: a reserved key word; {@code PERIOD FOR};
   * {@code VECTOR INDEX|KEY} (PERIOD and VECTOR are not reserved: {@code period INT} is a column).
   */
  private boolean isKeyElement() {
    Token t = in.peek();
    if (t.type() != Type.WORD) {
      return false;
    }
    String w = t.text().toUpperCase(Locale.ROOT);
    return KEY_WORDS.contains(w)
        || (w.equals("PERIOD") && in.peekAt(1).is("FOR"))
        || (w.equals("VECTOR") && (in.peekAt(1).is("INDEX") || in.peekAt(1).is("KEY")));
  }

  /** A partition operation starts here ({@code DROP PARTITION p0, p1}, {@code REMOVE PARTITIONING}, …). */
  private boolean isPartitionOperation() {
    Token t = in.peek();
    return t.type() == Type.WORD && PARTITION_OPERATIONS.contains(t.text().toUpperCase(Locale.ROOT))
        && (in.peekAt(1).is("PARTITION") || in.peekAt(1).is("PARTITIONING")
            || (t.is("CONVERT") && in.peekAt(1).is("TABLE")));
  }

  private static final Set<String> TYPE_WORDS = Set.of("tinyint", "smallint", "mediumint", "middleint", "int",
      "integer", "bigint", "int1", "int2", "int3", "int4", "int8", "bool", "boolean", "serial", "decimal", "dec",
      "numeric", "fixed", "float", "float4", "float8", "double", "real", "bit", "char", "character", "varchar",
      "varchar2", "nchar", "nvarchar", "national", "tinytext", "text", "mediumtext", "longtext", "long", "binary",
      "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "enum", "set", "date", "time", "datetime",
      "timestamp", "year", "json", "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
      "multipolygon", "geometrycollection", "geomcollection", "uuid", "inet4", "inet6", "vector", "raw", "clob",
      "number");

  private boolean failNotUnderstood(String what) {
    throw new NotUnderstoodException(what);
  }

  /** {@code name type [attributes]}. */
  private ColumnDefinition columnDefinition(List<String> primaryKey) {
    String name = identifier();
    String type = in.peek().type() == Type.WORD ? in.next().text().toLowerCase(Locale.ROOT) : null;
    if (type == null) {
      throw new NotUnderstoodException("column " + name + " has no type");
    }
    String impliedCharset = null;
    boolean unsigned = false;
    switch (type) {
      case "integer", "int4" -> type = "int";
      case "int1", "bool", "boolean" -> type = "tinyint";
      case "int2" -> type = "smallint";
      case "int3", "middleint" -> type = "mediumint";
      case "int8" -> type = "bigint";
      case "serial" -> {
        type = "bigint";
        unsigned = true;
      }
      case "dec", "numeric", "fixed" -> type = "decimal";
      case "float4" -> type = "float";
      case "float8", "real" -> type = "double";
      case "double" -> in.accept("PRECISION");
      case "character" -> type = in.accept("VARYING") ? "varchar" : "char";
      case "char" -> type = in.accept("VARYING") ? "varchar" : "char";
      case "varchar2" -> type = "varchar";
      case "nchar" -> {
        type = in.accept("VARCHAR") || in.accept("VARYING") ? "varchar" : "char";
        impliedCharset = "utf8mb3";
      }
      case "nvarchar" -> {
        type = "varchar";
        impliedCharset = "utf8mb3";
      }
      case "national" -> {
        if (in.accept("CHAR") || in.accept("CHARACTER")) {
          type = in.accept("VARYING") ? "varchar" : "char";
        } else if (in.accept("VARCHAR")) {
          type = "varchar";
        } else {
          throw new NotUnderstoodException("column " + name + ": NATIONAL without CHAR/VARCHAR");
        }
        impliedCharset = "utf8mb3";
      }
      case "long" -> {
        if (in.accept("VARBINARY")) {
          type = "mediumblob";
        } else {
          if (!in.accept("VARCHAR")) {
            in.accept("CHAR");
            in.accept("VARYING");
          }
          type = "mediumtext";
        }
      }
      default -> { }
    }
    if (!TYPE_WORDS.contains(type)) {
      throw new NotUnderstoodException("column " + name + " has type " + type + ", which the DDL parser does not know");
    }
    List<String> args = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    if (in.acceptSymbol('(')) {
      if (type.equals("enum") || type.equals("set")) {
        do {
          Token label = in.next();
          if (label.type() == Type.WORD && in.peek().type() == Type.STRING) {
            label = in.next(); // a charset introducer: _utf8mb4'x'
          }
          if (label.type() != Type.STRING) {
            throw new NotUnderstoodException("column " + name + ": " + type + " member is not a string");
          }
          labels.add(label.text());
        } while (in.acceptSymbol(','));
      } else {
        do {
          Token number = in.next();
          if (number.type() != Type.NUMBER) {
            throw new NotUnderstoodException("column " + name + ": type arguments must be numbers");
          }
          args.add(number.text());
        } while (in.acceptSymbol(','));
      }
      expectSymbol(')');
    }
    String charset = impliedCharset;
    String collation = null;
    boolean binaryAttribute = false;
    boolean json = false;
    while (true) {
      Token t = in.peek();
      if (t.type() == Type.END || t.isSymbol(',') || t.isSymbol(')') || t.is("FIRST") || t.is("AFTER")) {
        break;
      }
      if (t.is("UNSIGNED") || t.is("ZEROFILL")) {
        in.next();
        unsigned = true;
      } else if (t.is("SIGNED")) {
        in.next();
      } else if (t.is("BINARY")) {
        in.next();
        binaryAttribute = true;
      } else if (t.is("ASCII")) {
        in.next();
        charset = "latin1";
      } else if (t.is("UNICODE")) {
        in.next();
        charset = "ucs2";
      } else if (t.is("BYTE")) {
        in.next();
        charset = "binary";
      } else if (t.is("CHARACTER") && in.peekAt(1).is("SET") || t.is("CHARSET")) {
        in.next();
        in.accept("SET");
        charset = CharsetNames.normalise(word());
      } else if (t.is("COLLATE")) {
        in.next();
        collation = word().toLowerCase(Locale.ROOT);
      } else if (t.is("PRIMARY") || (t.is("KEY") && !in.peekAt(-1).is("UNIQUE"))) {
        in.next();
        in.accept("KEY");
        primaryKey.clear();
        primaryKey.add(name);
      } else if (t.is("CHECK") && in.peekAt(1).isSymbol('(')) {
        in.next();
        String checked = jsonCheck();
        json |= name.equalsIgnoreCase(checked);
      } else if (t.is("DEFAULT") || (t.is("ON") && in.peekAt(1).is("UPDATE"))) {
        if (in.next().is("ON")) {
          in.next();
        }
        skipExpression();
      } else if (t.is("COMMENT") || t.is("COLUMN_FORMAT") || t.is("STORAGE") || t.is("SRID")) {
        in.next();
        skipOne();
      } else if (t.is("COMPRESSED")) {
        throw new NotUnderstoodException("column " + name + " is COMPRESSED (its binlog encoding differs)");
      } else {
        skipOne();
      }
    }
    if (type.equals("json")) {
      json = true;
    }
    if (binaryAttribute && charset == null && (type.equals("char") || type.equals("varchar") || type.endsWith("text"))
        && collation == null) {
      collation = "binary-of-charset"; // e.g. VARCHAR(10) BINARY: the binary collation of the column's charset
    }
    if (collation != null && collation.equals("binary-of-charset")) {
      collation = null;
    } else if (charset == null && collation != null) {
      charset = CharsetNames.ofCollation(collation);
    }
    return new ColumnDefinition(name, type, args, unsigned, charset, collation, labels, json);
  }

  /** Inside {@code CHECK (…)}: the column of {@code json_valid(`col`)} when that is the whole check, else null. */
  private String jsonCheck() {
    expectSymbol('(');
    String column = null;
    if (in.peek().is("json_valid") && in.peekAt(1).isSymbol('(') && in.peekAt(3).isSymbol(')') && in.peekAt(4).isSymbol(')')) {
      in.next();
      in.next();
      column = identifier();
      in.next();
      in.next();
      return column;
    }
    skipUntilClose();
    return null;
  }

  /** {@code (a, b(10) DESC, …)} of a key. */
  private List<String> keyColumns() {
    if (in.peek().is("USING")) {
      in.next();
      in.next();
    }
    expectSymbol('(');
    List<String> cols = new ArrayList<>();
    do {
      cols.add(identifier());
      if (in.peek().isSymbol('(')) {
        in.next();
        skipUntilClose();
      }
      if (!in.accept("ASC")) {
        in.accept("DESC");
      }
    } while (in.acceptSymbol(','));
    expectSymbol(')');
    return cols;
  }

  /** {@code [DEFAULT] CHARACTER SET [=] x}, {@code [DEFAULT] CHARSET [=] x}, {@code [DEFAULT] COLLATE [=] x}. */
  private boolean charsetOption(String[] out) {
    int mark = in.position();
    in.accept("DEFAULT");
    boolean characterSet = in.peek().is("CHARACTER") && in.peekAt(1).is("SET");
    if (characterSet) {
      in.next();
      in.next();
    }
    if (characterSet || in.accept("CHARSET")) {
      in.acceptSymbol('=');
      out[0] = CharsetNames.normalise(word());
      return true;
    }
    if (in.accept("COLLATE")) {
      in.acceptSymbol('=');
      out[1] = word().toLowerCase(Locale.ROOT);
      if (out[0] == null) {
        out[0] = CharsetNames.ofCollation(out[1]);
      }
      return true;
    }
    in.reset(mark);
    return false;
  }

  private String databaseCharset() {
    String[] charset = new String[2];
    while (in.peek().type() != Type.END) {
      if (!charsetOption(charset)) {
        skipOne();
      }
    }
    return charset[0];
  }

  // ---------------------------------------------------------------- ALTER

  private List<SchemaChange> alter() {
    in.accept("ONLINE");
    in.accept("OFFLINE");
    in.accept("IGNORE");
    if (in.accept("DATABASE") || in.accept("SCHEMA")) {
      String db = in.peek().type() == Type.QUOTED || (in.peek().type() == Type.WORD && !isOptionStart(in.peek()))
          ? identifier() : defaultDatabase;
      String charset = databaseCharset();
      return charset == null || db == null ? List.of() : List.of(new SchemaChange.DatabaseCharset(db, charset));
    }
    if (!in.accept("TABLE")) {
      return List.of();
    }
    ifExists("");
    current = tableName();
    waitOption();
    List<AlterSpec> specs = new ArrayList<>();
    if (in.peek().type() == Type.END) {
      return List.of(new SchemaChange.AlterTable(current, specs));
    }
    do {
      if (isPartitionOperation() || in.peek().is("PARTITION") || in.peek().is("ORDER")) {
        // the rest of the statement: partition names and definitions, or ORDER BY's column list
        while (!in.atEnd()) {
          skipOne();
        }
        break;
      }
      alterSpec(specs);
    } while (in.acceptSymbol(','));
    if (in.peek().type() != Type.END && !in.peek().is("PARTITION")) {
      throw new NotUnderstoodException("unexpected '" + in.near() + "' after an ALTER TABLE specification");
    }
    return List.of(new SchemaChange.AlterTable(current, specs));
  }

  private static boolean isOptionStart(Token t) {
    return t.is("DEFAULT") || t.is("CHARACTER") || t.is("CHARSET") || t.is("COLLATE") || t.is("COMMENT")
        || t.is("UPGRADE") || t.is("READ") || t.is("ENCRYPTION");
  }

  private void alterSpec(List<AlterSpec> specs) {
    Token t = in.peek();
    if (in.accept("ADD")) {
      if (in.accept("COLUMN")) {
        addColumns(specs);
      } else if (in.peek().is("PRIMARY") || in.peek().is("CONSTRAINT") || in.peek().is("CHECK")
          || isKeyElement()) {
        List<String> json = new ArrayList<>();
        List<String> pk = new ArrayList<>();
        if (in.peek().is("CONSTRAINT") && (in.peekAt(1).is("IF") || in.peekAt(2).is("IF"))) {
          in.next();
          if (!in.accept("IF")) {
            identifier();
            expect("IF");
          }
          expect("NOT");
          expect("EXISTS");
          if (!in.peek().is("PRIMARY") && !in.peek().is("UNIQUE") && !in.peek().is("FOREIGN") && !in.peek().is("CHECK")) {
            identifier();
          }
        }
        if (in.accept("IF")) {
          expect("NOT");
          expect("EXISTS");
        }
        boolean primary = in.peek().is("PRIMARY") || (in.peek().is("CONSTRAINT") && (in.peekAt(1).is("PRIMARY") || in.peekAt(2).is("PRIMARY")));
        tableElement(json, pk);
        if (primary) {
          specs.add(new AlterSpec.AddPrimaryKey(pk));
        }
        json.forEach(c -> specs.add(new AlterSpec.AddJsonCheck(c)));
      } else {
        addColumns(specs);
      }
    } else if (in.accept("DROP")) {
      if (in.accept("PRIMARY")) {
        expect("KEY");
        specs.add(new AlterSpec.DropPrimaryKey());
      } else if (in.peek().is("SYSTEM") && in.peekAt(1).is("VERSIONING")) {
        throw new NotUnderstoodException("DROP SYSTEM VERSIONING removes hidden columns");
      } else if (isKeyElement() || in.peek().is("CONSTRAINT") || in.peek().is("CHECK")) {
        skipElement(); // an index, key, foreign key, constraint, check or period
      } else {
        in.accept("COLUMN");
        boolean ifExists = ifExists("");
        specs.add(new AlterSpec.DropColumn(identifier(), ifExists));
        if (!in.accept("RESTRICT")) {
          in.accept("CASCADE");
        }
      }
    } else if (in.accept("MODIFY")) {
      in.accept("COLUMN");
      boolean ifExists = ifExists("");
      ColumnDefinition c = columnDefinition(new ArrayList<>());
      specs.add(new AlterSpec.ChangeColumn(c.name(), c, position(), ifExists));
    } else if (in.accept("CHANGE")) {
      in.accept("COLUMN");
      boolean ifExists = ifExists("");
      String old = identifier();
      ColumnDefinition c = columnDefinition(new ArrayList<>());
      specs.add(new AlterSpec.ChangeColumn(old, c, position(), ifExists));
    } else if (in.accept("RENAME")) {
      if (in.accept("COLUMN")) {
        boolean ifExists = ifExists("");
        String from = identifier();
        expect("TO");
        specs.add(new AlterSpec.RenameColumn(from, identifier(), ifExists));
      } else if (in.accept("INDEX") || in.accept("KEY")) {
        skipElement();
      } else {
        if (!in.accept("TO")) {
          in.accept("AS");
        }
        specs.add(new AlterSpec.RenameTo(tableName()));
      }
    } else if (in.accept("ALTER")) {
      if (in.accept("INDEX") || in.accept("KEY") || in.accept("CHECK") || in.accept("CONSTRAINT")) {
        skipElement();
        return;
      }
      in.accept("COLUMN");
      ifExists("");
      identifier();
      if (in.accept("SET")) {
        if (in.accept("DEFAULT")) {
          skipExpression();
        } else if (!in.accept("VISIBLE") && !in.accept("INVISIBLE")) {
          throw new NotUnderstoodException("ALTER COLUMN … SET " + in.near());
        }
      } else if (in.accept("DROP")) {
        expect("DEFAULT");
      } else {
        throw new NotUnderstoodException("ALTER COLUMN … " + in.near());
      }
    } else if (in.accept("CONVERT")) {
      expect("TO");
      String[] charset = new String[2];
      if (!charsetOption(charset)) {
        throw new NotUnderstoodException("CONVERT TO without a character set");
      }
      charsetOption(charset);
      specs.add(new AlterSpec.ConvertCharset(charset[0], charset[1]));
    } else if (t.is("DEFAULT") || t.is("CHARACTER") || t.is("CHARSET") || t.is("COLLATE")) {
      String[] charset = new String[2];
      if (!charsetOption(charset)) {
        skipElement();
        return;
      }
      charsetOption(charset);
      specs.add(new AlterSpec.DefaultCharset(charset[0], charset[1]));
    } else if (t.type() == Type.WORD && NEUTRAL_ALTER.contains(t.text().toUpperCase(Locale.ROOT))) {
      if ((t.is("WITH") || t.is("WITHOUT")) && in.peekAt(1).is("SYSTEM")) {
        throw new NotUnderstoodException("system versioning adds or removes hidden columns");
      }
      skipElement();
    } else {
      throw new NotUnderstoodException("ALTER TABLE specification '" + in.near() + "'");
    }
  }

  private void addColumns(List<AlterSpec> specs) {
    boolean ifNotExists = ifExists("NOT");
    if (in.acceptSymbol('(')) {
      do {
        List<String> pk = new ArrayList<>();
        if (tableElement(new ArrayList<>(), pk)) {
          if (!pk.isEmpty()) {
            specs.add(new AlterSpec.AddPrimaryKey(pk));
          }
          continue;
        }
        ColumnDefinition c = columnDefinition(pk);
        specs.add(new AlterSpec.AddColumn(c, ColumnPosition.END, ifNotExists));
        if (!pk.isEmpty()) {
          specs.add(new AlterSpec.AddPrimaryKey(pk));
        }
      } while (in.acceptSymbol(','));
      expectSymbol(')');
    } else {
      List<String> pk = new ArrayList<>();
      ColumnDefinition c = columnDefinition(pk);
      specs.add(new AlterSpec.AddColumn(c, position(), ifNotExists));
      if (!pk.isEmpty()) {
        specs.add(new AlterSpec.AddPrimaryKey(pk));
      }
    }
  }

  private ColumnPosition position() {
    if (in.accept("FIRST")) {
      return new ColumnPosition(true, null);
    }
    if (in.accept("AFTER")) {
      return new ColumnPosition(false, identifier());
    }
    return ColumnPosition.END;
  }

  // ---------------------------------------------------------------- RENAME, DROP

  private List<SchemaChange> renameTables() {
    ifExists("");
    List<SchemaChange> out = new ArrayList<>();
    do {
      TableName from = tableName();
      current = from;
      waitOption();
      expect("TO");
      out.add(new SchemaChange.RenameTable(from, tableName()));
    } while (in.acceptSymbol(','));
    return out;
  }

  private List<SchemaChange> drop() {
    if (in.accept("DATABASE") || in.accept("SCHEMA")) {
      ifExists("");
      return List.of(new SchemaChange.DropDatabase(identifier()));
    }
    if (in.accept("TEMPORARY")) {
      return List.of();
    }
    if (!in.accept("TABLE") && !in.accept("TABLES")) {
      return List.of();
    }
    ifExists("");
    List<SchemaChange> out = new ArrayList<>();
    do {
      TableName name = tableName();
      current = name;
      out.add(new SchemaChange.DropTable(name));
    } while (in.acceptSymbol(','));
    return out;
  }

  // ---------------------------------------------------------------- helpers

  /** {@code IF [NOT] EXISTS} ({@code not} = "NOT" or ""); true when present. */
  private boolean ifExists(String not) {
    if (in.peek().is("IF") && (not.isEmpty() ? in.peekAt(1).is("EXISTS") : in.peekAt(1).is(not) && in.peekAt(2).is("EXISTS"))) {
      in.next();
      if (!not.isEmpty()) {
        in.next();
      }
      in.next();
      return true;
    }
    return false;
  }

  /** MariaDB's {@code WAIT n} / {@code NOWAIT}. */
  private void waitOption() {
    if (in.accept("NOWAIT")) {
      return;
    }
    if (in.peek().is("WAIT") && in.peekAt(1).type() == Type.NUMBER) {
      in.next();
      in.next();
    }
  }

  private TableName tableName() {
    String first = identifier();
    if (in.acceptSymbol('.')) {
      return new TableName(first, identifier());
    }
    if (defaultDatabase == null) {
      throw new NotUnderstoodException("table " + first + " has no database (no default database)");
    }
    return new TableName(defaultDatabase, first);
  }

  private String identifier() {
    Token t = in.next();
    if (t.type() == Type.QUOTED || t.type() == Type.WORD || (t.type() == Type.STRING && t.text().length() > 0)) {
      return t.text();
    }
    throw new NotUnderstoodException("expected a name at '" + t.text() + "'");
  }

  /** A charset or collation name (a word, a quoted name or a string). */
  private String word() {
    Token t = in.next();
    if (t.type() == Type.END || t.type() == Type.SYMBOL) {
      throw new NotUnderstoodException("expected a character set or collation name");
    }
    return t.text();
  }

  /** Skips one value of DEFAULT / ON UPDATE: a literal, a signed number, a function call or a parenthesised expression. */
  private void skipExpression() {
    Token t = in.next();
    if (t.isSymbol('(')) {
      skipUntilClose();
      return;
    }
    if (t.isSymbol('-') || t.isSymbol('+')) {
      in.next();
      return;
    }
    if (t.type() == Type.WORD && in.peek().type() == Type.STRING) {
      in.next(); // _utf8mb4'x', x'0f', b'01', N'x'
      return;
    }
    if (t.type() == Type.WORD && in.peek().isSymbol('(')) {
      in.next();
      skipUntilClose();
    }
  }

  /** Skips one token, or a whole parenthesised group. */
  private void skipOne() {
    if (in.next().isSymbol('(')) {
      skipUntilClose();
    }
  }

  /** Skips to the ',' or ')' that ends the current element (not consumed). */
  private void skipElement() {
    while (in.peek().type() != Type.END && !in.peek().isSymbol(',') && !in.peek().isSymbol(')')) {
      skipOne();
    }
  }

  /** After a '(' was consumed: skips through the matching ')'. */
  private void skipUntilClose() {
    int depth = 1;
    while (depth > 0) {
      Token t = in.next();
      if (t.type() == Type.END) {
        throw new NotUnderstoodException("unbalanced parentheses");
      }
      if (t.isSymbol('(')) {
        depth++;
      } else if (t.isSymbol(')')) {
        depth--;
      }
    }
  }

  private void expect(String word) {
    if (!in.accept(word)) {
      throw new NotUnderstoodException("expected " + word + " at '" + in.near() + "'");
    }
  }

  private void expectSymbol(char c) {
    if (!in.acceptSymbol(c)) {
      throw new NotUnderstoodException("expected '" + c + "' at '" + in.near() + "'");
    }
  }
}
