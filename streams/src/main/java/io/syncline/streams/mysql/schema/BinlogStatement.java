package io.syncline.streams.mysql.schema;

import io.syncline.streams.mysql.schema.DdlTokenizer.Token;
import io.syncline.streams.mysql.schema.DdlTokenizer.Type;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * What the statement of a binlog QUERY event is, for the reader of a row-based binlog. In ROW
 * format the server logs row changes as row events; QUERY events carry the transaction's frame,
 * the statements that are not row changes, and DDL:
 * <ul>
 *   <li>{@link Begin}, {@link Commit}, {@link Rollback}: the frame of a transaction ({@code COMMIT}
 *       ends the groups of non-transactional engines, which have no XID event);</li>
 *   <li>{@link Savepoint}, {@link RollbackToSavepoint}, {@link ReleaseSavepoint}: inside a
 *       transaction; a {@code ROLLBACK TO} in the binlog cancels the row events logged since its
 *       savepoint (the server logs it, with those rows, when the transaction also wrote a
 *       non-transactional table; otherwise it drops the rows before logging);</li>
 *   <li>{@link XaStart} … {@link XaRollback}: XA transactions (MySQL logs {@code XA START} as a
 *       query, MariaDB in the GTID event; both log {@code XA END} inside the transaction, its
 *       {@code XA PREPARE} as an event of its own, and {@code XA COMMIT} / {@code XA ROLLBACK} as a
 *       group of their own, later);</li>
 *   <li>{@link Truncate}: {@code TRUNCATE TABLE}, which deletes every row without row events;</li>
 *   <li>{@link Dml}: INSERT, UPDATE, DELETE, REPLACE, LOAD as a statement: logged so only by a
 *       session whose {@code binlog_format} is not ROW; its rows are not in the binlog;</li>
 *   <li>{@link Other}: DDL and every other statement (GRANT, CREATE USER, views, routines): handed
 *       to the schema tracker, as a group of its own or inside a transaction (the server logs the
 *       CREATE TABLE of a {@code CREATE TABLE … SELECT} inside the transaction that holds its rows),
 *       where it ends nothing.</li>
 * </ul>
 * Keywords in any case, names quoted or not, comments anywhere (as {@link DdlTokenizer} reads them).
 */
public sealed interface BinlogStatement {

  /** {@code BEGIN [WORK]}, {@code START TRANSACTION …}. */
  record Begin() implements BinlogStatement {}

  /** {@code COMMIT [WORK] …}. */
  record Commit() implements BinlogStatement {}

  /** {@code ROLLBACK [WORK] …} (not to a savepoint). */
  record Rollback() implements BinlogStatement {}

  /** {@code SAVEPOINT name}; names compare case-insensitively, as the server compares them. */
  record Savepoint(String name) implements BinlogStatement {}

  /** {@code ROLLBACK [WORK] TO [SAVEPOINT] name}. */
  record RollbackToSavepoint(String name) implements BinlogStatement {}

  /** {@code RELEASE SAVEPOINT name}. */
  record ReleaseSavepoint(String name) implements BinlogStatement {}

  /** {@code XA {START|BEGIN} xid [JOIN|RESUME]}. */
  record XaStart(Xid xid) implements BinlogStatement {}

  /** {@code XA END xid [SUSPEND [FOR MIGRATE]]}. */
  record XaEnd(Xid xid) implements BinlogStatement {}

  /** {@code XA PREPARE xid} (servers log it as an XA_PREPARE event; the statement form is read the same). */
  record XaPrepare(Xid xid) implements BinlogStatement {}

  /** {@code XA COMMIT xid [ONE PHASE]}. */
  record XaCommit(Xid xid, boolean onePhase) implements BinlogStatement {}

  /** {@code XA ROLLBACK xid}. */
  record XaRollback(Xid xid) implements BinlogStatement {}

  /** {@code TRUNCATE [TABLE] name}; {@code table} null when unqualified without a default database. */
  record Truncate(TableName table) implements BinlogStatement {}

  /** A row change logged as a statement (not as row events). */
  record Dml() implements BinlogStatement {}

  /** Anything else: DDL, or a statement that changes no row a row event would carry. */
  record Other() implements BinlogStatement {}

  /**
   * An XA transaction id: {@code gtrid}, {@code bqual} (bytes, as lower-case hex) and
   * {@code formatId}, as {@code XA RECOVER} and the binlog show it ({@code X'7831',X'',1}).
   */
  record Xid(String gtrid, String bqual, long formatId) {
    public Xid {
      gtrid = gtrid.toLowerCase(Locale.ROOT);
      bqual = bqual.toLowerCase(Locale.ROOT);
    }

    /** From an XA_PREPARE event: {@code data} holds gtrid then bqual. */
    public static Xid of(int formatId, int gtridLength, int bqualLength, byte[] data) {
      HexFormat hex = HexFormat.of();
      return new Xid(hex.formatHex(data, 0, gtridLength), hex.formatHex(data, gtridLength, gtridLength + bqualLength),
          formatId);
    }

    @Override
    public String toString() {
      return "X'" + gtrid + "',X'" + bqual + "'," + formatId;
    }
  }

  /** Classifies one QUERY event's statement, read as {@code server} reads it. */
  static BinlogStatement of(String sql, String defaultDatabase, ServerVersion server) {
    return new Reader(DdlTokenizer.tokenize(sql, server), defaultDatabase).statement();
  }

  /** A small reader over the tokens of one statement. */
  final class Reader {
    private static final Other OTHER = new Other();
    private final TokenCursor in;
    private final String defaultDatabase;

    private Reader(List<Token> tokens, String defaultDatabase) {
      this.in = new TokenCursor(tokens);
      this.defaultDatabase = defaultDatabase == null || defaultDatabase.isEmpty() ? null : defaultDatabase;
    }

    BinlogStatement statement() {
      try {
        if (in.accept("BEGIN")) {
          in.accept("WORK");
          return in.atEnd() ? new Begin() : OTHER; // BEGIN NOT ATOMIC … is a compound statement
        }
        if (in.accept("START")) {
          return in.accept("TRANSACTION") ? new Begin() : OTHER;
        }
        if (in.accept("COMMIT")) {
          return new Commit();
        }
        if (in.accept("ROLLBACK")) {
          in.accept("WORK");
          if (in.accept("TO")) {
            in.accept("SAVEPOINT");
            return new RollbackToSavepoint(name());
          }
          return new Rollback();
        }
        if (in.accept("SAVEPOINT")) {
          return new Savepoint(name());
        }
        if (in.accept("RELEASE")) {
          return in.accept("SAVEPOINT") ? new ReleaseSavepoint(name()) : OTHER;
        }
        if (in.accept("XA")) {
          return xa();
        }
        if (in.accept("TRUNCATE")) {
          in.accept("TABLE");
          return new Truncate(tableName());
        }
        if (in.accept("INSERT") || in.accept("UPDATE") || in.accept("DELETE") || in.accept("REPLACE")
            || (in.accept("LOAD") && (in.peek().is("DATA") || in.peek().is("XML")))) {
          return new Dml();
        }
        return OTHER;
      } catch (IllegalArgumentException e) {
        return OTHER; // not one of ours after all: the schema tracker decides
      }
    }

    private BinlogStatement xa() {
      if (in.accept("START") || in.accept("BEGIN")) {
        return new XaStart(xid());
      }
      if (in.accept("END")) {
        return new XaEnd(xid());
      }
      if (in.accept("PREPARE")) {
        return new XaPrepare(xid());
      }
      if (in.accept("COMMIT")) {
        Xid xid = xid();
        return new XaCommit(xid, in.accept("ONE") && in.accept("PHASE"));
      }
      if (in.accept("ROLLBACK")) {
        return new XaRollback(xid());
      }
      return OTHER; // XA RECOVER
    }

    /** {@code gtrid [, bqual [, formatID]]}: string literals ({@code 'x'}, {@code X'78'}, {@code 0x78}) and a number. */
    private Xid xid() {
      String gtrid = bytesLiteral();
      String bqual = "";
      long format = 1;
      if (in.acceptSymbol(',')) {
        bqual = bytesLiteral();
        if (in.acceptSymbol(',')) {
          Token t = in.next();
          if (t.type() != Type.NUMBER) {
            throw new IllegalArgumentException("XA format id expected");
          }
          format = Long.parseLong(t.text());
        }
      }
      return new Xid(gtrid, bqual, format);
    }

    private String bytesLiteral() {
      Token t = in.next();
      if (t.type() == Type.STRING) {
        return HexFormat.of().formatHex(t.text().getBytes(StandardCharsets.UTF_8));
      }
      if (t.type() == Type.WORD && (t.text().equalsIgnoreCase("x")) && in.peek().type() == Type.STRING) {
        return checkedHex(in.next().text());
      }
      if (t.type() == Type.WORD && t.text().length() > 2 && t.text().regionMatches(true, 0, "0x", 0, 2)) {
        return checkedHex(t.text().substring(2));
      }
      throw new IllegalArgumentException("XA id literal expected");
    }

    private static String checkedHex(String hex) {
      HexFormat.of().parseHex(hex); // throws IllegalArgumentException when not hex
      return hex;
    }

    private String name() {
      Token t = in.next();
      if (t.type() == Type.WORD || t.type() == Type.QUOTED) {
        return t.text().toLowerCase(Locale.ROOT);
      }
      throw new IllegalArgumentException("savepoint name expected");
    }

    private TableName tableName() {
      String first = identifier();
      if (in.acceptSymbol('.')) {
        return new TableName(first, identifier());
      }
      return defaultDatabase == null ? null : new TableName(defaultDatabase, first);
    }

    private String identifier() {
      Token t = in.next();
      if (t.type() == Type.WORD || t.type() == Type.QUOTED) {
        return t.text();
      }
      throw new IllegalArgumentException("name expected");
    }
  }
}
