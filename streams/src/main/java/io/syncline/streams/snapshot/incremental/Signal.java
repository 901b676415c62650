package io.syncline.streams.snapshot.incremental;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import java.util.ArrayList;
import java.util.List;

/**
 * What a row of the signal table means, read from the change stream (Debezium's signal model):
 * columns {@code id}, {@code type}, {@code data}.
 *
 * <ul>
 *   <li>{@code execute-snapshot}, data {@code {"data-collections":["public.t"],"type":"incremental",
 *       "from":"1","to":"5000"}} ({@code from}/{@code to}: optional, inclusive, single-column keys);
 *   <li>{@code stop-snapshot}, data {@code {"data-collections":["public.t"]}} (none or empty: all);
 *   <li>{@code snapshot-window-open} / {@code snapshot-window-close}: the watermarks the source
 *       writes around each chunk it reads, data = the chunk id.
 * </ul>
 */
public sealed interface Signal {

  String EXECUTE_SNAPSHOT = "execute-snapshot";
  String STOP_SNAPSHOT = "stop-snapshot";
  String WINDOW_OPEN = "snapshot-window-open";
  String WINDOW_CLOSE = "snapshot-window-close";

  /** Read the tables in {@code tables}, in that order (optionally only keys {@code from}..{@code to}). */
  record ExecuteSnapshot(String id, List<String> tables, String from, String to) implements Signal {}

  /** Stop reading {@code tables} (all when empty). */
  record StopSnapshot(String id, List<String> tables) implements Signal {}

  /** Low watermark of chunk {@code chunkId}. */
  record WindowOpen(String chunkId) implements Signal {}

  /** High watermark of chunk {@code chunkId}. */
  record WindowClose(String chunkId) implements Signal {}

  /** A row that is no signal we know (ignored, logged). */
  record Unknown(String id, String type, String why) implements Signal {}

  ObjectMapper JSON = new ObjectMapper();

  /**
   * What a change of the signal table means: inserts are signals, updates only of the watermark row
   * count; null for anything else (deletes, truncates, other updates).
   */
  static Signal of(ChangeEvent e) {
    if (e.op() != Op.CREATE && e.op() != Op.UPDATE && e.op() != Op.READ) {
      return null;
    }
    Row r = e.after();
    String id = text(r, "id");
    String type = text(r, "type");
    String data = text(r, "data");
    if (e.op() == Op.UPDATE && !WINDOW_OPEN.equals(type) && !WINDOW_CLOSE.equals(type)) {
      return null; // signals are inserts; only the watermark row is updated in place
    }
    return parse(id, type, data);
  }

  /** Parses one signal row. */
  static Signal parse(String id, String type, String data) {
    if (type == null) {
      return new Unknown(id, null, "no type");
    }
    switch (type) {
      case WINDOW_OPEN:
        return new WindowOpen(data);
      case WINDOW_CLOSE:
        return new WindowClose(data);
      case EXECUTE_SNAPSHOT:
      case STOP_SNAPSHOT:
        break;
      default:
        return new Unknown(id, type, "unknown type");
    }
    JsonNode json;
    try {
      json = data == null || data.isBlank() ? JSON.createObjectNode() : JSON.readTree(data);
    } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
      return new Unknown(id, type, "data is not JSON: " + ex.getOriginalMessage());
    }
    List<String> tables = new ArrayList<>();
    for (JsonNode t : json.path("data-collections")) {
      tables.add(t.asText());
    }
    if (type.equals(STOP_SNAPSHOT)) {
      return new StopSnapshot(id, tables);
    }
    if (tables.isEmpty()) {
      return new Unknown(id, type, "data-collections is missing or empty");
    }
    String kind = json.path("type").asText("incremental");
    if (!kind.equalsIgnoreCase("incremental")) {
      return new Unknown(id, type, "only type incremental is supported, got '" + kind + "'");
    }
    String from = json.hasNonNull("from") ? json.get("from").asText() : null;
    String to = json.hasNonNull("to") ? json.get("to").asText() : null;
    return new ExecuteSnapshot(id, tables, from, to);
  }

  private static String text(Row r, String column) {
    if (r == null || r.schema().indexOf(column) < 0) {
      return null;
    }
    Object v = r.get(column);
    return v == null ? null : v.toString();
  }
}
