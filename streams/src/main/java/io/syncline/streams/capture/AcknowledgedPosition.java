package io.syncline.streams.capture;

import io.syncline.persistence.SourcePosition;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The control of a source that keeps no reader state on the server (MySQL binlog, MongoDB change
 * streams): it only remembers the highest acknowledged position, for the operator's view; resume
 * comes from the table entities.
 */
public final class AcknowledgedPosition implements CaptureControl {
  private final AtomicReference<SourcePosition> acked = new AtomicReference<>();

  @Override
  public void acknowledge(SourcePosition position) {
    acked.accumulateAndGet(position, (a, b) -> a == null || b.isAfter(a) ? b : a);
  }

  @Override
  public SourcePosition acknowledged() {
    return acked.get();
  }
}
