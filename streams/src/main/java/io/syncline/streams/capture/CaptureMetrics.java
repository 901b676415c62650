package io.syncline.streams.capture;

import io.syncline.persistence.SourcePosition;
import java.util.concurrent.atomic.LongAdder;

/**
 * Live counters of one source: changes delivered by operation, the lag from source commit to sink
 * acknowledgement, and the last position acknowledged to the source. Updated by the delivery stage
 * and the source reader, read by the node's periodic progress line, the demo, the HTTP API and JMX.
 */
public final class CaptureMetrics {

  private final LongAdder inserts = new LongAdder();
  private final LongAdder updates = new LongAdder();
  private final LongAdder deletes = new LongAdder();
  private final LongAdder reads = new LongAdder();
  private final LongAdder truncates = new LongAdder();
  private final LongAdder skippedDuplicates = new LongAdder();
  private final LatencyHistogram lag = new LatencyHistogram();
  private volatile long lastDeliveredMillis;
  private volatile long lastLagMillis;
  private volatile SourcePosition acknowledged;
  private volatile long acknowledgedMillis;

  /** Records a delivered batch: its counts and the lag of each streamed event. */
  public void delivered(Progress p) {
    long nowMicros = nowMicros();
    for (Progress.TableProgress t : p.tables().values()) {
      OpCounts c = t.counts();
      inserts.add(c.inserts());
      updates.add(c.updates());
      deletes.add(c.deletes());
      reads.add(c.reads());
      truncates.add(c.truncates());
    }
    long last = -1;
    for (long commit : p.commitMicros()) {
      last = Math.max(0, (nowMicros - commit) / 1000);
      lag.record(last);
    }
    if (last >= 0) {
      lastLagMillis = last;
    }
    if (p.events() > 0) {
      lastDeliveredMillis = nowMicros / 1000;
    }
  }

  /**
   * Records that the source was acknowledged up to {@code position}: everything before it is
   * delivered and recorded. Called by the source reader after each acknowledgement.
   */
  public void acknowledged(SourcePosition position) {
    if (position != null) {
      acknowledged = position;
      acknowledgedMillis = System.currentTimeMillis();
    }
  }

  public void skippedDuplicates(long n) {
    skippedDuplicates.add(n);
  }

  private static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  public OpCounts counts() {
    return new OpCounts(inserts.sum(), updates.sum(), deletes.sum(), reads.sum(), truncates.sum());
  }

  public long skippedDuplicates() {
    return skippedDuplicates.sum();
  }

  /** Lag (ms) from source commit to sink acknowledgement at quantile q, over all streamed events so far. */
  public long lagMillis(double q) {
    return lag.quantile(q);
  }

  public long lastLagMillis() {
    return lastLagMillis;
  }

  /** When the last change event was delivered (epoch ms), 0 when none was yet. */
  public long lastDeliveredMillis() {
    return lastDeliveredMillis;
  }

  /** The last position acknowledged to the source, or null when none was yet. */
  public SourcePosition acknowledgedPosition() {
    return acknowledged;
  }

  /** When the source was last acknowledged (epoch ms), 0 when never. */
  public long acknowledgedMillis() {
    return acknowledgedMillis;
  }
}
