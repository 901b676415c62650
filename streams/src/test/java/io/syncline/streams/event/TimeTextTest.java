package io.syncline.streams.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;

class TimeTextTest {

  private static String pad(int value, int width) {
    StringBuilder out = new StringBuilder("x");
    TimeText.pad(out, value, width);
    return out.toString();
  }

  @Test
  void padsWithLeadingZerosToTheWidth() {
    assertThat(pad(0, 2)).isEqualTo("x00");
    assertThat(pad(7, 2)).isEqualTo("x07");
    assertThat(pad(59, 2)).isEqualTo("x59");
    assertThat(pad(1, 6)).isEqualTo("x000001");
    assertThat(pad(123456, 6)).isEqualTo("x123456");
    assertThat(pad(999999, 6)).isEqualTo("x999999");
    assertThat(pad(0, 4)).isEqualTo("x0000");
  }

  @Test
  void widerValuesAreWrittenWhole() {
    assertThat(pad(12345, 4)).isEqualTo("x12345");
    assertThat(pad(Integer.MAX_VALUE, 1)).isEqualTo("x" + Integer.MAX_VALUE);
  }

  @Test
  void timestampsAndYears() {
    assertThat(TimeText.dateTime(LocalDateTime.of(2026, 1, 2, 3, 4, 5), 60, false))
        .isEqualTo("2026-01-02T03:04:05.000060");
    assertThat(TimeText.dateTime(LocalDateTime.of(9999, 12, 31, 23, 59, 59), 999999, true))
        .isEqualTo("9999-12-31T23:59:59.999999Z");
    StringBuilder y = new StringBuilder();
    TimeText.appendYear(y, -44);
    y.append(' ');
    TimeText.appendYear(y, 12345);
    y.append(' ');
    TimeText.appendYear(y, 5);
    assertThat(y.toString()).isEqualTo("-0044 +12345 0005");
  }
}
