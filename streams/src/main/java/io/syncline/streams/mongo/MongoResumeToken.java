package io.syncline.streams.mongo;

import java.util.HexFormat;
import java.util.Optional;
import org.bson.BsonDocument;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;

/**
 * What a change stream's resume token says about where the stream stands: its cluster time, and
 * whether it is a <em>high-water mark</em> (a post-batch resume token of a batch that ended with
 * the server's scan, sorting before every event at its cluster time) or an event's own token.
 *
 * <p>Format, MongoDB 4.2+ (and 4.0.7+): {@code _data} is a hex string (the documentation's
 * "Resume Tokens" section gives the {@code _data} type per server version), the KeyString
 * encoding of the token's fields in this order (server {@code src/mongo/db/pipeline/resume_token.cpp},
 * {@code src/mongo/db/storage/key_string.cpp}): {@code clusterTime}, a Timestamp (type byte 130 =
 * {@code 0x82}, then seconds and increment as unsigned 32-bit big-endian); {@code version}, an
 * integer; from version 1 on {@code tokenType}, an integer, 0 for a high-water mark and 128 for an
 * event; then fields not read here (txnOpIndex, fromInvalidate, the collection UUID, the event's
 * identifier). A small non-negative integer in KeyString is type byte 41 for zero, or 43 + n - 1
 * followed by n bytes holding {@code value << 1}.
 *
 * <p>Only those leading fields are decoded. A token this does not recognise (BinData {@code _data}
 * of MongoDB 3.6, a version-0 token of 4.0.0-4.0.6 without a token type, another server's format
 * such as the embedded imitation's) decodes to {@link Optional#empty()} or {@link Kind#UNKNOWN}: the
 * caller then does without it, never guesses a time.
 */
record MongoResumeToken(BsonTimestamp clusterTime, int version, Kind kind) {

  /** What the token marks. */
  enum Kind {
    /** Before every event at {@code clusterTime} and after every event before it that the stream returned. */
    HIGH_WATER_MARK,
    /** One change event. */
    EVENT,
    /** A version or token type this class does not know. */
    UNKNOWN
  }

  private static final int TIMESTAMP = 130;
  private static final int NUMERIC_ZERO = 41;
  private static final int POSITIVE_1_BYTE_INT = 43;
  private static final int POSITIVE_4_BYTE_INT = 46;
  private static final int HIGH_WATER_MARK_TYPE = 0;
  private static final int EVENT_TYPE = 128;

  /** The token's cluster time and kind, or empty when {@code token} is not a hex KeyString token with a timestamp. */
  static Optional<MongoResumeToken> decode(BsonDocument token) {
    BsonValue data = token == null ? null : token.get("_data");
    if (data == null || !data.isString()) {
      return Optional.empty();
    }
    byte[] bytes;
    try {
      bytes = HexFormat.of().parseHex(data.asString().getValue());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (bytes.length < 9 || (bytes[0] & 0xFF) != TIMESTAMP) {
      return Optional.empty();
    }
    BsonTimestamp clusterTime = new BsonTimestamp(readInt(bytes, 1), readInt(bytes, 5));
    int[] at = {9};
    int version = smallInt(bytes, at);
    if (version < 0) {
      return Optional.of(new MongoResumeToken(clusterTime, -1, Kind.UNKNOWN));
    }
    if (version == 0) {
      return Optional.of(new MongoResumeToken(clusterTime, 0, Kind.UNKNOWN)); // no token type before version 1
    }
    int type = smallInt(bytes, at);
    Kind kind = type == HIGH_WATER_MARK_TYPE ? Kind.HIGH_WATER_MARK : type == EVENT_TYPE ? Kind.EVENT : Kind.UNKNOWN;
    return Optional.of(new MongoResumeToken(clusterTime, version, kind));
  }

  private static int readInt(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
  }

  /**
   * A KeyString integer from 0 to 2^31 - 1 at {@code at[0]} (advanced past it), or -1 when the
   * bytes there are something else (another type, a fraction, a larger number, the end).
   */
  private static int smallInt(byte[] b, int[] at) {
    if (at[0] >= b.length) {
      return -1;
    }
    int type = b[at[0]] & 0xFF;
    if (type == NUMERIC_ZERO) {
      at[0]++;
      return 0;
    }
    if (type < POSITIVE_1_BYTE_INT || type > POSITIVE_4_BYTE_INT) {
      return -1;
    }
    int n = type - POSITIVE_1_BYTE_INT + 1;
    if (at[0] + 1 + n > b.length) {
      return -1;
    }
    long encoded = 0;
    for (int i = 1; i <= n; i++) {
      encoded = (encoded << 8) | (b[at[0] + i] & 0xFF);
    }
    if ((encoded & 1) != 0) {
      return -1; // a fractional part follows: not an integer
    }
    at[0] += 1 + n;
    long value = encoded >>> 1;
    return value > Integer.MAX_VALUE ? -1 : (int) value;
  }
}
