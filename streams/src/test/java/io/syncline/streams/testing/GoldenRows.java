package io.syncline.streams.testing;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;

/** Comparison of row images against golden files, shared by the golden tests of every source. */
public final class GoldenRows {

  private GoldenRows() {}

  /**
   * Each envelope's {@code json_null.after} (the columns holding the JSON literal null, written as
   * null like SQL NULL) is exactly {@code expected} of its row's {@code id}, and absent for rows not
   * in {@code expected}.
   */
  public static void assertJsonNullColumns(Iterable<JsonNode> envelopes, java.util.Map<Integer, java.util.List<String>> expected,
      String what) {
    int seen = 0;
    for (JsonNode e : envelopes) {
      int id = e.at("/after/id").asInt();
      java.util.List<String> actual = new java.util.ArrayList<>();
      e.at("/json_null/after").forEach(c -> actual.add(c.asText()));
      java.util.List<String> wanted = expected.getOrDefault(id, java.util.List.of());
      if (!actual.equals(wanted)) {
        fail(what + ": row " + id + " json_null.after is " + actual + ", expected " + wanted + " (envelope "
            + e.get("json_null") + ")");
      }
      if (e.has("json_null") && actual.isEmpty()) {
        fail(what + ": row " + id + " has json_null " + e.get("json_null") + " without columns in after");
      }
      for (String c : wanted) {
        if (!e.get("after").get(c).isNull()) {
          fail(what + ": row " + id + " column " + c + " is listed in json_null but written as " + e.get("after").get(c));
        }
      }
      seen += expected.containsKey(id) ? 1 : 0;
    }
    if (seen != expected.size()) {
      fail(what + ": " + seen + " of the " + expected.size() + " rows with a JSON null were seen");
    }
  }

  /** Equal as JSON trees; on a difference, names each differing row and column. */
  public static void assertSameRows(JsonNode actual, JsonNode expected, String what) {
    if (actual.equals(expected)) {
      return;
    }
    StringBuilder diff = new StringBuilder(what + " differ:");
    if (actual.size() != expected.size()) {
      diff.append("\n  ").append(actual.size()).append(" rows, expected ").append(expected.size());
    }
    for (int r = 0; r < Math.min(actual.size(), expected.size()); r++) {
      JsonNode a = actual.get(r);
      JsonNode e = expected.get(r);
      for (Iterator<String> names = e.fieldNames(); names.hasNext(); ) {
        String column = names.next();
        if (!e.get(column).equals(a.get(column))) {
          diff.append("\n  row ").append(r).append(" column ").append(column)
              .append(": got ").append(a.get(column)).append(", expected ").append(e.get(column));
        }
      }
      for (Iterator<String> names = a.fieldNames(); names.hasNext(); ) {
        String column = names.next();
        if (!e.has(column)) {
          diff.append("\n  row ").append(r).append(" has unexpected column ").append(column);
        }
      }
    }
    fail(diff.toString());
  }
}
