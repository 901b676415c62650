package io.syncline.streams.mysql.schema;

import io.syncline.streams.mysql.schema.SchemaChange.AlterSpec;
import io.syncline.streams.mysql.schema.SchemaChange.ColumnPosition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The current definitions of the tracked tables, changed by {@link SchemaChange}s in binlog order.
 * Pure logic, not thread-safe.
 */
public final class Schemas {

  /** A change cannot be applied to what is known: the tracked definitions and the statement disagree. */
  public static final class InconsistentChange extends RuntimeException {
    InconsistentChange(String message) {
      super(message);
    }
  }

  /** The statement changes a table whose definition is not known. */
  public static final class UnknownTable extends RuntimeException {
    private final TableName table;

    UnknownTable(TableName table) {
      super("the definition of " + table + " is not known");
      this.table = table;
    }

    public TableName table() {
      return table;
    }
  }

  private final Map<TableName, TableSchema> tables = new HashMap<>();
  private final Map<String, String> databaseCharsets = new HashMap<>();
  private final String serverCharset;

  /** @param serverCharset the default for databases whose character set is not known ({@code character_set_server}) */
  public Schemas(String serverCharset) {
    this.serverCharset = CharsetNames.normalise(serverCharset);
  }

  public TableSchema get(TableName table) {
    return tables.get(table);
  }

  public void setDatabaseCharset(String database, String charset) {
    databaseCharsets.put(database, CharsetNames.normalise(charset));
  }

  public void remove(TableName table) {
    tables.remove(table);
  }

  /** Applies one change; UnknownTable / InconsistentChange leave the state as it was. */
  public void apply(SchemaChange change) {
    if (change instanceof SchemaChange.CreateTable c) {
      if (c.ifNotExists() && !c.replace() && tables.containsKey(c.name())) {
        return;
      }
      String charset = c.charset() != null ? c.charset() : CharsetNames.ofCollation(c.collation());
      if (charset == null) {
        charset = databaseCharsets.getOrDefault(c.name().database(), serverCharset);
      }
      List<ColumnDefinition> columns = new ArrayList<>();
      for (ColumnDefinition d : c.columns()) {
        ColumnDefinition r = resolve(d, charset);
        columns.add(c.jsonChecks().stream().anyMatch(r.name()::equalsIgnoreCase) ? r.withJson(true) : r);
      }
      tables.put(c.name(), new TableSchema(c.name(), columns, canonical(columns, c.primaryKey(), c.name()), charset));
    } else if (change instanceof SchemaChange.CreateTableLike c) {
      if (c.ifNotExists() && !c.replace() && tables.containsKey(c.name())) {
        return;
      }
      TableSchema source = tables.get(c.source());
      if (source == null) {
        throw new UnknownTable(c.source());
      }
      tables.put(c.name(), source.withName(c.name()));
    } else if (change instanceof SchemaChange.AlterTable a) {
      TableSchema t = tables.get(a.name());
      if (t == null) {
        throw new UnknownTable(a.name());
      }
      TableSchema altered = alter(t, a.specs());
      tables.remove(a.name());
      tables.put(altered.name(), altered);
    } else if (change instanceof SchemaChange.RenameTable r) {
      TableSchema t = tables.remove(r.from());
      if (t == null) {
        tables.remove(r.to());
        throw new UnknownTable(r.from());
      }
      tables.put(r.to(), t.withName(r.to()));
    } else if (change instanceof SchemaChange.DropTable d) {
      tables.remove(d.name());
    } else if (change instanceof SchemaChange.DropDatabase d) {
      tables.keySet().removeIf(n -> n.database().equals(d.database()));
      databaseCharsets.remove(d.database());
    } else if (change instanceof SchemaChange.DatabaseCharset d) {
      setDatabaseCharset(d.database(), d.charset());
    } else {
      throw new InconsistentChange("statement not understood: " + ((SchemaChange.NotUnderstood) change).reason());
    }
  }

  private static TableSchema alter(TableSchema t, List<AlterSpec> specs) {
    List<ColumnDefinition> columns = new ArrayList<>(t.columns());
    List<String> key = new ArrayList<>(t.primaryKey());
    String charset = t.defaultCharset();
    TableName name = t.name();
    for (AlterSpec spec : specs) {
      if (spec instanceof AlterSpec.AddColumn add) {
        if (indexOf(columns, add.column().name()) >= 0) {
          if (add.ifNotExists()) {
            continue;
          }
          throw new InconsistentChange("column " + add.column().name() + " of " + t.name() + " exists already");
        }
        insert(columns, resolve(add.column(), charset), add.position(), t.name());
      } else if (spec instanceof AlterSpec.DropColumn drop) {
        int i = indexOf(columns, drop.column());
        if (i < 0) {
          if (drop.ifExists()) {
            continue;
          }
          throw new InconsistentChange("column " + drop.column() + " of " + t.name() + " does not exist");
        }
        columns.remove(i);
        key.removeIf(drop.column()::equalsIgnoreCase);
      } else if (spec instanceof AlterSpec.ChangeColumn change) {
        int i = indexOf(columns, change.column());
        if (i < 0) {
          if (change.ifExists()) {
            continue;
          }
          throw new InconsistentChange("column " + change.column() + " of " + t.name() + " does not exist");
        }
        ColumnDefinition resolved = resolve(change.definition(), charset);
        if (change.position().equals(ColumnPosition.END)) {
          columns.set(i, resolved);
          } else {
          columns.remove(i);
          insert(columns, resolved, change.position(), t.name());
        }
        renameKey(key, change.column(), resolved.name());
      } else if (spec instanceof AlterSpec.RenameColumn rename) {
        int i = indexOf(columns, rename.from());
        if (i < 0) {
          if (rename.ifExists()) {
            continue;
          }
          throw new InconsistentChange("column " + rename.from() + " of " + t.name() + " does not exist");
        }
        columns.set(i, columns.get(i).withName(rename.to()));
        renameKey(key, rename.from(), rename.to());
      } else if (spec instanceof AlterSpec.RenameTo to) {
        name = to.to();
      } else if (spec instanceof AlterSpec.AddPrimaryKey pk) {
        key.clear();
        key.addAll(pk.columns());
      } else if (spec instanceof AlterSpec.DropPrimaryKey) {
        key.clear();
      } else if (spec instanceof AlterSpec.AddJsonCheck json) {
        int i = indexOf(columns, json.column());
        if (i >= 0 && columns.get(i).isCharacter()) {
          columns.set(i, columns.get(i).withJson(true));
        }
      } else if (spec instanceof AlterSpec.ConvertCharset convert) {
        charset = convert.charset();
        for (int i = 0; i < columns.size(); i++) {
          ColumnDefinition c = columns.get(i);
          if (c.isCharacter() && !"binary".equals(c.charset())) {
            columns.set(i, c.withCharset(convert.charset(), convert.collation()));
          }
        }
      } else {
        AlterSpec.DefaultCharset d = (AlterSpec.DefaultCharset) spec;
        charset = d.charset() != null ? d.charset() : charset;
      }
    }
    return new TableSchema(name, columns, canonical(columns, key, name), charset);
  }

  /** The effective charset of a character column: as written, from its collation, or the table default. */
  private static ColumnDefinition resolve(ColumnDefinition d, String tableCharset) {
    if (!d.isCharacter() && !d.type().equals("json")) {
      return d.charset() == null ? d : d.withCharset(null, null);
    }
    if (d.type().equals("json")) {
      return d; // MySQL JSON is binary; MariaDB JSON is utf8mb4 (see ColumnDefinition.toMySqlColumn)
    }
    String charset = d.charset() != null ? d.charset() : CharsetNames.ofCollation(d.collation());
    return d.withCharset(charset != null ? charset : tableCharset, d.collation());
  }

  private static void insert(List<ColumnDefinition> columns, ColumnDefinition c, ColumnPosition at, TableName table) {
    if (at.first()) {
      columns.add(0, c);
    } else if (at.after() != null) {
      int i = indexOf(columns, at.after());
      if (i < 0) {
        throw new InconsistentChange("column " + at.after() + " of " + table + " (in AFTER) does not exist");
      }
      columns.add(i + 1, c);
    } else {
      columns.add(c);
    }
  }

  private static void renameKey(List<String> key, String from, String to) {
    for (int i = 0; i < key.size(); i++) {
      if (key.get(i).equalsIgnoreCase(from)) {
        key.set(i, to);
      }
    }
  }

  /** Key column names spelled as the columns are. */
  private static List<String> canonical(List<ColumnDefinition> columns, List<String> key, TableName table) {
    List<String> out = new ArrayList<>();
    for (String k : key) {
      int i = indexOf(columns, k);
      if (i < 0) {
        throw new InconsistentChange("primary key column " + k + " of " + table + " is not a column");
      }
      out.add(columns.get(i).name());
    }
    return out;
  }

  private static int indexOf(List<ColumnDefinition> columns, String name) {
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).name().equalsIgnoreCase(name)) {
        return i;
      }
    }
    return -1;
  }
}
