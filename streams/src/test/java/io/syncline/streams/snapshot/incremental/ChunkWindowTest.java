package io.syncline.streams.snapshot.incremental;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.persistence.PgPosition;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkWindowTest {

  static final TableRef T = new TableRef("postgresql", "s", "db", "public", "t");
  static final RowSchema SCHEMA = RowSchema.of(List.of("id", "v"), List.of("id"));

  static Row row(long id, String v) {
    return new Row(SCHEMA, new Object[] {id, v});
  }

  static ChangeEvent change(Op op, Row before, Row after) {
    return new ChangeEvent(T, op, new PgPosition(100, 1), "1", 1, 0, false, before, after, List.of());
  }

  @Test
  void shouldDropTheRowsWhoseKeysStreamedEventsChangedInsideTheWindow() {
    ChunkWindow w = new ChunkWindow();
    w.changed(change(Op.UPDATE, null, row(2, "new")));
    w.changed(change(Op.DELETE, row(4, null), null));
    w.changed(change(Op.CREATE, null, row(9, "x")));
    assertThat(w.close(List.of(row(1, "a"), row(2, "old"), row(3, "c"), row(4, "d"))))
        .containsExactly(row(1, "a"), row(3, "c"));
    assertThat(w.changedKeys()).isEqualTo(3);
  }

  @Test
  void shouldDropBothKeysOfAnUpdateThatChangedTheKey() {
    ChunkWindow w = new ChunkWindow();
    w.changed(change(Op.UPDATE, row(1, null), row(3, "moved")));
    assertThat(w.close(List.of(row(1, "a"), row(2, "b"), row(3, "c")))).containsExactly(row(2, "b"));
  }

  @Test
  void shouldCompareKeysByValueIncludingByteArrays() {
    RowSchema bytes = RowSchema.of(List.of("k", "v"), List.of("k"));
    ChunkWindow w = new ChunkWindow();
    w.changed(change(Op.UPDATE, null, new Row(bytes, new Object[] {new byte[] {1, 2}, "new"})));
    assertThat(w.close(List.of(new Row(bytes, new Object[] {new byte[] {1, 2}, "old"}),
        new Row(bytes, new Object[] {new byte[] {1, 3}, "kept"})))).hasSize(1)
        .allMatch(r -> r.get("v").equals("kept"));
  }

  @Test
  void shouldEmitNothingWhenTheTableWasTruncatedInsideTheWindow() {
    ChunkWindow w = new ChunkWindow();
    w.changed(new ChangeEvent(T, Op.TRUNCATE, new PgPosition(100, 1), "1", 1, 0, false, null, null, List.of()));
    assertThat(w.close(List.of(row(1, "a")))).isEmpty();
  }

  @Test
  void shouldKeepEveryRowWhenNothingChanged() {
    assertThat(new ChunkWindow().close(List.of(row(1, "a"), row(2, "b")))).hasSize(2);
  }
}
