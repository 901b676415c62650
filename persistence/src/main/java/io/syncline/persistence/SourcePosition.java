package io.syncline.persistence;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A position in one source's change log. Each source kind has its own record; positions of the
 * same kind are totally ordered. Persisted inside table-entity events: a subtype is never removed
 * or renamed (its JSON type name is part of the journal format).
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

  /** A short human-readable form for logs and the HTTP API. */
  String display();
}
