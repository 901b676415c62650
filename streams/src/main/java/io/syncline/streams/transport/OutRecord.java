package io.syncline.streams.transport;

import io.syncline.persistence.SourcePosition;
import io.syncline.streams.event.TableRef;
import java.util.List;

/**
 * One encoded change ready for a transport.
 *
 * @param table destination table (a transport maps it to a topic, queue or file)
 * @param key message key bytes (JSON object of the key columns), {@code null} for keyless tables
 * @param value envelope JSON bytes
 * @param position the source position of the change (for dead letters and errors); null in tests
 * @param delete the envelope is a delete ({@code op = d}): a transport with log compaction follows
 *     it with a tombstone (Kafka's {@code tombstones-on-delete})
 * @param headers message headers (Kafka): {@link #NEW_KEY} on the delete and {@link #OLD_KEY} on the
 *     create of an update that changed the key; empty for every other change
 */
public record OutRecord(TableRef table, byte[] key, byte[] value, SourcePosition position, boolean delete,
    List<Header> headers) {

  /** Header of the delete of a key change: the row's new key (Debezium's name, so its consumers understand it). */
  public static final String NEW_KEY = "__debezium.newkey";
  /** Header of the create of a key change: the row's old key (Debezium's name). */
  public static final String OLD_KEY = "__debezium.oldkey";

  /** One message header. */
  public record Header(String name, byte[] value) {}

  public OutRecord {
    headers = headers == null ? List.of() : headers;
  }

  /** A record without position, delete mark or headers (tests, benchmarks). */
  public OutRecord(TableRef table, byte[] key, byte[] value) {
    this(table, key, value, null, false, List.of());
  }

  /** Bytes of key and value: what a transport's size limit applies to. */
  public int size() {
    return (key == null ? 0 : key.length) + value.length;
  }
}
