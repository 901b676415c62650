package io.syncline.streams.strategy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import io.syncline.streams.capture.TablePatterns;
import io.syncline.streams.event.TableRef;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The configured strategy of every table ({@code syncline.tables}, docs/strategies.md): a list of
 * rules {@code { match = "<source>.<schema or database>.<table>", strategy = streaming | micro-batch |
 * batch, interval = 5m, schedule = "0 * * * *" }}; {@code match} takes {@code *} and {@code ?}
 * wildcards. The first rule that matches a table decides; a table no rule matches is streaming.
 *
 * @param rules the rules, in configuration order
 */
public record TableStrategies(List<Rule> rules) {

  /** The configuration path of the rules. */
  public static final String CONFIG_PATH = "syncline.tables";

  /** No rules: every table streams. */
  public static final TableStrategies NONE = new TableStrategies(List.of());

  private static final Set<String> KEYS = Set.of("match", "strategy", "interval", "schedule");

  /** One rule: tables whose {@code source.schema.table} matches {@code match} get {@code strategy}. */
  public record Rule(String match, TableStrategy strategy, Pattern pattern) {
    public Rule(String match, TableStrategy strategy) {
      this(match, strategy, TablePatterns.glob(match));
    }

    boolean matches(TableRef table) {
      return pattern.matcher(table.source() + "." + table.qualifiedName()).matches();
    }
  }

  public TableStrategies {
    rules = List.copyOf(rules);
  }

  /** The strategy of {@code table}: the first matching rule's, else streaming. */
  public TableStrategy strategyOf(TableRef table) {
    for (Rule r : rules) {
      if (r.matches(table)) {
        return r.strategy();
      }
    }
    return TableStrategy.STREAMING;
  }

  /** Reads {@link #CONFIG_PATH} of {@code config} (absent: no rules), failing with the entry and the fix. */
  public static TableStrategies create(Config config) {
    if (!config.hasPath(CONFIG_PATH)) {
      return NONE;
    }
    List<? extends ConfigObject> entries;
    try {
      entries = config.getObjectList(CONFIG_PATH);
    } catch (ConfigException.WrongType e) {
      throw new IllegalArgumentException(CONFIG_PATH + " must be a list of { match, strategy, interval, schedule }"
          + " objects: " + e.getMessage(), e);
    }
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      rules.add(rule(i, entries.get(i)));
    }
    return new TableStrategies(rules);
  }

  private static Rule rule(int index, ConfigObject entry) {
    Config c = entry.toConfig();
    String where = CONFIG_PATH + "[" + index + "]";
    for (String key : entry.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(where + ": unknown key '" + key + "'. Known keys: match, strategy, interval,"
            + " schedule");
      }
    }
    if (!c.hasPath("match") || c.getString("match").isBlank()) {
      throw new IllegalArgumentException(where + ": 'match' is missing: give the tables as \"<source>.<schema>.<table>\""
          + " (wildcards * and ?), e.g. match = \"shop.public.orders\"");
    }
    String match = c.getString("match");
    where = where + " (match = \"" + match + "\")";
    if (match.chars().filter(ch -> ch == '.').count() < 2 && !match.contains("*")) {
      throw new IllegalArgumentException(where + ": 'match' names \"<source>.<schema or database>.<table>\";"
          + " \"" + match + "\" has fewer parts. Fix: e.g. match = \"shop.public." + match + "\"");
    }
    String name = c.hasPath("strategy") ? c.getString("strategy") : "";
    TableStrategy.Kind kind = TableStrategy.Kind.ofConfigName(name);
    if (kind == null) {
      throw new IllegalArgumentException(where + ": strategy = \"" + name + "\" is not one of streaming, micro-batch,"
          + " batch");
    }
    try {
      TableStrategy strategy = switch (kind) {
        case STREAMING -> {
          refuse(c, where, kind, "interval");
          refuse(c, where, kind, "schedule");
          yield TableStrategy.STREAMING;
        }
        case MICRO_BATCH -> {
          refuse(c, where, kind, "schedule");
          Duration interval = c.hasPath("interval") ? c.getDuration("interval") : TableStrategy.DEFAULT_INTERVAL;
          if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException(where + ": interval must be positive, got " + interval);
          }
          yield TableStrategy.microBatch(interval);
        }
        case BATCH -> {
          refuse(c, where, kind, "interval");
          if (!c.hasPath("schedule")) {
            throw new IllegalArgumentException(where + ": strategy = batch needs a cron schedule, e.g. schedule ="
                + " \"0 * * * *\" (hourly) or \"30 2 * * *\" (daily at 02:30)");
          }
          String schedule = c.getString("schedule");
          CronSchedule.parse(schedule).next(ZonedDateTime.now(ZoneOffset.UTC)); // parses, and fires some day
          yield TableStrategy.batch(schedule);
        }
      };
      return new Rule(match, strategy);
    } catch (ConfigException | IllegalArgumentException | IllegalStateException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(where)) {
        throw e;
      }
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static void refuse(Config c, String where, TableStrategy.Kind kind, String key) {
    if (c.hasPath(key)) {
      throw new IllegalArgumentException(where + ": '" + key + "' does not apply to strategy = " + kind.configName()
          + " (micro-batch takes interval, batch takes schedule)");
    }
  }
}
