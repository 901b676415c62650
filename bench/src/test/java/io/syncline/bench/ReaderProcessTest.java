package io.syncline.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReaderProcessTest {

  @Test
  void shouldReadBackEveryFieldOfTheDoneLineAReaderPrints() {
    ReaderProcess.Result r = new ReaderProcess.Result(12.345678, 1_000_000, 456_789_012L, 15.125, 419_840, true, 31,
        240, 1311, 1151, 1402, 1_763_712_000_123L);

    assertEquals(r, ReaderProcess.Result.parse(r.line()));
  }

  @Test
  void shouldDeriveRatesFromTheResult() {
    ReaderProcess.Result r = new ReaderProcess.Result(20, 1_000_000, 400_000_000L, 15, 409_600, false, 0, 0, 0, 0, 0, 0);

    assertEquals(50_000, r.eventsPerSecond(), 1e-9);
    assertEquals(20, r.megabytesPerSecond(), 1e-9);
    assertEquals(400, r.peakRssMegabytes(), 1e-9);
  }
}
