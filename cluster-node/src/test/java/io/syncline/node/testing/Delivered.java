package io.syncline.node.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a node delivered into a JSON-lines file (bare envelopes, the default), read back as a
 * consumer would: every newline-terminated line must be whole JSON (a torn line must have been
 * repaired); a last line still being written is left for the next read. {@link #replay} rebuilds
 * the table from the envelopes in file order: the check every node-level test ends with.
 */
public final class Delivered {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Delivered() {}

  /** The envelopes of the file's complete lines, in order (empty when the file does not exist yet). */
  public static List<JsonNode> envelopes(Path file) {
    try {
      if (!Files.exists(file)) {
        return List.of();
      }
      String content = Files.readString(file);
      int end = content.lastIndexOf('\n');
      if (end < 0) {
        return List.of();
      }
      List<JsonNode> out = new ArrayList<>();
      int lineNo = 0;
      for (String line : content.substring(0, end).split("\n", -1)) {
        lineNo++;
        try {
          out.add(JSON.readTree(line));
        } catch (IOException e) {
          throw new AssertionError(file + " line " + lineNo + " is not whole JSON: "
              + line.substring(0, Math.min(200, line.length())), e);
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Number of complete lines. */
  public static long count(Path file) {
    return envelopes(file).size();
  }

  /**
   * Replays the envelopes: {@code r/c/u} put the {@code after} image under its key, {@code d}
   * removes the {@code before} key, {@code t} empties the table; an update that changes the key
   * fails (it must come as a delete and a create). Key: the value of {@code idField}
   * as text. Rows are the {@code after} images with every field as text (so numbers and strings
   * compare as the database prints them).
   */
  public static Map<String, Map<String, String>> replay(Path file, String idField) {
    Map<String, Map<String, String>> rows = new HashMap<>();
    for (JsonNode e : envelopes(file)) {
      String op = e.path("op").asText();
      switch (op) {
        case "r", "c", "u" -> {
          JsonNode after = e.get("after");
          if ("u".equals(op) && e.hasNonNull("before")
              && !e.get("before").path(idField).equals(after.path(idField))) {
            throw new AssertionError("an update changed the key " + e.get("before").path(idField) + " -> "
                + after.path(idField) + " in " + file + ": a key change must be delivered as a delete and a create");
          }
          rows.put(text(after.path(idField)), fields(after));
        }
        case "d" -> rows.remove(text(e.get("before").path(idField)));
        case "t" -> rows.clear();
        default -> throw new AssertionError("unknown op '" + op + "' in " + file);
      }
    }
    return rows;
  }

  /**
   * The streamed changes of the file in the form {@link Load} records what it committed:
   * {@code c:<id>:<v>}, {@code u:<id>:<v>} (from the {@code after} image), {@code d:<id>} (from
   * {@code before}); snapshot reads and truncates are left out. In file order, duplicates kept.
   */
  public static List<String> changes(Path file, String idField, String versionField) {
    List<String> out = new ArrayList<>();
    for (JsonNode e : envelopes(file)) {
      String op = e.path("op").asText();
      switch (op) {
        case "c", "u" -> out.add(op + ":" + text(e.get("after").path(idField)) + ":"
            + text(e.get("after").path(versionField)));
        case "d" -> out.add("d:" + text(e.get("before").path(idField)));
        default -> { }
      }
    }
    return out;
  }

  /** How the delivered changes compare with the committed ones. */
  public record Tally(long committed, long delivered, long missing, long duplicates) {}

  /**
   * Every change in {@code committed} (as {@link Load#committed} gives them) is in the file, each
   * at least once: "every change present". Returns the tally (duplicates: changes delivered more
   * than once, at-least-once after a crash); fails naming the first missing changes.
   */
  public static Tally assertEveryChangePresent(Path file, List<String> committed) {
    Map<String, Integer> delivered = new HashMap<>();
    List<String> changes = changes(file, "id", "v");
    changes.forEach(c -> delivered.merge(c, 1, Integer::sum));
    List<String> missing = new ArrayList<>();
    for (String c : committed) {
      if (!delivered.containsKey(c)) {
        missing.add(c);
      }
    }
    long duplicates = 0;
    for (int n : delivered.values()) {
      duplicates += n - 1;
    }
    if (!missing.isEmpty()) {
      throw new AssertionError(missing.size() + " of " + committed.size() + " committed changes never delivered to "
          + file.getFileName() + ", first: " + missing.subList(0, Math.min(20, missing.size())));
    }
    return new Tally(committed.size(), changes.size(), 0, duplicates);
  }

  /** Rows as the database holds them, in the same form as {@link #replay}. */
  public static Map<String, Map<String, String>> rows(java.sql.Connection c, String query, String idColumn)
      throws java.sql.SQLException {
    Map<String, Map<String, String>> rows = new HashMap<>();
    try (c; var rs = c.createStatement().executeQuery(query)) {
      var meta = rs.getMetaData();
      while (rs.next()) {
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.put(meta.getColumnLabel(i), rs.getString(i));
        }
        rows.put(rs.getString(idColumn), row);
      }
    }
    return rows;
  }

  /**
   * Waits until replaying {@code file} (re-read each time: a supplier may refresh it first, as
   * {@link TopicFile#update()} does) gives exactly {@code expected}, while the node runs; fails with
   * how they differ and the node's log.
   */
  public static void awaitReplayEquals(NodeProcess node, java.util.function.Supplier<Path> file,
      Map<String, Map<String, String>> expected, java.time.Duration timeout) {
    try {
      node.await(() -> replay(file.get(), "id").equals(expected), "the delivered changes to replay into the table ("
          + expected.size() + " rows)", timeout);
    } catch (AssertionError e) {
      throw new AssertionError(file.get().getFileName() + ": " + difference(expected, replay(file.get(), "id")) + "\n"
          + e.getMessage(), e);
    }
  }

  /** Every value of {@code idField} that a delivered row image (before or after) carried. */
  public static java.util.Set<String> ids(Path file, String idField) {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (JsonNode e : envelopes(file)) {
      for (JsonNode image : new JsonNode[] {e.get("before"), e.get("after")}) {
        if (image != null && !image.isNull()) {
          ids.add(image.path(idField).asText());
        }
      }
    }
    return ids;
  }

  /** A short description of how two replays differ (for assertion messages). */
  public static String difference(Map<String, Map<String, String>> expected, Map<String, Map<String, String>> actual) {
    List<String> d = new ArrayList<>();
    for (String k : new TreeSet<>(expected.keySet())) {
      if (!expected.get(k).equals(actual.get(k))) {
        d.add("key " + k + " expected " + expected.get(k) + " got " + actual.get(k));
      }
    }
    for (String k : new TreeSet<>(actual.keySet())) {
      if (!expected.containsKey(k)) {
        d.add("key " + k + " should not exist, got " + actual.get(k));
      }
    }
    return d.size() + " rows differ, first: " + d.subList(0, Math.min(10, d.size()));
  }

  private static Map<String, String> fields(JsonNode after) {
    Map<String, String> m = new LinkedHashMap<>();
    after.fields().forEachRemaining(f -> m.put(f.getKey(), text(f.getValue())));
    return Collections.unmodifiableMap(m);
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() || n.isMissingNode() ? null : n.isValueNode() ? n.asText() : n.toString();
  }
}
