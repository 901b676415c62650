package io.syncline.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.persistence.IncrementalSnapshotState.TableJob;
import java.util.List;
import org.junit.jupiter.api.Test;

class IncrementalSnapshotStateTest {

  static TableJob job(String signal, String table) {
    return new TableJob(signal, table, null, null, null, 0);
  }

  @Test
  void shouldReadTheTablesOfASignalOneAfterTheOther() {
    IncrementalSnapshotState s = IncrementalSnapshotState.EMPTY.enqueue(List.of(job("a", "s.t1"), job("a", "s.t2")));
    assertThat(s.current().table()).isEqualTo("s.t1");
    s = s.withCurrent(s.current().advanced(List.of("7"), 7));
    assertThat(s.current().lastKey()).containsExactly("7");
    s = s.currentDone();
    assertThat(s.current().table()).isEqualTo("s.t2");
    assertThat(s.finishedSignals()).as("t2 of signal a is still queued").isEmpty();
    assertThat(s.knows("a")).isTrue();
    s = s.currentDone();
    assertThat(s.isEmpty()).isTrue();
    assertThat(s.finishedSignals()).containsExactly("a");
    assertThat(s.knows("a")).isTrue();
  }

  @Test
  void shouldStopNamedTablesOrAll() {
    IncrementalSnapshotState s = IncrementalSnapshotState.EMPTY.enqueue(List.of(job("a", "s.t1"), job("b", "s.t2")));
    assertThat(s.stopped(List.of("s.t2")).queue()).extracting(TableJob::table).containsExactly("s.t1");
    assertThat(s.stopped(List.of()).isEmpty()).isTrue();
    assertThat(s.stopped(List.of()).finishedSignals()).containsExactly("a", "b");
  }

  @Test
  void shouldRememberABoundedNumberOfFinishedSignals() {
    IncrementalSnapshotState s = IncrementalSnapshotState.EMPTY;
    for (int i = 0; i < IncrementalSnapshotState.FINISHED_KEPT + 5; i++) {
      s = s.enqueue(List.of(job("sig" + i, "s.t"))).currentDone();
    }
    assertThat(s.finishedSignals()).hasSize(IncrementalSnapshotState.FINISHED_KEPT).startsWith("sig5");
  }
}
