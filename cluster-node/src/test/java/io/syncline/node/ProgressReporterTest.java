package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.CaptureMetrics;
import org.junit.jupiter.api.Test;

/** The periodic line tells a streaming source from an idle one and from one that never acknowledged. */
class ProgressReporterTest {

  @Test
  void shouldShowEventsRateLagAndTheAcknowledgedPosition() {
    CaptureMetrics m = new CaptureMetrics();
    assertThat(ProgressReporter.line("shop", m, 0, 0, 0, System.currentTimeMillis()))
        .isEqualTo("source 'shop': events 0 (+0, 0/s), lag -, position none acknowledged yet, no event yet");
    m.acknowledged(new PgPosition(0x1A2B3C8L, PgPosition.COMPLETE));
    long now = m.acknowledgedMillis() + 200;
    assertThat(ProgressReporter.line("shop", m, 48210, 2011, 201, now))
        .startsWith("source 'shop': events 48210 (+2011, 201/s), lag 0 ms, position ")
        .contains(new PgPosition(0x1A2B3C8L, PgPosition.COMPLETE).display() + " acknowledged 0.2 s ago")
        .endsWith(", no event yet");
    assertThat(ProgressReporter.line("shop", m, 48210, 0, 0, now)).contains("(+0, 0/s), lag -, position ");
  }

  @Test
  void shouldSayHowLongAgoInUnitsThatRead() {
    assertThat(ProgressReporter.ago(400)).isEqualTo("0.4 s ago");
    assertThat(ProgressReporter.ago(45_000)).isEqualTo("45 s ago");
    assertThat(ProgressReporter.ago(300_000)).isEqualTo("5 min ago");
    assertThat(ProgressReporter.ago(4 * 3_600_000L)).isEqualTo("4 h ago");
  }
}
