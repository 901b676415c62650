package io.syncline.streams.snapshot.incremental;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SignalTest {

  @Test
  void shouldReadAnExecuteSnapshotSignalWithItsKeyRange() {
    assertThat(Signal.parse("a", "execute-snapshot",
        "{\"data-collections\":[\"public.t\",\"public.u\"],\"type\":\"incremental\",\"from\":\"10\",\"to\":20}"))
        .isEqualTo(new Signal.ExecuteSnapshot("a", List.of("public.t", "public.u"), "10", "20"));
  }

  @Test
  void shouldWriteTheDataItReads() {
    String data = IncrementalSnapshots.executeData(List.of("db.t"), new KeyBounds("1", null));
    assertThat(Signal.parse("x", "execute-snapshot", data))
        .isEqualTo(new Signal.ExecuteSnapshot("x", List.of("db.t"), "1", null));
  }

  @Test
  void shouldReadStopAndWatermarks() {
    assertThat(Signal.parse("s", "stop-snapshot", null)).isEqualTo(new Signal.StopSnapshot("s", List.of()));
    assertThat(Signal.parse("w", "snapshot-window-open", "c1")).isEqualTo(new Signal.WindowOpen("c1"));
    assertThat(Signal.parse("w", "snapshot-window-close", "c1")).isEqualTo(new Signal.WindowClose("c1"));
  }

  @Test
  void shouldNameWhatIsWrongWithASignalItCannotExecute() {
    assertThat(Signal.parse("a", "execute-snapshot", "{not json")).isInstanceOfSatisfying(Signal.Unknown.class,
        u -> assertThat(u.why()).contains("not JSON"));
    assertThat(Signal.parse("a", "execute-snapshot", "{\"type\":\"incremental\"}"))
        .isInstanceOfSatisfying(Signal.Unknown.class, u -> assertThat(u.why()).contains("data-collections"));
    assertThat(Signal.parse("a", "execute-snapshot", "{\"data-collections\":[\"t\"],\"type\":\"blocking\"}"))
        .isInstanceOfSatisfying(Signal.Unknown.class, u -> assertThat(u.why()).contains("incremental"));
    assertThat(Signal.parse("a", "log", "{}")).isInstanceOf(Signal.Unknown.class);
  }
}
