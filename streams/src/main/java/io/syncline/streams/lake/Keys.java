package io.syncline.streams.lake;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * The sortable form of a message key ({@code {"id": 42}}), silver's {@code _key}: ASCII whose byte
 * order follows the key's values (integers numerically, strings by their UTF-8 bytes), so that rows
 * of serial keys written in order fill files with narrow, non-overlapping {@code _key} ranges and a
 * commit touches only the files whose range holds a changed key. Each key column in key order: a tag
 * ({@code n} integer, {@code s} string, {@code j} any other JSON value), fixed-width hex for an
 * integer (sign bit flipped), hex of the UTF-8 bytes otherwise, then {@code .}, which sorts below
 * every hex digit, so that a prefix sorts first.
 */
final class Keys {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Keys() {}

  static String sortable(String keyJson) {
    JsonNode key;
    try {
      key = Envelope.EXACT.readTree(keyJson);
    } catch (IOException e) {
      throw new IllegalArgumentException("a message key is not valid JSON (" + e.getClass().getSimpleName() + ")");
    }
    StringBuilder out = new StringBuilder(32);
    if (!key.isObject()) {
      part(out, key);
      return out.toString();
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = key.fields(); it.hasNext(); ) {
      part(out, it.next().getValue());
    }
    return out.toString();
  }

  private static void part(StringBuilder out, JsonNode v) {
    if (v.isIntegralNumber() && v.bigIntegerValue().bitLength() < 64) {
      long flipped = v.longValue() ^ Long.MIN_VALUE;
      out.append('n');
      for (int shift = 60; shift >= 0; shift -= 4) {
        out.append(HEX[(int) (flipped >>> shift) & 0xf]);
      }
    } else if (v.isTextual()) {
      out.append('s');
      hex(out, v.asText().getBytes(StandardCharsets.UTF_8));
    } else {
      out.append('j');
      hex(out, (v.isBigInteger() ? ((BigInteger) v.numberValue()).toString() : v.toString())
          .getBytes(StandardCharsets.UTF_8));
    }
    out.append('.');
  }

  private static void hex(StringBuilder out, byte[] bytes) {
    for (byte b : bytes) {
      out.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
    }
  }
}
