package io.syncline.streams.capture;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A lock-free histogram of latencies in milliseconds, log-linear: exact below 32 ms, then 32
 * buckets per power of two (about 3 % relative precision) up to 2^46 ms. Cheap enough to record
 * every event; quantiles report the upper bound of their bucket (never optimistic).
 */
public final class LatencyHistogram {

  private static final int SUB = 32;
  private static final int GROUPS = 42;
  private final AtomicLongArray counts = new AtomicLongArray(SUB * GROUPS);

  public void record(long millis) {
    counts.incrementAndGet(index(Math.max(0, millis)));
  }

  static int index(long v) {
    if (v < SUB) {
      return (int) v;
    }
    int e = 63 - Long.numberOfLeadingZeros(v);
    int group = e - 4;
    if (group >= GROUPS) {
      return SUB * GROUPS - 1;
    }
    int sub = (int) (v >>> (e - 5)) - SUB;
    return group * SUB + sub;
  }

  static long lowerBound(int index) {
    int group = index / SUB;
    int sub = index % SUB;
    return group == 0 ? sub : (long) (SUB + sub) << (group - 1);
  }

  public long count() {
    long n = 0;
    for (int i = 0; i < counts.length(); i++) {
      n += counts.get(i);
    }
    return n;
  }

  /** The latency (ms) at quantile {@code q} in [0, 1]: the upper bound of its bucket; 0 when empty. */
  public long quantile(double q) {
    long total = count();
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int i = 0; i < counts.length(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return i + 1 < counts.length() ? lowerBound(i + 1) - 1 : lowerBound(i);
      }
    }
    return lowerBound(counts.length() - 1);
  }
}
