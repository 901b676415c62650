package io.syncline.streams.snapshot;

import io.syncline.persistence.SourcePosition;

/**
 * A chunk of a table's initial snapshot whose rows were all delivered, as the table entity records
 * it: a restart does not read it again.
 *
 * @param range the chunk's key range
 * @param view the position of the consistent view it was read at: changes to keys of the range at
 *     or before it are in the rows read, later ones come from the change log
 * @param rows rows it held
 */
public record SnapshotChunk(KeyRange range, SourcePosition view, long rows) {}
