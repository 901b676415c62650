package io.syncline.streams.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

  @Test
  void shouldBeExactBelow32Milliseconds() {
    LatencyHistogram h = new LatencyHistogram();
    for (int i = 1; i <= 20; i++) {
      h.record(i);
    }
    assertThat(h.count()).isEqualTo(20);
    assertThat(h.quantile(0.5)).isEqualTo(10);
    assertThat(h.quantile(1.0)).isEqualTo(20);
  }

  @Test
  void shouldReportQuantilesWithinThreePercentAboveTheTrueValue() {
    LatencyHistogram h = new LatencyHistogram();
    for (int i = 1; i <= 100_000; i++) {
      h.record(i);
    }
    long p99 = h.quantile(0.99);
    assertThat(p99).isBetween(99_000L, (long) (99_000 * 1.035));
    long p50 = h.quantile(0.5);
    assertThat(p50).isBetween(50_000L, (long) (50_000 * 1.035));
  }

  @Test
  void shouldMapEveryValueIntoABucketWhoseBoundsContainIt() {
    for (long v : new long[] {0, 31, 32, 33, 63, 64, 65, 1000, 123_456, 1L << 40}) {
      int i = LatencyHistogram.index(v);
      assertThat(LatencyHistogram.lowerBound(i)).isLessThanOrEqualTo(v);
      assertThat(LatencyHistogram.lowerBound(i + 1)).isGreaterThan(v);
    }
  }

  @Test
  void shouldReportZeroWhenEmpty() {
    assertThat(new LatencyHistogram().quantile(0.99)).isZero();
  }
}
