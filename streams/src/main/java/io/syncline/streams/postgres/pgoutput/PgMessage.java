package io.syncline.streams.postgres.pgoutput;

import io.syncline.persistence.Lsn;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One message of PostgreSQL's logical replication protocol as the {@code pgoutput} plugin sends it
 * with {@code proto_version=1}, decoded by {@link PgOutputDecoder}. One record per message type,
 * fields in protocol order, see <a
 * href="https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html">Logical
 * Replication Message Formats</a>.
 *
 * <p>Times are microseconds since the Unix epoch (the protocol's 2000-01-01 epoch is converted).
 * Transaction ids are unsigned 32-bit values held in a {@code long}.
 */
public sealed interface PgMessage {

  /** Microseconds between 1970-01-01 and 2000-01-01 (PostgreSQL's epoch), both UTC. */
  long PG_EPOCH_OFFSET_MICROS = 946_684_800_000_000L;

  /**
   * Start of a transaction ({@code 'B'}).
   *
   * @param finalLsn LSN of the transaction's commit record
   * @param commitTimeMicros commit time, microseconds since the Unix epoch
   * @param xid transaction id
   */
  record Begin(Lsn finalLsn, long commitTimeMicros, long xid) implements PgMessage {}

  /**
   * End of a transaction ({@code 'C'}).
   *
   * @param flags unused by the server so far (0)
   * @param commitLsn LSN of the commit record (equals {@link Begin#finalLsn()})
   * @param endLsn end LSN of the transaction: the position to acknowledge once it is delivered
   * @param commitTimeMicros commit time, microseconds since the Unix epoch
   */
  record Commit(int flags, Lsn commitLsn, Lsn endLsn, long commitTimeMicros) implements PgMessage {}

  /**
   * The transaction came from another node ({@code 'O'}), sent after Begin when the origin is set.
   *
   * @param commitLsn the commit LSN on the origin server
   * @param name origin name
   */
  record Origin(Lsn commitLsn, String name) implements PgMessage {}

  /**
   * A table definition ({@code 'R'}), sent before the first change of a table in a session and
   * again after the table changes. Row messages refer to it by {@code oid}.
   *
   * @param oid the table's OID
   * @param namespace schema name ({@code "pg_catalog"} when the server sends an empty string)
   * @param name table name
   * @param replicaIdentity {@code 'd'} default (primary key), {@code 'n'} nothing, {@code 'f'} full,
   *     {@code 'i'} index
   * @param columns the published columns, in table order
   */
  record Relation(int oid, String namespace, String name, char replicaIdentity, List<RelationColumn> columns)
      implements PgMessage {
    public Relation {
      columns = List.copyOf(columns);
    }
  }

  /**
   * One column of a {@link Relation}.
   *
   * @param key true when the column is part of the replica identity (usually the primary key)
   * @param name column name
   * @param typeOid OID of the column's type
   * @param typeModifier the type modifier ({@code atttypmod}), -1 when none
   */
  record RelationColumn(boolean key, String name, int typeOid, int typeModifier) {}

  /**
   * A non-built-in type ({@code 'Y'}) is about to be used by a Relation. Only names are sent: use
   * {@code PgTypeRegistry} to learn how to convert it.
   */
  record Type(int oid, String namespace, String name) implements PgMessage {}

  /** A row was inserted ({@code 'I'}). */
  record Insert(int relationOid, TupleData newTuple) implements PgMessage {}

  /**
   * A row was updated ({@code 'U'}).
   *
   * @param oldKind {@code 'K'} when {@code oldTuple} holds only the replica identity columns (the
   *     key changed), {@code 'O'} when it holds the whole old row (replica identity full), 0 when
   *     absent
   * @param oldTuple the old row image, or null when absent
   * @param newTuple the new row image; unchanged TOAST columns have kind {@link TupleData#UNCHANGED_TOAST}
   */
  record Update(int relationOid, char oldKind, TupleData oldTuple, TupleData newTuple) implements PgMessage {
    public Update {
      if ((oldKind == 0) != (oldTuple == null)) {
        throw new IllegalArgumentException("old tuple kind " + (int) oldKind + " does not match old tuple " + oldTuple);
      }
    }
  }

  /**
   * A row was deleted ({@code 'D'}).
   *
   * @param oldKind {@code 'K'} (key columns only, the others are null) or {@code 'O'} (whole row)
   * @param oldTuple the old row image
   */
  record Delete(int relationOid, char oldKind, TupleData oldTuple) implements PgMessage {}

  /**
   * Tables were truncated ({@code 'T'}).
   *
   * @param options bit 1: {@code CASCADE}; bit 2: {@code RESTART IDENTITY}
   * @param relationOids the truncated tables (owned by the record; do not modify)
   */
  record Truncate(int options, int[] relationOids) implements PgMessage {

    public static final int CASCADE = 1;
    public static final int RESTART_IDENTITY = 2;

    public boolean cascade() {
      return (options & CASCADE) != 0;
    }

    public boolean restartIdentity() {
      return (options & RESTART_IDENTITY) != 0;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Truncate t && options == t.options && Arrays.equals(relationOids, t.relationOids);
    }

    @Override
    public int hashCode() {
      return 31 * options + Arrays.hashCode(relationOids);
    }

    @Override
    public String toString() {
      return "Truncate[options=" + options + ", relationOids=" + Arrays.toString(relationOids) + "]";
    }
  }

  /**
   * A message written by {@code pg_logical_emit_message} ({@code 'M'}).
   *
   * @param flags bit 1: transactional (sent inside its transaction's Begin/Commit)
   * @param lsn LSN of the message
   * @param prefix the prefix given by the writer
   * @param content the payload (owned by the record; do not modify)
   */
  record LogicalMessage(int flags, Lsn lsn, String prefix, byte[] content) implements PgMessage {

    public static final int TRANSACTIONAL = 1;

    public boolean transactional() {
      return (flags & TRANSACTIONAL) != 0;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof LogicalMessage m
          && flags == m.flags
          && lsn.equals(m.lsn)
          && prefix.equals(m.prefix)
          && Arrays.equals(content, m.content);
    }

    @Override
    public int hashCode() {
      return Objects.hash(flags, lsn, prefix) * 31 + Arrays.hashCode(content);
    }

    /** Never prints the content: it is data. */
    @Override
    public String toString() {
      return "LogicalMessage[flags=" + flags + ", lsn=" + lsn + ", prefix=" + prefix
          + ", content=" + content.length + " bytes]";
    }
  }
}
