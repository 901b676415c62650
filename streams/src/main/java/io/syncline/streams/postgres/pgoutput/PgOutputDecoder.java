package io.syncline.streams.postgres.pgoutput;

import io.syncline.persistence.Lsn;
import io.syncline.streams.postgres.pgoutput.PgMessage.Begin;
import io.syncline.streams.postgres.pgoutput.PgMessage.Commit;
import io.syncline.streams.postgres.pgoutput.PgMessage.Delete;
import io.syncline.streams.postgres.pgoutput.PgMessage.Insert;
import io.syncline.streams.postgres.pgoutput.PgMessage.LogicalMessage;
import io.syncline.streams.postgres.pgoutput.PgMessage.Origin;
import io.syncline.streams.postgres.pgoutput.PgMessage.Relation;
import io.syncline.streams.postgres.pgoutput.PgMessage.RelationColumn;
import io.syncline.streams.postgres.pgoutput.PgMessage.Truncate;
import io.syncline.streams.postgres.pgoutput.PgMessage.Type;
import io.syncline.streams.postgres.pgoutput.PgMessage.Update;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the messages of the {@code pgoutput} logical decoding plugin, protocol version 1, as
 * specified in <a
 * href="https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html">Logical
 * Replication Message Formats</a>. A stateless parser: it dispatches on the tag byte, reads the
 * fields in protocol order and returns one {@link PgMessage} record. Which relation a row belongs
 * to and which transaction it is in is for the caller to track from the returned messages.
 *
 * <p>Streamed ({@code 'S' 'E' 'c' 'A'}, protocol 2+) and two-phase ({@code 'b' 'P' 'K' 'r' 'p'},
 * protocol 3+) messages are rejected: inside a streamed transaction every row message carries an
 * extra transaction id, which a stateless version-1 parser would misread. Syncline requests
 * {@code proto_version=1} without {@code streaming}, so the server never sends them.
 *
 * <p>Text (names and values) is decoded as UTF-8: the replication connection asks for
 * {@code client_encoding=UTF8}.
 */
public final class PgOutputDecoder {

  private PgOutputDecoder() {}

  /**
   * Decodes one message. Reads from the buffer's position to its limit without moving the caller's
   * position.
   *
   * @throws IllegalArgumentException for an unknown or unsupported tag, an unknown tuple column
   *     kind, or a message shorter than its fields
   */
  public static PgMessage decode(ByteBuffer message) {
    ByteBuffer b = message.duplicate().order(ByteOrder.BIG_ENDIAN);
    if (!b.hasRemaining()) {
      throw new IllegalArgumentException("empty pgoutput message");
    }
    byte tag = b.get();
    try {
      return switch (tag) {
        case 'B' -> begin(b);
        case 'C' -> commit(b);
        case 'O' -> origin(b);
        case 'R' -> relation(b);
        case 'Y' -> type(b);
        case 'I' -> insert(b);
        case 'U' -> update(b);
        case 'D' -> delete(b);
        case 'T' -> truncate(b);
        case 'M' -> logicalMessage(b);
        case 'S', 'E', 'c', 'A' -> throw new IllegalArgumentException("pgoutput message '" + (char) tag
            + "' (" + tagName(tag) + ") belongs to streamed transactions (protocol version 2+ with"
            + " streaming=on); this decoder reads protocol version 1: request proto_version=1 without streaming");
        case 'b', 'P', 'K', 'r', 'p' -> throw new IllegalArgumentException("pgoutput message '" + (char) tag
            + "' (" + tagName(tag) + ") belongs to two-phase commit decoding (protocol version 3+ with"
            + " two_phase=on); this decoder reads protocol version 1: request proto_version=1 without two_phase");
        default -> throw new IllegalArgumentException("unknown pgoutput message tag " + describe(tag));
      };
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated pgoutput " + tagName(tag) + " message: "
          + message.remaining() + " bytes are fewer than its fields need", e);
    }
  }

  private static Begin begin(ByteBuffer b) {
    Lsn finalLsn = new Lsn(b.getLong());
    long commitTime = b.getLong() + PgMessage.PG_EPOCH_OFFSET_MICROS;
    long xid = Integer.toUnsignedLong(b.getInt());
    return new Begin(finalLsn, commitTime, xid);
  }

  private static Commit commit(ByteBuffer b) {
    int flags = b.get() & 0xFF;
    Lsn commitLsn = new Lsn(b.getLong());
    Lsn endLsn = new Lsn(b.getLong());
    long commitTime = b.getLong() + PgMessage.PG_EPOCH_OFFSET_MICROS;
    return new Commit(flags, commitLsn, endLsn, commitTime);
  }

  private static Origin origin(ByteBuffer b) {
    Lsn commitLsn = new Lsn(b.getLong());
    return new Origin(commitLsn, cString(b));
  }

  private static Relation relation(ByteBuffer b) {
    int oid = b.getInt();
    String namespace = namespace(cString(b));
    String name = cString(b);
    char replicaIdentity = (char) (b.get() & 0xFF);
    int n = b.getShort() & 0xFFFF;
    List<RelationColumn> columns = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      boolean key = (b.get() & 1) != 0;
      String column = cString(b);
      int typeOid = b.getInt();
      int typeModifier = b.getInt();
      columns.add(new RelationColumn(key, column, typeOid, typeModifier));
    }
    return new Relation(oid, namespace, name, replicaIdentity, columns);
  }

  private static Type type(ByteBuffer b) {
    int oid = b.getInt();
    String namespace = namespace(cString(b));
    return new Type(oid, namespace, cString(b));
  }

  private static Insert insert(ByteBuffer b) {
    int relationOid = b.getInt();
    expect(b, 'N', "Insert");
    return new Insert(relationOid, tuple(b));
  }

  private static Update update(ByteBuffer b) {
    int relationOid = b.getInt();
    byte marker = b.get();
    char oldKind = 0;
    TupleData oldTuple = null;
    if (marker == 'K' || marker == 'O') {
      oldKind = (char) marker;
      oldTuple = tuple(b);
      marker = b.get();
    }
    if (marker != 'N') {
      throw new IllegalArgumentException("pgoutput Update of relation " + relationOid
          + ": expected 'K', 'O' or 'N' before a tuple, got " + describe(marker));
    }
    return new Update(relationOid, oldKind, oldTuple, tuple(b));
  }

  private static Delete delete(ByteBuffer b) {
    int relationOid = b.getInt();
    byte marker = b.get();
    if (marker != 'K' && marker != 'O') {
      throw new IllegalArgumentException("pgoutput Delete of relation " + relationOid
          + ": expected 'K' or 'O' before the old tuple, got " + describe(marker));
    }
    return new Delete(relationOid, (char) marker, tuple(b));
  }

  private static Truncate truncate(ByteBuffer b) {
    int n = b.getInt();
    int options = b.get() & 0xFF;
    if (n < 0 || n > b.remaining() / 4) {
      throw new IllegalArgumentException("pgoutput Truncate names " + Integer.toUnsignedString(n)
          + " relations but only " + b.remaining() + " bytes follow");
    }
    int[] oids = new int[n];
    for (int i = 0; i < n; i++) {
      oids[i] = b.getInt();
    }
    return new Truncate(options, oids);
  }

  private static LogicalMessage logicalMessage(ByteBuffer b) {
    int flags = b.get() & 0xFF;
    Lsn lsn = new Lsn(b.getLong());
    String prefix = cString(b);
    int length = b.getInt();
    if (length < 0 || length > b.remaining()) {
      throw new IllegalArgumentException("pgoutput Message '" + prefix + "' announces " + Integer.toUnsignedString(length)
          + " content bytes but " + b.remaining() + " remain");
    }
    byte[] content = new byte[length];
    b.get(content);
    return new LogicalMessage(flags, lsn, prefix, content);
  }

  /** TupleData: Int16 column count, then per column a kind byte and, for 't'/'b', Int32 length and bytes. */
  private static TupleData tuple(ByteBuffer b) {
    int n = b.getShort() & 0xFFFF;
    byte[] kinds = new byte[n];
    String[] texts = new String[n];
    byte[][] binaries = null;
    for (int i = 0; i < n; i++) {
      byte kind = b.get();
      kinds[i] = kind;
      switch (kind) {
        case TupleData.NULL, TupleData.UNCHANGED_TOAST -> { }
        case TupleData.TEXT -> texts[i] = utf8(b, length(b, i));
        case TupleData.BINARY -> {
          if (binaries == null) {
            binaries = new byte[n][];
          }
          byte[] bytes = new byte[length(b, i)];
          b.get(bytes);
          binaries[i] = bytes;
        }
        default -> throw new IllegalArgumentException(
            "unknown tuple column kind " + describe(kind) + " at column " + i + " of " + n);
      }
    }
    return new TupleData(kinds, texts, binaries);
  }

  private static int length(ByteBuffer b, int column) {
    int length = b.getInt();
    if (length < 0 || length > b.remaining()) {
      throw new IllegalArgumentException("tuple column " + column + " announces " + Integer.toUnsignedString(length)
          + " bytes but " + b.remaining() + " remain");
    }
    return length;
  }

  private static String utf8(ByteBuffer b, int length) {
    String s;
    if (b.hasArray()) {
      s = new String(b.array(), b.arrayOffset() + b.position(), length, StandardCharsets.UTF_8);
      b.position(b.position() + length);
    } else {
      byte[] bytes = new byte[length];
      b.get(bytes);
      s = new String(bytes, StandardCharsets.UTF_8);
    }
    return s;
  }

  /** A NUL-terminated string. */
  private static String cString(ByteBuffer b) {
    int start = b.position();
    int end = start;
    int limit = b.limit();
    while (end < limit && b.get(end) != 0) {
      end++;
    }
    if (end == limit) {
      throw new IllegalArgumentException("unterminated string in pgoutput message at offset " + start);
    }
    String s = utf8(b, end - start);
    b.get(); // the terminating NUL
    return s;
  }

  private static String namespace(String sent) {
    return sent.isEmpty() ? "pg_catalog" : sent; // the protocol sends "" for pg_catalog
  }

  private static void expect(ByteBuffer b, char marker, String message) {
    byte got = b.get();
    if (got != marker) {
      throw new IllegalArgumentException("pgoutput " + message + ": expected '" + marker
          + "' before the tuple, got " + describe(got));
    }
  }

  private static String describe(byte tag) {
    int v = tag & 0xFF;
    return (v >= 0x20 && v < 0x7F ? "'" + (char) v + "' " : "") + String.format("(0x%02X)", v);
  }

  private static String tagName(byte tag) {
    return switch (tag) {
      case 'B' -> "Begin";
      case 'C' -> "Commit";
      case 'O' -> "Origin";
      case 'R' -> "Relation";
      case 'Y' -> "Type";
      case 'I' -> "Insert";
      case 'U' -> "Update";
      case 'D' -> "Delete";
      case 'T' -> "Truncate";
      case 'M' -> "Message";
      case 'S' -> "Stream Start";
      case 'E' -> "Stream Stop";
      case 'c' -> "Stream Commit";
      case 'A' -> "Stream Abort";
      case 'b' -> "Begin Prepare";
      case 'P' -> "Prepare";
      case 'K' -> "Commit Prepared";
      case 'r' -> "Rollback Prepared";
      case 'p' -> "Stream Prepare";
      default -> "unknown " + describe(tag);
    };
  }
}
