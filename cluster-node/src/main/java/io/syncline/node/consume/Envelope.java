package io.syncline.node.consume;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a change-event envelope (Syncline's, or Debezium's JSON with or without
 * {@code schemas.enable}) that the CSV files need.
 *
 * @param op {@code c}, {@code u}, {@code d}, {@code r} or {@code t}
 * @param tsMs {@code source.ts_ms}, the commit time at the source (snapshot reads: the snapshot's
 *     start); null when the envelope has none
 * @param before the {@code before} row image, null when absent or JSON null
 * @param after the {@code after} row image, null when absent or JSON null
 */
record Envelope(String op, String tsMs, Cells before, Cells after) {

  private static final JsonFactory FACTORY = new JsonFactory();

  /**
   * One row image as CSV cell texts, in the order of the JSON object: strings unescaped, numbers
   * as written, {@code true}/{@code false}, objects and arrays as their JSON text, null as null.
   */
  record Cells(List<String> names, List<String> values) {
    static final Cells NONE = new Cells(List.of(), List.of());
  }

  /**
   * Reads a record value. Returns null for a tombstone (null value: Kafka's marker for log
   * compaction after a delete, which carries no row).
   *
   * @throws IllegalArgumentException when the value is not a change-event envelope
   */
  static Envelope parse(byte[] value) {
    if (value == null) {
      return null;
    }
    try (JsonParser p = FACTORY.createParser(value)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("the value is not a JSON object");
      }
      Envelope e = readEnvelope(p, value);
      if (e.op == null) {
        throw new IllegalArgumentException("the value has no \"op\" field");
      }
      return e;
    } catch (JacksonException e) {
      throw new IllegalArgumentException("the value is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads a message key: the key columns as a JSON object ({@code {"schema":…,"payload":{…}}}
   * with Debezium's {@code schemas.enable}). Null for a null key.
   */
  static Cells parseKey(byte[] key) {
    if (key == null) {
      return null;
    }
    try (JsonParser p = FACTORY.createParser(key)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("the key is not a JSON object");
      }
      Cells cells = readCells(p, key);
      int payload = cells.names().indexOf("payload");
      if (payload >= 0 && cells.names().size() == 2 && cells.names().contains("schema")) {
        String json = cells.values().get(payload);
        return json == null ? null : parseKey(json.getBytes(StandardCharsets.UTF_8));
      }
      return cells;
    } catch (JacksonException e) {
      throw new IllegalArgumentException("the key is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The fields of an envelope object; the parser stands on its START_OBJECT. */
  private static Envelope readEnvelope(JsonParser p, byte[] json) throws IOException {
    String op = null;
    String tsMs = null;
    Cells before = null;
    Cells after = null;
    Envelope payload = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "op" -> op = t == JsonToken.VALUE_STRING ? p.getText() : null;
        case "before" -> before = rowImage(p, t, json, field);
        case "after" -> after = rowImage(p, t, json, field);
        case "source" -> tsMs = t == JsonToken.START_OBJECT ? sourceTsMs(p) : null;
        case "payload" -> {
          if (t == JsonToken.START_OBJECT) {
            payload = readEnvelope(p, json);
          } else {
            p.skipChildren();
          }
        }
        default -> p.skipChildren();
      }
    }
    // Debezium's JSON converter with schemas.enable=true: {"schema":{…},"payload":{<envelope>}}
    return op == null && payload != null ? payload : new Envelope(op, tsMs, before, after);
  }

  private static Cells rowImage(JsonParser p, JsonToken t, byte[] json, String field) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    if (t != JsonToken.START_OBJECT) {
      throw new IllegalArgumentException("\"" + field + "\" is neither a JSON object nor null");
    }
    return readCells(p, json);
  }

  private static String sourceTsMs(JsonParser p) throws IOException {
    String ts = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      if (field.equals("ts_ms") && t.isNumeric()) {
        ts = p.getText();
      } else {
        p.skipChildren();
      }
    }
    return ts;
  }

  /** The fields of an object as cells; the parser stands on its START_OBJECT. */
  private static Cells readCells(JsonParser p, byte[] json) throws IOException {
    List<String> names = new ArrayList<>();
    List<String> values = new ArrayList<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      names.add(p.currentName());
      JsonToken t = p.nextToken();
      values.add(switch (t) {
        case VALUE_NULL -> null;
        case VALUE_TRUE -> "true";
        case VALUE_FALSE -> "false";
        case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getText();
        case START_OBJECT, START_ARRAY -> {
          // the JSON text exactly as it stands in the record
          int start = (int) p.currentTokenLocation().getByteOffset();
          p.skipChildren();
          int end = (int) p.currentLocation().getByteOffset();
          yield new String(json, start, end - start, StandardCharsets.UTF_8);
        }
        default -> throw new IllegalArgumentException("unexpected JSON token " + t + " in field \"" + names.get(names.size() - 1) + "\"");
      });
    }
    return new Cells(names, values);
  }
}
