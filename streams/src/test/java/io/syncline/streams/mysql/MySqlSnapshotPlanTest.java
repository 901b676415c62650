package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.snapshot.KeyRange;
import io.syncline.streams.snapshot.SnapshotChunk;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MySqlSnapshotPlanTest {

  private static final MySqlCatalog.MySqlTable A = new MySqlCatalog.MySqlTable("db", "a", List.of("id"), Set.of());
  private static final MySqlCatalog.MySqlTable B = new MySqlCatalog.MySqlTable("db", "b", List.of("id"), Set.of());
  private static final BinlogPosition P10 = new BinlogPosition("bin.000001", 10, BinlogPosition.COMPLETE, null);
  private static final BinlogPosition P20 = new BinlogPosition("bin.000001", 20, BinlogPosition.COMPLETE, null);

  private static MySqlSourceSettings settings(String mode) {
    return MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of("name", "s", "include-tables", List.of("db.*"),
            "snapshot-mode", mode)),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql"));
  }

  private static TableRef ref(MySqlCatalog.MySqlTable t) {
    return MySqlSnapshotPlan.ref(settings("initial"), t);
  }

  @Test
  void shouldSnapshotEveryTableOnAFirstStartAndStreamFromTheSnapshot() {
    MySqlSnapshotPlan plan = MySqlSnapshotPlan.of(settings("initial"), List.of(A, B), Map.of());
    assertThat(plan.snapshot()).containsExactly(A, B);
    assertThat(plan.resumeFrom()).isNull();
    assertThat(plan.streamFrom(P20)).isEqualTo(P20);
  }

  @Test
  void shouldResumeAnInterruptedSnapshotFromTheEarliestViewOfItsRecordedChunks() {
    BinlogPosition s = new BinlogPosition("bin.000001", 4, 0, null);
    BinlogPosition s2 = new BinlogPosition("bin.000001", 40, 0, null);
    Map<TableRef, TableStart> recorded = Map.of(ref(A), new TableStart(null, false, List.of(
        new SnapshotChunk(new KeyRange(null, 100L), s, 100), new SnapshotChunk(new KeyRange(200L, 300L), s2, 100))));

    MySqlSnapshotPlan plan = MySqlSnapshotPlan.of(settings("initial"), List.of(A, B), recorded);

    assertThat(plan.snapshot()).as("A's chunks left and all of B").containsExactly(A, B);
    assertThat(plan.resumeFrom()).isEqualTo(s);
    assertThat(plan.streamFrom(P20)).isEqualTo(s);
    assertThat(MySqlSnapshotPlan.recordedChunks(recorded)).containsOnlyKeys(ref(A));
  }

  @Test
  void shouldDefaultToInitial() {
    MySqlSourceSettings s = MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of("name", "s",
            "include-tables", List.of("db.*"))),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql"));
    assertThat(s.snapshotMode()).isEqualTo(MySqlSourceSettings.SnapshotMode.INITIAL);
  }

  @Test
  void shouldSnapshotEveryTableAgainWhenNoneCompletedEvenWithRecordedPositions() {
    MySqlSnapshotPlan plan = MySqlSnapshotPlan.of(settings("initial"), List.of(A, B),
        Map.of(ref(A), new TableStart(P10, false)));
    assertThat(plan.snapshot()).containsExactly(A, B);
    assertThat(plan.resumeFrom()).isNull();
  }

  @Test
  void shouldSnapshotOnlyIncompleteTablesAndResumeFromTheEarliestCompletedPosition() {
    MySqlSnapshotPlan plan = MySqlSnapshotPlan.of(settings("initial"), List.of(A, B),
        Map.of(ref(A), new TableStart(P10, true), ref(B), new TableStart(new BinlogPosition("bin.000001", 5, 1, null), false)));
    assertThat(plan.snapshot()).containsExactly(B);
    assertThat(plan.resumeFrom()).isEqualTo(P10); // B's own older position does not count: it is snapshotted again
    assertThat(plan.streamFrom(P20)).isEqualTo(P10);
  }

  @Test
  void shouldNotSnapshotWhenAllCompletedOrModeIsNever() {
    Map<TableRef, TableStart> recorded = Map.of(ref(A), new TableStart(P20, true), ref(B), new TableStart(P10, true));
    MySqlSnapshotPlan done = MySqlSnapshotPlan.of(settings("initial"), List.of(A, B), recorded);
    assertThat(done.snapshot()).isEmpty();
    assertThat(done.streamFrom(null)).isEqualTo(P10);
    MySqlSnapshotPlan never = MySqlSnapshotPlan.of(settings("never"), List.of(A, B), Map.of());
    assertThat(never.snapshot()).isEmpty();
    assertThat(never.streamFrom(null)).isNull(); // the binlog's current end
  }
}
