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

  /**
   * The identity of one change event: its sortable position, {@code /}, then its key in sortable
   * form, or for a change without a key a digest of its row image. The position alone does not do:
   * the rows of a snapshot all carry the snapshot's position (an incremental snapshot's chunk, its
   * high watermark). Two rows of a keyless table read by one snapshot and equal in every column are
   * one event (nothing tells them apart). Ordered by position, then key.
   */
  static String eventId(String positionSort, byte[] key, Envelope e) {
    if (key != null) {
      return positionSort + "/" + sortable(new String(key, StandardCharsets.UTF_8));
    }
    String image = e.after() != null ? e.after() : e.before() != null ? e.before() : "";
    return positionSort + "/h" + digest(image);
  }

  /** The identity of an event of a keyless table as bronze stores it (see {@link #eventId}). */
  static String keylessId(String positionSort, String after, String before) {
    return positionSort + "/h" + digest(after != null ? after : before != null ? before : "");
  }

  private static String digest(String image) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(image.getBytes(StandardCharsets.UTF_8));
      StringBuilder out = new StringBuilder(32);
      hex(out, java.util.Arrays.copyOf(d, 16));
      return out.toString();
    } catch (java.security.NoSuchAlgorithmException ex) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", ex);
    }
  }

  /** The position part of an {@link #eventId}. */
  static String positionOf(String eventId) {
    return eventId.substring(0, eventId.indexOf('/'));
  }

  private static void hex(StringBuilder out, byte[] bytes) {
    for (byte b : bytes) {
      out.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
    }
  }
}
