package io.syncline.streams.lake;

import io.syncline.persistence.SourcePosition;
import io.syncline.streams.event.TableRef;

/**
 * One encoded change event for the lake writer, whatever transport carried it (in-process, a Kafka
 * consumer, an SQS poller).
 *
 * @param table the source table
 * @param shape the table's columns and types as the source knows them at this change (silver's schema)
 * @param position the change's source position: orders the changes of a table and makes replays harmless
 * @param key the message key (JSON object of the key columns), null for a table without a key
 * @param value the Debezium-compatible envelope JSON ({@link io.syncline.streams.envelope.EnvelopeEncoder})
 */
public record LakeRecord(TableRef table, TableShape shape, SourcePosition position, byte[] key, byte[] value) {

  public LakeRecord {
    if (table == null || shape == null || position == null || value == null) {
      throw new IllegalArgumentException("a lake record needs a table, its shape, a position and an envelope");
    }
  }
}
