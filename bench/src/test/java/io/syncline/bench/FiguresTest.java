package io.syncline.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class FiguresTest {

  @Test
  void shouldReportMedianValueAndMedianOfPerRunRatios() {
    Figures f = new Figures();
    f.add("pg_catchup_noop", "events/s", 120_000, "pg_recvlogical", 100_000); // 1.20
    f.add("pg_catchup_noop", "events/s", 90_000, "pg_recvlogical", 100_000); // 0.90
    f.add("pg_catchup_noop", "events/s", 150_000, "pg_recvlogical", 50_000); // 3.00

    // median of the values 90k/120k/150k, median of the ratios 0.90/1.20/3.00 (not 120k / 100k by chance)
    assertEquals(List.of("RESULT name=pg_catchup_noop value=120000 unit=events/s ratio=1.20 reference=pg_recvlogical"),
        f.resultLines());
  }

  @Test
  void shouldPrintNaWithoutReferenceAndDecimalsForSmallValues() {
    Figures f = new Figures();
    f.add("pg_live_kafka_p99", "ms", 23);
    f.add("pg_live_kafka_p99", "ms", 31);

    assertEquals(List.of("RESULT name=pg_live_kafka_p99 value=27.00 unit=ms ratio=na reference=na"), f.resultLines());
  }

  @Test
  void shouldKeepFiguresInTheOrderFirstRecorded() {
    Figures f = new Figures();
    f.add("b", "MB", 300);
    f.add("a", "s", 1.5);
    f.add("b", "MB", 310);

    assertEquals(List.of("RESULT name=b value=305 unit=MB ratio=na reference=na",
        "RESULT name=a value=1.50 unit=s ratio=na reference=na"), f.resultLines());
  }

  @Test
  void shouldRefuseAFigureRecordedAgainstAnotherReferenceOrUnit() {
    Figures f = new Figures();
    f.add("x", "events/s", 1, "r1", 2);

    assertThrows(IllegalArgumentException.class, () -> f.add("x", "events/s", 1, "r2", 2));
    assertThrows(IllegalArgumentException.class, () -> f.add("x", "rows/s", 1, "r1", 2));
  }

  @Test
  void shouldRefuseAReferenceThatMeasuredNothing() {
    Figures f = new Figures();

    assertThrows(IllegalArgumentException.class, () -> f.add("x", "events/s", 1, "r", 0));
  }
}
