package io.syncline.streams.transport;

import io.syncline.streams.event.TableRef;

/**
 * One encoded change ready for a transport.
 *
 * @param table destination table (a transport maps it to a topic, queue or file)
 * @param key message key bytes (JSON object of the key columns), {@code null} for keyless tables
 * @param value envelope JSON bytes
 */
public record OutRecord(TableRef table, byte[] key, byte[] value) {}
