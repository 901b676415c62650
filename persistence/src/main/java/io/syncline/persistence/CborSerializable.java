package io.syncline.persistence;

/**
 * Marker for every message, event and state that crosses the wire or the journal. Bound to
 * Pekko's {@code jackson-cbor} serializer in {@code reference.conf} of this module.
 */
public interface CborSerializable {}
