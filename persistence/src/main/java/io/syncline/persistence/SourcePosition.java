package io.syncline.persistence;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A position in one source's change log. Each source kind has its own record; positions of the
 * same kind are totally ordered. Persisted inside table-entity events: a subtype is never removed
 * or renamed (its JSON type name is part of the journal format).
 *
 * <p>Three kinds of position, told apart by their {@code index} (docs/positions-and-recovery.md):
 * <ul>
 *   <li>a <b>change</b>: {@code (transaction, i)}, {@code i >= 1}, the i-th change of a transaction;
 *   <li>a <b>completed transaction</b>: {@code (transaction, COMPLETE)}, after each of its changes;
 *   <li>a <b>boundary</b>: {@code (log point L, 0)}, before every change at or after L and after
 *       everything the log holds before L. What a source says when it knows "everything before L
 *       was read, the next change is at L or later" is a boundary, never a completed transaction
 *       at L: a transaction that starts (MySQL) or commits (PostgreSQL) exactly at L sorts after
 *       {@code (L, 0)} but before {@code (L, COMPLETE)}, and a table position of
 *       {@code (L, COMPLETE)} would drop it.
 * </ul>
 * A table's committed position P means: every change of that table at or before P was delivered.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = PgPosition.class, name = "pg"),
  @JsonSubTypes.Type(value = BinlogPosition.class, name = "binlog"),
  @JsonSubTypes.Type(value = MongoPosition.class, name = "mongo")
})
public sealed interface SourcePosition extends CborSerializable permits PgPosition, BinlogPosition, MongoPosition {

  /** True when this position is strictly after {@code other} (same source kind). */
  boolean isAfter(SourcePosition other);

  /**
   * True when this is a boundary ({@code index == 0}): between transactions, before every change
   * at or after its log point.
   */
  boolean isBoundary();

  /** A short human-readable form for logs and the HTTP API. */
  String display();
}
