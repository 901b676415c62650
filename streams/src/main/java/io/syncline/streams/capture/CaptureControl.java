package io.syncline.streams.capture;

import io.syncline.persistence.SourcePosition;

/** The materialized handle of a capture source: how delivered positions reach the source. */
public interface CaptureControl {

  /**
   * Everything up to {@code position} is durably delivered and recorded: the source may release it
   * (PostgreSQL: the slot's confirmed flush LSN moves here). Thread-safe; positions that do not
   * move forward are ignored.
   */
  void acknowledge(SourcePosition position);

  /** The last position acknowledged to the source, or null. */
  SourcePosition acknowledged();
}
