package io.syncline.streams.lake;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One gold table declared in {@code syncline.lake.gold}: an aggregate over one silver table,
 * refreshed after each silver commit of that table.
 *
 * <pre>
 * { name = "orders_by_status", from = "shop.public.orders", group-by = ["status"],
 *   aggregates = [ { fn = count, as = "orders" }, { fn = sum, column = "amount", as = "total" } ] }
 * </pre>
 *
 * @param name the gold table's name: {@code <lake>/gold/<name>}
 * @param from the silver table, {@code <source>.<schema>.<table>}
 * @param groupBy the silver columns to group by (empty: one row for the whole table)
 * @param aggregates the aggregate columns
 */
public record GoldSettings(String name, String from, List<String> groupBy, List<Aggregate> aggregates) {

  /** count, sum, min or max. */
  public enum Fn { COUNT, SUM, MIN, MAX }

  /**
   * @param fn the function
   * @param column the silver column it reads; null for {@code count} of rows
   * @param as the gold column's name
   */
  public record Aggregate(Fn fn, String column, String as) {
    public Aggregate {
      if (fn != Fn.COUNT && (column == null || column.isEmpty())) {
        throw new IllegalArgumentException("a " + fn.name().toLowerCase(Locale.ROOT) + " aggregate needs a column");
      }
      if (as == null || as.isEmpty()) {
        throw new IllegalArgumentException("every gold aggregate needs a column name (as = ...)");
      }
    }
  }

  public GoldSettings {
    if (name == null || !name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]*")) {
      throw new IllegalArgumentException("syncline.lake.gold: name '" + name + "' must be letters, digits, _ . -");
    }
    if (from == null || from.split("\\.").length < 3) {
      throw new IllegalArgumentException("syncline.lake.gold " + name + ": from = \"<source>.<schema>.<table>\"");
    }
    groupBy = List.copyOf(groupBy);
    aggregates = List.copyOf(aggregates);
    if (aggregates.isEmpty()) {
      throw new IllegalArgumentException("syncline.lake.gold " + name + " declares no aggregates");
    }
    Set<String> names = new HashSet<>(groupBy);
    for (Aggregate a : aggregates) {
      if (!names.add(a.as())) {
        throw new IllegalArgumentException("syncline.lake.gold " + name + ": column " + a.as() + " is named twice");
      }
    }
  }

  /** Reads the list {@code syncline.lake.gold}. */
  static List<GoldSettings> list(Config lake) {
    List<GoldSettings> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Config g : lake.getConfigList("gold")) {
      List<Aggregate> aggs = new ArrayList<>();
      String name = g.getString("name");
      for (Config a : g.getConfigList("aggregates")) {
        String fn = a.getString("fn");
        Fn f;
        try {
          f = Fn.valueOf(fn.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("syncline.lake.gold " + name + ": fn '" + fn + "' is not count, sum, min or max");
        }
        aggs.add(new Aggregate(f, a.hasPath("column") ? a.getString("column") : null, a.getString("as")));
      }
      GoldSettings s = new GoldSettings(name, g.getString("from"),
          g.hasPath("group-by") ? g.getStringList("group-by") : List.of(), aggs);
      if (!names.add(s.name())) {
        throw new IllegalArgumentException("syncline.lake.gold: two gold tables are named " + s.name());
      }
      out.add(s);
    }
    return out;
  }
}
