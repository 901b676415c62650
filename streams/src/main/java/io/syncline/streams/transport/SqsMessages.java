package io.syncline.streams.transport;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.event.TableRef;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;

/**
 * The one home of the SQS message format (docs/transports.md, section "SQS"): how the SQS
 * transport packs many change events of one table into one message ({@link #pack}), and how a
 * consumer (the lake writer, tests) gets them back ({@link #unpack}).
 *
 * <p>A message body is JSON lines, one per change event, each ending with {@code \n}:
 *
 * <pre>{"position":{"kind":"pg","commitLsn":23456,"index":3},"seq":0,"key":{"id":7},"value":{…envelope…}}</pre>
 *
 * {@code position} is the event's source position in the journal's JSON form ({@link SourcePosition}),
 * {@code seq} is 0, or 1 for the create that follows the delete of a primary-key change at the
 * same position, {@code key} the message key (the key columns as JSON; {@code null} for tables
 * without a key) and {@code value} the Debezium-style envelope. With {@code compression = gzip}
 * the body is those lines gzipped, then base64. Every message holds events of one table, in
 * source order; its attributes ({@code String} type) say which and what:
 * {@value #A_FORMAT}, {@value #A_ENCODING}, {@value #A_SOURCE}, {@value #A_DATABASE},
 * {@value #A_SCHEMA}, {@value #A_TABLE}, {@value #A_COUNT}, {@value #A_FIRST}, {@value #A_LAST}.
 */
public final class SqsMessages {

  /** The format's name and version, attribute {@value #A_FORMAT}. */
  public static final String FORMAT = "syncline-sqs-1";
  /** Body encoding: the lines as UTF-8 text. */
  public static final String ENCODING_JSONL = "jsonl";
  /** Body encoding: the lines gzipped, then base64. */
  public static final String ENCODING_GZIP = "jsonl+gzip+base64";

  public static final String A_FORMAT = "format";
  public static final String A_ENCODING = "encoding";
  public static final String A_SOURCE = "source";
  public static final String A_DATABASE = "database";
  public static final String A_SCHEMA = "schema";
  public static final String A_TABLE = "table";
  public static final String A_COUNT = "count";
  public static final String A_FIRST = "first-position";
  public static final String A_LAST = "last-position";

  /** Bytes SQS counts per attribute besides its name and value: its data type, {@code String}. */
  private static final int ATTRIBUTE_TYPE_BYTES = "String".length();
  private static final ObjectMapper POSITIONS = new ObjectMapper();
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
  /** What finishing a deflate stream after a sync flush may add (an empty final block), and the gzip trailer. */
  private static final int FINISH_BYTES = 10 + 8;

  private SqsMessages() {}

  /**
   * One change event of a message.
   *
   * @param position its source position
   * @param seq 0, or 1 for the create that follows the delete of a key change at the same position:
   *     events are in source order by {@code (position, seq)}
   * @param key the message key as JSON text (the key columns), null when the table has no key
   * @param value the envelope as JSON text
   */
  public record Entry(SourcePosition position, int seq, String key, String value) {}

  /**
   * A packed message, ready to send.
   *
   * @param table the table of its events
   * @param body the message body
   * @param attributes its message attributes, all of type {@code String}, in the order above
   * @param records the records it holds, in order
   * @param size bytes SQS counts for it: the body and each attribute's name, type and value
   * @param deduplicationId FIFO deduplication id: SHA-256 (hex) of the table and the positions,
   *     {@code seq}s and keys of its events (a keyless event's envelope stands in for its key),
   *     so the same events packed the same way, sent again, get the same id
   * @param groupId FIFO message group id: the table ({@code source.schema.table})
   */
  public record Packed(TableRef table, String body, Map<String, String> attributes, List<OutRecord> records,
      int size, String deduplicationId, String groupId) {

    public SourcePosition first() {
      return records.get(0).position();
    }

    public SourcePosition last() {
      return records.get(records.size() - 1).position();
    }
  }

  /**
   * A record that does not fit into a message on its own.
   *
   * @param record the record
   * @param size the bytes of the smallest message holding it (body after encoding, and attributes)
   */
  public record Oversized(OutRecord record, int size) {}

  /** What {@link #pack} made of a table's records: the messages, and the records too large for any. */
  public record Packing(List<Packed> messages, List<Oversized> oversized) {}

  // ------------------------------------------------------------------ packing

  /**
   * Packs records of one table, in order, into as few messages as fit {@code maxMessageBytes}
   * each (body after encoding, plus attributes). A record too large for a message of its own is
   * left out and returned in {@link Packing#oversized()}; the records before and after it are packed.
   *
   * @param gzipLevel the deflate level when {@code gzip}
   */
  public static Packing pack(TableRef table, List<OutRecord> records, int maxMessageBytes, boolean gzip,
      int gzipLevel) {
    List<Packed> messages = new ArrayList<>();
    List<Oversized> oversized = new ArrayList<>();
    Builder current = null;
    for (OutRecord r : records) {
      Line line = new Line(r);
      if (current != null && current.tryAdd(line)) {
        continue;
      }
      if (current != null) {
        messages.add(current.finish());
      }
      current = new Builder(table, maxMessageBytes, gzip, gzipLevel);
      int alone = current.addFirst(line);
      if (alone > 0) {
        oversized.add(new Oversized(r, alone));
        current = null;
      }
    }
    if (current != null) {
      messages.add(current.finish());
    }
    return new Packing(messages, oversized);
  }

  /** One record as a line of the body, and its position's JSON. */
  private static final class Line {
    final OutRecord record;
    final String positionJson;
    final int seq;
    final byte[] bytes;

    Line(OutRecord r) {
      this.record = r;
      this.positionJson = positionJson(r.position());
      this.seq = r.headers().stream().anyMatch(h -> h.name().equals(OutRecord.OLD_KEY)) ? 1 : 0;
      ByteArrayOutputStream out = new ByteArrayOutputStream(r.value().length + 128);
      out.writeBytes(("{\"position\":" + positionJson + ",\"seq\":" + seq + ",\"key\":").getBytes(StandardCharsets.UTF_8));
      out.writeBytes(r.key() == null ? "null".getBytes(StandardCharsets.UTF_8) : safe(r.key()));
      out.writeBytes(",\"value\":".getBytes(StandardCharsets.UTF_8));
      out.writeBytes(safe(r.value()));
      out.write('}');
      out.write('\n');
      this.bytes = out.toByteArray();
    }
  }

  /**
   * JSON text on one line and within the characters SQS accepts in a body: line breaks (only
   * possible between tokens) become spaces, and the noncharacters U+FFFE and U+FFFF (only possible
   * inside strings; SQS refuses them) become the JSON escapes {@code \ufffe} and {@code \uffff},
   * the same string to a JSON reader.
   */
  static byte[] safe(byte[] json) {
    byte[] one = JsonLinesTransport.oneLine(json);
    int count = 0;
    for (int i = 0; i + 2 < one.length; i++) {
      if (one[i] == (byte) 0xEF && one[i + 1] == (byte) 0xBF && (one[i + 2] == (byte) 0xBE || one[i + 2] == (byte) 0xBF)) {
        count++;
      }
    }
    if (count == 0) {
      return one;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(one.length + count * 3);
    for (int i = 0; i < one.length; i++) {
      if (i + 2 < one.length && one[i] == (byte) 0xEF && one[i + 1] == (byte) 0xBF
          && (one[i + 2] == (byte) 0xBE || one[i + 2] == (byte) 0xBF)) {
        out.writeBytes((one[i + 2] == (byte) 0xBE ? "\\ufffe" : "\\uffff").getBytes(StandardCharsets.US_ASCII));
        i += 2;
      } else {
        out.write(one[i]);
      }
    }
    return out.toByteArray();
  }

  /** The position in the journal's JSON form ({@code {"kind":"pg",…}}), {@code null} when there is none. */
  static String positionJson(SourcePosition position) {
    if (position == null) {
      return "null";
    }
    try {
      return POSITIONS.writerFor(SourcePosition.class).writeValueAsString(position);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Builds one message: its body (plain or gzip) and what SQS will count for it. */
  private static final class Builder {
    private final TableRef table;
    private final int limit;
    private final boolean gzip;
    private final int level;
    private final int fixedAttributeBytes;
    private final List<Line> lines = new ArrayList<>();
    private final ByteArrayOutputStream plain;
    private Gzip compressed;
    /** A message of one line whose exact encoding was computed apart (it fits only without a sync flush). */
    private byte[] single;

    Builder(TableRef table, int limit, boolean gzip, int level) {
      this.table = table;
      this.limit = limit;
      this.gzip = gzip;
      this.level = level;
      this.plain = gzip ? null : new ByteArrayOutputStream(Math.min(limit, 64 * 1024));
      this.compressed = gzip ? new Gzip(level) : null;
      int fixed = 0;
      for (Map.Entry<String, String> a : fixedAttributes(table, gzip).entrySet()) {
        fixed += attributeSize(a.getKey(), a.getValue());
      }
      this.fixedAttributeBytes = fixed;
    }

    /** Attribute bytes of a message from {@code first} to {@code last} holding {@code count} lines. */
    private int attributeBytes(Line first, Line last, int count) {
      return fixedAttributeBytes + attributeSize(A_COUNT, Integer.toString(count))
          + attributeSize(A_FIRST, first.positionJson) + attributeSize(A_LAST, last.positionJson);
    }

    /**
     * Starts the message with this line. Returns 0, or the size of the smallest message holding
     * the line when even that exceeds the limit (then the builder is not to be used).
     */
    int addFirst(Line line) {
      int attributes = attributeBytes(line, line, 1);
      if (!gzip) {
        int size = line.bytes.length + attributes;
        if (size > limit) {
          return size;
        }
        plain.writeBytes(line.bytes);
        lines.add(line);
        return 0;
      }
      compressed.add(line.bytes);
      compressed.flush();
      if (base64Length(compressed.exactUpperBound()) + attributes <= limit) {
        lines.add(line);
        return 0;
      }
      // the sync flush cost a few bytes: the line alone, finished at once, is the exact answer
      compressed.end();
      Gzip alone = new Gzip(level);
      alone.add(line.bytes);
      byte[] exact = alone.finish();
      int size = base64Length(exact.length) + attributes;
      if (size > limit) {
        return size;
      }
      single = exact;
      lines.add(line);
      return 0;
    }

    /** Adds the line when the message still has room for it for sure; false when it is full. */
    boolean tryAdd(Line line) {
      if (single != null) {
        return false;
      }
      int attributes = attributeBytes(lines.get(0), line, lines.size() + 1);
      if (!gzip) {
        if (plain.size() + line.bytes.length + attributes > limit) {
          return false;
        }
        plain.writeBytes(line.bytes);
        lines.add(line);
        return true;
      }
      if (base64Length(compressed.upperBound(line.bytes.length)) + attributes > limit) {
        if (!compressed.hasPending()) {
          return false;
        }
        compressed.flush(); // what was added is now counted exactly: there may be room after all
        if (base64Length(compressed.upperBound(line.bytes.length)) + attributes > limit) {
          return false;
        }
      }
      compressed.add(line.bytes);
      lines.add(line);
      return true;
    }

    Packed finish() {
      String body;
      if (!gzip) {
        body = plain.toString(StandardCharsets.UTF_8);
      } else {
        byte[] bytes = single != null ? single : compressed.finish();
        body = Base64.getEncoder().encodeToString(bytes);
      }
      Line first = lines.get(0);
      Line last = lines.get(lines.size() - 1);
      Map<String, String> attributes = fixedAttributes(table, gzip);
      attributes.put(A_COUNT, Integer.toString(lines.size()));
      attributes.put(A_FIRST, first.positionJson);
      attributes.put(A_LAST, last.positionJson);
      int size = body.getBytes(StandardCharsets.UTF_8).length + attributeBytes(first, last, lines.size());
      List<OutRecord> records = lines.stream().map(l -> l.record).toList();
      return new Packed(table, body, attributes, records, size, deduplicationId(table, lines), groupId(table));
    }
  }

  private static Map<String, String> fixedAttributes(TableRef table, boolean gzip) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put(A_FORMAT, FORMAT);
    a.put(A_ENCODING, gzip ? ENCODING_GZIP : ENCODING_JSONL);
    a.put(A_SOURCE, table.source());
    a.put(A_DATABASE, String.valueOf(table.database()));
    a.put(A_SCHEMA, String.valueOf(table.schema()));
    a.put(A_TABLE, table.table());
    return a;
  }

  private static int attributeSize(String name, String value) {
    return name.length() + ATTRIBUTE_TYPE_BYTES + value.getBytes(StandardCharsets.UTF_8).length;
  }

  static int base64Length(long bytes) {
    return (int) Math.min(Integer.MAX_VALUE, 4 * ((bytes + 2) / 3));
  }

  /**
   * A gzip member written incrementally. Its final size is known exactly after a sync flush (plus
   * what finishing adds), and bounded from above for what was added since.
   */
  private static final class Gzip {
    private final Deflater deflater;
    private final CRC32 crc = new CRC32();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
    private final byte[] buffer = new byte[16 * 1024];
    private long pending;
    private long total;

    Gzip(int level) {
      deflater = new Deflater(level, true);
      out.writeBytes(GZIP_HEADER);
    }

    void add(byte[] bytes) {
      crc.update(bytes);
      deflater.setInput(bytes);
      while (!deflater.needsInput()) {
        drain(Deflater.NO_FLUSH);
      }
      pending += bytes.length;
      total += bytes.length;
    }

    boolean hasPending() {
      return pending > 0;
    }

    void flush() {
      int n;
      do {
        n = drain(Deflater.SYNC_FLUSH);
      } while (n == buffer.length);
      pending = 0;
    }

    private int drain(int mode) {
      int n = deflater.deflate(buffer, 0, buffer.length, mode);
      out.write(buffer, 0, n);
      return n;
    }

    /** The most bytes the finished member can have (exact up to the few bytes finishing adds) when nothing is pending. */
    long exactUpperBound() {
      return out.size() + FINISH_BYTES;
    }

    /** The most bytes the finished member can have with {@code extra} more bytes added. */
    long upperBound(long extra) {
      long raw = pending + extra;
      // deflate's worst case (stored blocks), as zlib's deflateBound, plus a sync flush marker
      return out.size() + raw + (raw >> 12) + (raw >> 14) + (raw >> 25) + 13 + 5 + FINISH_BYTES;
    }

    byte[] finish() {
      deflater.finish();
      while (!deflater.finished()) {
        drain(Deflater.NO_FLUSH);
      }
      deflater.end();
      int c = (int) crc.getValue();
      int size = (int) total;
      out.write(c);
      out.write(c >>> 8);
      out.write(c >>> 16);
      out.write(c >>> 24);
      out.write(size);
      out.write(size >>> 8);
      out.write(size >>> 16);
      out.write(size >>> 24);
      return out.toByteArray();
    }

    void end() {
      deflater.end();
    }
  }

  /**
   * The FIFO deduplication id of a message: SHA-256 (hex, 64 characters) of the format, the table,
   * the count and each event's position, {@code seq} and key. Positions alone do not tell events
   * apart: the rows of a snapshot share the snapshot's position, so their keys are part of it; a
   * keyless event's envelope stands in for its key (its processing time makes a resend of it get
   * another id: delivered twice rather than lost).
   */
  private static String deduplicationId(TableRef table, List<Line> lines) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    update(sha, FORMAT);
    update(sha, table.connector());
    update(sha, table.source());
    update(sha, String.valueOf(table.database()));
    update(sha, String.valueOf(table.schema()));
    update(sha, table.table());
    update(sha, Integer.toString(lines.size()));
    for (Line l : lines) {
      update(sha, l.positionJson);
      update(sha, Integer.toString(l.seq));
      byte[] key = l.record.key() != null ? l.record.key() : l.record.value();
      sha.update(intBytes(key.length));
      sha.update(key);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void update(MessageDigest sha, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    sha.update(intBytes(b.length));
    sha.update(b);
  }

  private static byte[] intBytes(int n) {
    return new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
  }

  /**
   * The FIFO message group of a table: {@code source.schema.table}, characters SQS does not allow
   * in a group id replaced by {@code _}, and past 128 characters shortened with a hash.
   */
  public static String groupId(TableRef table) {
    String raw = table.source() + "." + table.schema() + "." + table.table();
    StringBuilder sb = new StringBuilder(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      sb.append(c >= '!' && c <= '~' ? c : '_');
    }
    if (sb.length() <= 128) {
      return sb.toString();
    }
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8));
      return sb.substring(0, 63) + "-" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ unpacking

  /**
   * The events of a message body, in order: either encoding, told apart by the body itself (plain
   * bodies start with {@code {}, gzip+base64 ones do not), so the attributes are not needed.
   *
   * @throws IllegalArgumentException if the body is not in this format (naming the line)
   */
  public static List<Entry> unpack(String body) {
    String text = body.startsWith("{") ? body : gunzip(body);
    List<Entry> entries = new ArrayList<>();
    int start = 0;
    int n = 0;
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      n++;
      if (end > start) {
        entries.add(parseLine(text.substring(start, end), n));
      }
      start = end + 1;
    }
    return entries;
  }

  /** The events of a received message (its body; see {@link #unpack(String)}). */
  public static List<Entry> unpack(software.amazon.awssdk.services.sqs.model.Message message) {
    return unpack(message.body());
  }

  private static String gunzip(String body) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(body.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a " + FORMAT + " message body: neither JSON lines nor base64 ("
          + e.getMessage() + ")", e);
    }
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a " + FORMAT + " message body: base64 but not gzip (" + e.getMessage()
          + ")", e);
    }
  }

  private static Entry parseLine(String line, int number) {
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("a line must be a JSON object");
      }
      SourcePosition position = null;
      int seq = 0;
      String key = null;
      String value = null;
      boolean sawValue = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        int from = (int) p.currentTokenLocation().getCharOffset();
        p.skipChildren();
        int to = (int) p.currentLocation().getCharOffset();
        String raw = line.substring(from, to);
        switch (field) {
          case "position" -> position = t == JsonToken.VALUE_NULL ? null : POSITIONS.readValue(raw, SourcePosition.class);
          case "seq" -> seq = Integer.parseInt(raw.trim());
          case "key" -> key = t == JsonToken.VALUE_NULL ? null : raw;
          case "value" -> {
            value = raw;
            sawValue = true;
          }
          default -> { } // fields added by later versions
        }
      }
      if (!sawValue) {
        throw new IOException("the line has no \"value\"");
      }
      return new Entry(position, seq, key, value);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a " + FORMAT + " message: line " + number + ": " + e.getMessage(), e);
    }
  }
}
