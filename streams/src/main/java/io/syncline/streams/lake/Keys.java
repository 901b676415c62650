package io.syncline.streams.lake;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

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
    StringBuilder out = new StringBuilder(32);
    try (JsonParser p = Envelope.FACTORY.createParser(keyJson)) {
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_OBJECT) {
        part(out, p, t);
        return out.toString();
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        part(out, p, p.nextToken());
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("a message key is not valid JSON (" + e.getClass().getSimpleName() + ")");
    }
    return out.toString();
  }

  private static void part(StringBuilder out, JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
      long flipped = p.getLongValue() ^ Long.MIN_VALUE;
      out.append('n');
      for (int shift = 60; shift >= 0; shift -= 4) {
        out.append(HEX[(int) (flipped >>> shift) & 0xf]);
      }
    } else if (t == JsonToken.VALUE_STRING) {
      out.append('s');
      hex(out, p.getText().getBytes(StandardCharsets.UTF_8));
    } else {
      out.append('j');
      hex(out, (t.isScalarValue() ? p.getText() : Envelope.EXACT.readTree(p).toString()).getBytes(StandardCharsets.UTF_8));
    }
    out.append('.');
  }

  private static void hex(StringBuilder out, byte[] bytes) {
    for (byte b : bytes) {
      out.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
    }
  }
}
