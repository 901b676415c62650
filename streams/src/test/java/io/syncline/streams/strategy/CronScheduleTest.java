package io.syncline.streams.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class CronScheduleTest {

  private static ZonedDateTime at(String iso) {
    return ZonedDateTime.parse(iso + "Z").withZoneSameInstant(ZoneOffset.UTC);
  }

  private static String next(String cron, String after) {
    return CronSchedule.parse(cron).next(at(after)).toLocalDateTime().toString();
  }

  @Test
  void firesAtTheNextMatchingMinuteStrictlyAfter() {
    assertThat(next("0 * * * *", "2026-12-07T10:00:00")).isEqualTo("2026-12-07T11:00");
    assertThat(next("0 * * * *", "2026-12-07T10:59:59")).isEqualTo("2026-12-07T11:00");
    assertThat(next("* * * * *", "2026-12-07T10:00:30")).isEqualTo("2026-12-07T10:01");
    assertThat(next("30 2 * * *", "2026-12-07T03:00:00")).isEqualTo("2026-12-08T02:30");
    assertThat(next("*/15 * * * *", "2026-12-07T10:16:00")).isEqualTo("2026-12-07T10:30");
    assertThat(next("5-10/5 8-9 * * *", "2026-12-07T08:06:00")).isEqualTo("2026-12-07T08:10");
    assertThat(next("0 0 1 jan *", "2026-12-07T00:00:00")).isEqualTo("2027-01-01T00:00");
    assertThat(next("0 0 29 2 *", "2026-03-01T00:00:00")).isEqualTo("2028-02-29T00:00");
  }

  @Test
  void daysOfWeekCountSundayAsZeroOrSevenAndEitherDayFieldFiresWhenBothAreRestricted() {
    // 2026-12-07 is a Monday
    assertThat(next("0 9 * * 0", "2026-12-07T10:00:00")).isEqualTo("2026-12-13T09:00");
    assertThat(next("0 9 * * 7", "2026-12-07T10:00:00")).isEqualTo("2026-12-13T09:00");
    assertThat(next("0 9 * * mon-fri", "2026-12-11T10:00:00")).isEqualTo("2026-12-14T09:00");
    assertThat(next("0 9 15 * sun", "2026-12-07T10:00:00")).isEqualTo("2026-12-13T09:00");
    assertThat(next("0 9 8 * sun", "2026-12-07T10:00:00")).isEqualTo("2026-12-08T09:00");
  }

  @Test
  void namesTheFieldThatIsWrong() {
    assertThatThrownBy(() -> CronSchedule.parse("0 * * *")).hasMessageContaining("has 4 fields");
    assertThatThrownBy(() -> CronSchedule.parse("60 * * * *")).hasMessageContaining("minute: 60 is outside 0-59");
    assertThatThrownBy(() -> CronSchedule.parse("0 * * foo *")).hasMessageContaining("month: 'foo' is not a number");
    assertThatThrownBy(() -> CronSchedule.parse("0 5-2 * * *")).hasMessageContaining("hour: range 5-2 runs backwards");
    assertThatThrownBy(() -> CronSchedule.parse("0 0 30 2 *").next(at("2026-01-01T00:00:00")))
        .hasMessageContaining("never fires");
  }
}
