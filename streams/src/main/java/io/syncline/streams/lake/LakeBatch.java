package io.syncline.streams.lake;

import java.util.List;

/**
 * A batch of records for the lake writer and what the caller wants back once every record is
 * committed to Delta (a Kafka offset to commit, SQS receipt handles to delete, a source position to
 * acknowledge). May be empty: it still comes back, in order.
 */
public record LakeBatch<P>(List<LakeRecord> records, P passThrough) {

  public LakeBatch {
    records = List.copyOf(records);
  }
}
