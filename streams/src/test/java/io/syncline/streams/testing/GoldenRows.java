package io.syncline.streams.testing;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;

/** Comparison of row images against golden files, shared by the golden tests of every source. */
public final class GoldenRows {

  private GoldenRows() {}

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
