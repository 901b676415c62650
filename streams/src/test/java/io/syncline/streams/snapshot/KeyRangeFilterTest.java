package io.syncline.streams.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyRangeFilterTest {

  private static final TableRef T = new TableRef("postgresql", "src", "db", "public", "t");
  private static final TableRef OTHER = new TableRef("postgresql", "src", "db", "public", "other");
  private static final RowSchema SCHEMA = RowSchema.of(List.of("id", "v"), List.of("id"));
  private static final PgPosition S = new PgPosition(0x100, 0);
  private static final PgPosition S2 = new PgPosition(0x500, 0);

  private static CaptureRecord change(TableRef t, Op op, long lsn, Long beforeKey, Long afterKey) {
    Row before = beforeKey == null ? null : new Row(SCHEMA, new Object[] {beforeKey, null});
    Row after = afterKey == null ? null : new Row(SCHEMA, new Object[] {afterKey, "x"});
    return new CaptureRecord.Change(new ChangeEvent(t, op, new PgPosition(lsn, 1), "1", 1, 0, false, before, after,
        List.of()));
  }

  private static long keyOf(CaptureRecord r) {
    ChangeEvent e = ((CaptureRecord.Change) r).event();
    return (Long) (e.after() != null ? e.after() : e.before()).get(0);
  }

  @Test
  void shouldDropChangesToReReadKeysUpToTheChunkViewOnly() {
    // chunk (null, 100] was delivered at S in an earlier run; (100, +inf) is re-read at S2 in this one
    KeyRangeFilter filter = new KeyRangeFilter(Map.of(T, List.of(new SnapshotChunk(new KeyRange(null, 100L), S, 100))));
    CaptureRecord mark = new CaptureRecord.SnapshotChunkDone(T, new KeyRange(100L, null), S2, 50);
    List<CaptureRecord> in = List.of(mark,
        change(T, Op.CREATE, 0x200, null, 50L),    // completed range, after S: kept
        change(T, Op.CREATE, 0x200, null, 150L),   // re-read range, before S2: dropped
        change(T, Op.DELETE, 0x300, 160L, null),   // re-read range, before S2: dropped
        change(T, Op.UPDATE, 0x300, 150L, 60L),    // key moved out of the re-read range: kept
        change(OTHER, Op.CREATE, 0x300, null, 150L), // another table: kept
        change(T, Op.UPDATE, 0x500, null, 170L),   // commit at S2 is after the view (index 1 > 0): kept
        change(T, Op.CREATE, 0x600, null, 180L));  // after S2: kept

    List<CaptureRecord> out = filter.apply(in);

    assertThat(out).first().isEqualTo(mark);
    assertThat(out.subList(1, out.size()).stream().map(KeyRangeFilterTest::keyOf).toList())
        .containsExactly(50L, 60L, 150L, 170L, 180L);
    assertThat(filter.dropped()).isEqualTo(2);
  }

  @Test
  void shouldFenceAWholeTableWithoutAnIntegerKeyAndForgetFencesOnceTheStreamIsPastThem() {
    KeyRangeFilter filter = new KeyRangeFilter(Map.of());
    filter.apply(List.of(new CaptureRecord.SnapshotChunkDone(T, KeyRange.ALL, S2, 3)));
    assertThat(filter.apply(List.of(change(T, Op.CREATE, 0x400, null, 7L)))).isEmpty();

    filter.apply(List.of(new CaptureRecord.Checkpoint(new PgPosition(0x600, PgPosition.COMPLETE),
        PgPosition.boundary(0x680))));
    List<CaptureRecord> late = List.of(change(T, Op.CREATE, 0x400, null, 7L));
    assertThat(filter.apply(late)).as("fences forgotten: nothing is compared any more").isSameAs(late);
  }
}
