package io.syncline.streams.lake;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of an encoded change event (the envelope of {@link io.syncline.streams.envelope.EnvelopeEncoder})
 * the lake needs. {@code before}, {@code after} and {@code source} are kept as the exact JSON text
 * of the envelope (bronze stores them as they were sent); silver parses {@code after} with exact
 * decimals ({@link #afterObject()}).
 *
 * @param op the envelope's op code: {@code c}, {@code u}, {@code d}, {@code r}, {@code t}
 * @param before the before image's JSON text, or null
 * @param after the after image's JSON text, or null
 * @param source the source block's JSON text
 * @param commitMicros the source commit time ({@code source.ts_us}, else {@code source.ts_ms} x 1000)
 * @param txId the source transaction id ({@code transaction.id}), or null
 * @param unchangedToast columns of {@code after} the source did not send
 */
record Envelope(String op, String before, String after, String source, long commitMicros, String txId,
    List<String> unchangedToast) {

  /**
   * Parsers get their buffers from a shared lock-free pool, not Jackson's default per-thread one:
   * on the lake's I/O threads (which carry many thread-locals of Hadoop and Parquet) the thread-local
   * lookup was a tenth of the writer's time.
   */
  static final JsonFactory FACTORY = JsonFactory.builder().recyclerPool(JsonRecyclerPools.sharedLockFreePool()).build();
  static final ObjectMapper EXACT = new ObjectMapper(FACTORY)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

  /** Parses an envelope; a malformed one is an {@link IllegalArgumentException} naming what is wrong (no data). */
  static Envelope parse(byte[] value) {
    String op = null;
    String before = null;
    String after = null;
    String source = null;
    String txId = null;
    long[] micros = {Long.MIN_VALUE};
    List<String> toast = List.of();
    try (JsonParser p = FACTORY.createParser(value)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("a change event envelope is a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "op" -> op = p.getText();
          case "before" -> before = slice(p, t, value);
          case "after" -> after = slice(p, t, value);
          case "source" -> source = sourceBlock(p, t, value, micros);
          case "transaction" -> txId = transactionId(p, t);
          case "unchanged_toast" -> toast = strings(p, t);
          default -> p.skipChildren();
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("a change event envelope is not valid JSON (" + e.getClass().getSimpleName() + ")");
    }
    if (op == null || source == null) {
      throw new IllegalArgumentException("a change event envelope needs op and source");
    }
    return new Envelope(op, before, after, source, micros[0] == Long.MIN_VALUE ? 0 : micros[0], txId, toast);
  }

  /** The after image as an object with exact numbers, or null. */
  ObjectNode afterObject() {
    return object(after);
  }

  /** The before image as an object with exact numbers, or null. */
  ObjectNode beforeObject() {
    return object(before);
  }

  private static ObjectNode object(String json) {
    if (json == null) {
      return null;
    }
    try {
      JsonNode n = EXACT.readTree(json);
      return n instanceof ObjectNode o ? o : null;
    } catch (IOException e) {
      throw new IllegalArgumentException("a row image of a change event is not valid JSON (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** The JSON text of the value the parser is at (an object, array or scalar); null for JSON null. */
  private static String slice(JsonParser p, JsonToken t, byte[] value) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    int start = (int) p.currentTokenLocation().getByteOffset();
    p.skipChildren();
    int end = (int) p.currentLocation().getByteOffset();
    return new String(value, start, end - start, StandardCharsets.UTF_8);
  }

  private static String transactionId(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_OBJECT) {
      p.skipChildren();
      return null;
    }
    String id = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      p.nextToken();
      if (f.equals("id")) {
        id = p.getValueAsString();
      } else {
        p.skipChildren();
      }
    }
    return id;
  }

  private static List<String> strings(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_ARRAY) {
      p.skipChildren();
      return List.of();
    }
    List<String> out = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      out.add(p.getText());
    }
    return out;
  }

  /**
   * The source block's JSON text, reading its commit time on the way into {@code micros[0]}
   * ({@code ts_us}, else {@code ts_ms} x 1000).
   */
  private static String sourceBlock(JsonParser p, JsonToken t, byte[] value, long[] micros) throws IOException {
    if (t != JsonToken.START_OBJECT) {
      return slice(p, t, value);
    }
    int start = (int) p.currentTokenLocation().getByteOffset();
    long ms = Long.MIN_VALUE;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      JsonToken v = p.nextToken();
      if (f.equals("ts_us") && v == JsonToken.VALUE_NUMBER_INT) {
        micros[0] = p.getLongValue();
      } else if (f.equals("ts_ms") && v == JsonToken.VALUE_NUMBER_INT) {
        ms = p.getLongValue();
      } else {
        p.skipChildren();
      }
    }
    if (micros[0] == Long.MIN_VALUE && ms != Long.MIN_VALUE) {
      micros[0] = ms * 1000;
    }
    int end = (int) p.currentLocation().getByteOffset();
    return new String(value, start, end - start, StandardCharsets.UTF_8);
  }

}
