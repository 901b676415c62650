package io.syncline.streams.postgres;

import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.event.Unchanged;
import io.syncline.streams.postgres.pgoutput.PgMessage;
import io.syncline.streams.postgres.pgoutput.TupleData;
import io.syncline.streams.postgres.types.PgTypeRegistry;
import io.syncline.streams.postgres.types.ValueConverter;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns decoded pgoutput messages into {@link CaptureRecord}s: keeps the relation definitions the
 * server sent (so an ALTER TABLE mid-stream takes effect at the right change), the current
 * transaction's context (commit LSN, xid, commit time, change order), and converts column values
 * with converters resolved once per relation. Not thread-safe: used by the reader thread only.
 */
final class PgChangeAssembler {

  private static final Logger log = LoggerFactory.getLogger(PgChangeAssembler.class);

  /** A relation as last described by the server. {@code table} is null when not captured. */
  private record RelationInfo(TableRef table, RowSchema schema, ValueConverter[] converters) {}

  /** The open transaction. */
  private record Txn(long finalLsn, String xid, long commitMicros) {}

  private final PgSourceSettings settings;
  private final Map<String, PgTable> tablesByName = new HashMap<>();
  private final Map<Integer, RelationInfo> relations = new HashMap<>();
  private PgTypeRegistry types;
  private final Connection catalogConnection;
  private Txn txn;
  private long order;
  private long lastCommitEndLsn;

  PgChangeAssembler(PgSourceSettings settings, List<PgTable> tables, PgTypeRegistry types, Connection catalogConnection) {
    this.settings = settings;
    this.types = types;
    this.catalogConnection = catalogConnection;
    for (PgTable t : tables) {
      tablesByName.put(t.ref().qualifiedName(), t);
    }
  }

  boolean inTransaction() {
    return txn != null;
  }

  /** End LSN of the last transaction seen complete (0 before the first). */
  long lastCommitEndLsn() {
    return lastCommitEndLsn;
  }

  /** Appends what {@code message} means to {@code out}. */
  void accept(PgMessage message, List<CaptureRecord> out) {
    if (message instanceof PgMessage.Insert m) {
      RelationInfo r = relation(m.relationOid());
      if (r.table != null) {
        Row after = row(r, m.newTuple(), null, null);
        out.add(new CaptureRecord.Change(change(r, Op.CREATE, null, after, List.of())));
      }
    } else if (message instanceof PgMessage.Update m) {
      RelationInfo r = relation(m.relationOid());
      if (r.table != null) {
        Row before = m.oldTuple() == null ? null : row(r, m.oldTuple(), null, null);
        List<String> unchanged = new ArrayList<>(0);
        Row after = row(r, m.newTuple(), before, unchanged);
        out.add(new CaptureRecord.Change(change(r, Op.UPDATE, before, after, unchanged)));
      }
    } else if (message instanceof PgMessage.Delete m) {
      RelationInfo r = relation(m.relationOid());
      if (r.table != null) {
        out.add(new CaptureRecord.Change(change(r, Op.DELETE, row(r, m.oldTuple(), null, null), null, List.of())));
      }
    } else if (message instanceof PgMessage.Begin m) {
      txn = new Txn(m.finalLsn().value(), Long.toString(m.xid()), m.commitTimeMicros());
      order = 0;
    } else if (message instanceof PgMessage.Commit m) {
      if (txn == null) {
        throw new IllegalStateException("source '" + settings.name() + "': Commit at " + m.commitLsn() + " without Begin");
      }
      // the next transaction's commit record is at or after this one's end: (endLsn, 0) is before it
      out.add(new CaptureRecord.Checkpoint(new PgPosition(txn.finalLsn, PgPosition.COMPLETE),
          PgPosition.boundary(m.endLsn().value())));
      lastCommitEndLsn = m.endLsn().value();
      txn = null;
    } else if (message instanceof PgMessage.Relation m) {
      onRelation(m);
    } else if (message instanceof PgMessage.Truncate m) {
      for (int oid : m.relationOids()) {
        RelationInfo r = relation(oid);
        if (r.table != null) {
          out.add(new CaptureRecord.Change(change(r, Op.TRUNCATE, null, null, List.of())));
        }
      }
    } else if (message instanceof PgMessage.Type m) {
      types = reload(m.oid());
    } else if (message instanceof PgMessage.LogicalMessage m) {
      if (!m.transactional() && txn == null) {
        // our heartbeat (or anyone's non-transactional message): everything before it is complete
        out.add(new CaptureRecord.Checkpoint(null, PgPosition.boundary(m.lsn().value())));
      }
    } else if (message instanceof PgMessage.Origin) {
      // replication origin of the transaction: not part of the envelope yet
    } else {
      throw new IllegalStateException("source '" + settings.name() + "': pgoutput message "
          + message.getClass().getSimpleName() + " is not handled (we request proto_version 1)");
    }
  }

  private PgTypeRegistry reload(int... oids) {
    try {
      return types.ensureKnown(catalogConnection, oids);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("source '" + settings.name() + "': could not load type definitions: "
          + e.getMessage(), e);
    }
  }

  private void onRelation(PgMessage.Relation m) {
    String qualified = m.namespace() + "." + m.name();
    PgTable table = tablesByName.get(qualified);
    if (table != null) {
      types = reload(m.columns().stream().mapToInt(PgMessage.RelationColumn::typeOid).toArray());
    }
    List<String> names = new ArrayList<>(m.columns().size());
    List<String> flagged = new ArrayList<>();
    ValueConverter[] converters = new ValueConverter[m.columns().size()];
    for (int i = 0; i < converters.length; i++) {
      PgMessage.RelationColumn c = m.columns().get(i);
      names.add(c.name());
      if (c.key()) {
        flagged.add(c.name());
      }
      converters[i] = table == null ? null : types.converterFor(c.typeOid(), c.typeModifier());
    }
    List<String> key;
    if (table == null) {
      key = List.of();
    } else if (m.replicaIdentity() == 'f') {
      // FULL flags every column: the message key stays the primary key (or none)
      key = table.keyColumns().stream().filter(names::contains).toList();
    } else {
      key = flagged;
    }
    RelationInfo previous = relations.put(m.oid(),
        new RelationInfo(table == null ? null : table.ref(), RowSchema.of(names, key), converters));
    if (previous != null && table != null && !previous.schema.equals(relations.get(m.oid()).schema)) {
      log.info("source '{}': table {} changed definition mid-stream: now {} columns", settings.name(), qualified,
          names.size());
    }
  }

  private RelationInfo relation(int oid) {
    RelationInfo r = relations.get(oid);
    if (r == null) {
      throw new IllegalStateException("source '" + settings.name() + "': change for relation " + oid
          + " before its Relation message (protocol violation)");
    }
    return r;
  }

  private ChangeEvent change(RelationInfo r, Op op, Row before, Row after, List<String> unchanged) {
    if (txn == null) {
      throw new IllegalStateException("source '" + settings.name() + "': change outside a transaction");
    }
    long index = ++order;
    return new ChangeEvent(r.table, op, new PgPosition(txn.finalLsn, index), txn.xid, index, txn.commitMicros,
        false, before, after, unchanged);
  }

  /**
   * Converts a tuple. Unchanged TOAST values are taken from {@code before} when it has them
   * (REPLICA IDENTITY FULL), else marked {@link Unchanged#TOAST} and listed in {@code unchanged}.
   */
  private Row row(RelationInfo r, TupleData tuple, Row before, List<String> unchanged) {
    int n = r.converters.length;
    if (tuple.size() != n) {
      throw new IllegalStateException("source '" + settings.name() + "': tuple of " + r.table + " has " + tuple.size()
          + " columns but its relation has " + n);
    }
    Object[] values = new Object[n];
    for (int i = 0; i < n; i++) {
      switch (tuple.kind(i)) {
        case TupleData.NULL -> values[i] = null;
        case TupleData.TEXT -> values[i] = r.converters[i].convert(tuple.text(i));
        case TupleData.UNCHANGED_TOAST -> {
          Object old = before == null ? Unchanged.TOAST : before.get(i);
          values[i] = old == null ? Unchanged.TOAST : old;
          if (values[i] == Unchanged.TOAST && unchanged != null) {
            unchanged.add(r.schema.column(i));
          }
        }
        default -> throw new IllegalStateException("source '" + settings.name() + "': column "
            + r.schema.column(i) + " of " + r.table + " arrived in binary form; we request text");
      }
    }
    return new Row(r.schema, values);
  }
}
