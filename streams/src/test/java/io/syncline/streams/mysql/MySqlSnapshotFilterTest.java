package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.util.List;
import org.junit.jupiter.api.Test;

class MySqlSnapshotFilterTest {

  private static final TableRef T = new TableRef("mysql", "s", "db", "db", "t");
  private static final TableRef U = new TableRef("mysql", "s", "db", "db", "u");
  private static final RowSchema SCHEMA = RowSchema.of(List.of("id"), List.of("id"));
  private static final BinlogPosition SNAPSHOT = new BinlogPosition("bin.000002", 500, 0, null);

  private static CaptureRecord change(TableRef t, String file, long txn, long index) {
    return new CaptureRecord.Change(new ChangeEvent(t, Op.CREATE, new BinlogPosition(file, txn, index, null), "x",
        index, 0, false, null, new Row(SCHEMA, new Object[] {1}), List.of()));
  }

  private static CaptureRecord checkpoint(String file, long txn) {
    BinlogPosition p = new BinlogPosition(file, txn, BinlogPosition.COMPLETE, null);
    return new CaptureRecord.Checkpoint(p, BinlogPosition.boundary(file, txn + 100, null));
  }

  @Test
  void shouldDropTheBinlogChangesOfASnapshottedTableUpToItsSnapshotPosition() {
    MySqlSnapshotFilter filter = new MySqlSnapshotFilter();
    CaptureRecord done = new CaptureRecord.SnapshotDone(T, SNAPSHOT, 3);
    assertThat(filter.apply(List.of(done))).containsExactly(done);

    CaptureRecord olderFile = change(T, "bin.000001", 900, 1);
    CaptureRecord before = change(T, "bin.000002", 400, 2);
    CaptureRecord otherTable = change(U, "bin.000002", 400, 3);
    CaptureRecord cp = checkpoint("bin.000002", 400);
    assertThat(filter.apply(List.of(olderFile, before, otherTable, cp))).containsExactly(otherTable, cp);

    CaptureRecord atSnapshot = change(T, "bin.000002", 500, 1);
    CaptureRecord later = change(T, "bin.000003", 4, 1);
    assertThat(filter.apply(List.of(atSnapshot, checkpoint("bin.000002", 500), later))).hasSize(3).contains(atSnapshot, later);
    assertThat(filter.dropped()).isEqualTo(2);
  }
}
