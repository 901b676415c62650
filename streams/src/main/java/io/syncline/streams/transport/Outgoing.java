package io.syncline.streams.transport;

import java.util.List;

/**
 * A batch of records for a transport, and what the caller wants back once every record of the
 * batch is durably delivered. A batch may be empty (a pure checkpoint): it still comes back, in order.
 */
public record Outgoing<P>(List<OutRecord> records, P passThrough) {

  public Outgoing {
    records = List.copyOf(records);
  }
}
