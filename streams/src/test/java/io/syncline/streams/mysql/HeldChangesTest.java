package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.streams.event.JsonText;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Held changes: memory up to the source's budget, then a file, every value of the row model kept exactly. */
class HeldChangesTest {

  private static final TableRef T = new TableRef("mysql", "s", "db", "db", "t");
  private static final RowSchema SCHEMA = RowSchema.of(List.of("id", "s", "l", "sh", "d", "f", "b", "dec", "bin", "j",
      "list", "n"), List.of("id"));

  private static Row row(int id) {
    return new Row(SCHEMA, new Object[] {id, "é🚀" + id, (long) id << 40, (short) -id, 0.1 * id, 1.5f * id, id % 2 == 0,
        new BigDecimal("-12345.6700"), new byte[] {0, (byte) id, -1}, new JsonText("{\"k\":" + id + "}"),
        Arrays.asList("a", null, 7L), null});
  }

  @Test
  void shouldGiveBackEveryChangeExactlyAndInOrderFromMemoryAndFile() {
    HeldChanges.Budget budget = new HeldChanges.Budget(3);
    try (HeldChanges held = new HeldChanges(budget)) {
      for (int i = 1; i <= 10; i++) {
        held.add(new HeldChanges.Held(T, i % 3 == 0 ? Op.DELETE : Op.UPDATE, row(i), i % 3 == 0 ? null : row(i + 100)));
      }
      assertThat(held.spilled()).isTrue();
      assertThat(budget.used()).isEqualTo(3);
      List<HeldChanges.Held> back = new ArrayList<>();
      held.drain().forEachRemaining(back::add);
      assertThat(back).hasSize(10);
      for (int i = 1; i <= 10; i++) {
        HeldChanges.Held h = back.get(i - 1);
        assertThat(h.table()).isEqualTo(T);
        assertThat(h.op()).isEqualTo(i % 3 == 0 ? Op.DELETE : Op.UPDATE);
        assertThat(h.before()).isEqualTo(row(i));
        assertThat(h.after()).isEqualTo(i % 3 == 0 ? null : row(i + 100));
      }
      assertThat(budget.used()).as("memory given back as the changes went").isZero();
    }
  }

  @Test
  void shouldCancelWhatCameAfterAMarkInMemoryOrFile() {
    HeldChanges.Budget budget = new HeldChanges.Budget(2);
    try (HeldChanges held = new HeldChanges(budget)) {
      held.add(new HeldChanges.Held(T, Op.CREATE, null, row(1)));
      HeldChanges.Mark inMemory = held.mark();
      held.add(new HeldChanges.Held(T, Op.CREATE, null, row(2)));
      held.add(new HeldChanges.Held(T, Op.CREATE, null, row(3)));
      HeldChanges.Mark inFile = held.mark();
      held.add(new HeldChanges.Held(T, Op.CREATE, null, row(4)));
      held.truncate(inFile);
      held.add(new HeldChanges.Held(T, Op.CREATE, null, row(5)));
      assertThat(ids(held.drain())).containsExactly(1, 2, 3, 5);
    }
    try (HeldChanges held = new HeldChanges(budget)) {
      held.add(new HeldChanges.Held(T, Op.CREATE, null, row(1)));
      HeldChanges.Mark early = held.mark();
      for (int i = 2; i <= 6; i++) {
        held.add(new HeldChanges.Held(T, Op.CREATE, null, row(i)));
      }
      held.truncate(early);
      assertThat(budget.used()).isEqualTo(1);
      held.add(new HeldChanges.Held(T, Op.CREATE, null, row(7)));
      assertThat(ids(held.drain())).containsExactly(1, 7);
    }
    assertThat(budget.used()).isZero();
  }

  private static List<Integer> ids(Iterator<HeldChanges.Held> it) {
    List<Integer> ids = new ArrayList<>();
    it.forEachRemaining(h -> ids.add((Integer) h.after().get("id")));
    return ids;
  }
}
