package io.syncline.streams.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.streams.event.TableRef;
import org.junit.jupiter.api.Test;

class SnapshotProgressTest {

  private static final TableRef A = new TableRef("postgresql", "progress-test", "db", "public", "a");
  private static final TableRef B = new TableRef("postgresql", "progress-test", "db", "public", "b");

  @Test
  void shouldCountRowsPerTableAndInTotalWithRecordedChunksAndBeCurrentUntilFinished() {
    SnapshotProgress p = SnapshotProgress.start("progress-test");
    p.table(A, 1_000, 400, 10);
    p.table(B, 50, 0, 1);
    p.chunkDone(A); // recorded by an earlier run
    p.rows(A, 100);
    p.rows(B, 50);
    p.chunkDone(B);

    SnapshotProgress.Status s = SnapshotProgress.current("progress-test").orElseThrow();
    assertThat(s.rows()).isEqualTo(550);
    assertThat(s.estimate()).isEqualTo(1_050);
    assertThat(s.chunksDone()).isEqualTo(2);
    assertThat(s.chunks()).isEqualTo(11);
    assertThat(s.tables()).extracting(SnapshotProgress.TableStatus::rows).containsExactly(500L, 50L);
    assertThat(s.rowsPerSecond()).isPositive();
    assertThat(s.eta()).isNotNull();
    assertThat(p.rowsRead(A)).as("rows read by this run").isEqualTo(100);
    assertThat(SnapshotProgress.describe(s)).startsWith("550/1050 rows (52%), ").contains("chunks 2/11, ETA ");

    p.finish();
    assertThat(SnapshotProgress.current("progress-test")).isEmpty();
  }

  @Test
  void shouldNeverEstimateFewerRowsThanRead() {
    SnapshotProgress p = SnapshotProgress.start("progress-test-2");
    p.table(A, 10, 0, 1);
    p.rows(A, 30);
    SnapshotProgress.Status s = p.status();
    assertThat(s.estimate()).isEqualTo(30);
    assertThat(SnapshotProgress.describe(s)).startsWith("30/30 rows (100%)");
    p.finish();
  }
}
