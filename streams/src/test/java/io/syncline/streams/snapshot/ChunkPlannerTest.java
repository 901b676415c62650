package io.syncline.streams.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ChunkPlannerTest {

  /** The keys of a table, as the boundary query sees them. */
  private static ChunkPlanner.Boundaries index(NavigableSet<Long> keys, List<String> queries) {
    return (after, upTo, n) -> {
      queries.add(after + ".." + upTo);
      Long last = null;
      long count = 0;
      for (Long k : keys.tailSet(after == null ? Long.MIN_VALUE : after, after == null)) {
        if ((upTo != null && k > upTo) || count == n) {
          break;
        }
        last = k;
        count++;
      }
      return new ChunkPlanner.Step(last, count);
    };
  }

  private static NavigableSet<Long> keys(long... ks) {
    NavigableSet<Long> s = new TreeSet<>();
    for (long k : ks) {
      s.add(k);
    }
    return s;
  }

  @Test
  void shouldSplitAWholeTableInChunksOfTheSameSizeWhateverTheGaps() throws Exception {
    NavigableSet<Long> table = keys(1, 2, 3, 1_000, 1_001, 5_000_000, 5_000_001, 9_000_000_000L);
    List<KeyRange> chunks = ChunkPlanner.plan(List.of(KeyRange.ALL), 3, index(table, new ArrayList<>()));

    assertThat(chunks).containsExactly(new KeyRange(null, 3L), new KeyRange(3L, 5_000_000L),
        new KeyRange(5_000_000L, null));
    for (KeyRange c : chunks) {
      assertThat(table.stream().filter(c::contains).count()).isLessThanOrEqualTo(3);
    }
  }

  @Test
  void shouldCoverTheWholeKeySpaceSoThatRowsInsertedAfterPlanningAreRead() throws Exception {
    List<KeyRange> chunks = ChunkPlanner.plan(List.of(KeyRange.ALL), 2, index(keys(10, 20, 30, 40), new ArrayList<>()));

    assertThat(chunks).containsExactly(new KeyRange(null, 20L), new KeyRange(20L, 40L), new KeyRange(40L, null));
    for (long k : new long[] {Long.MIN_VALUE, -5, 15, 25, 41, Long.MAX_VALUE}) {
      assertThat(chunks.stream().filter(c -> c.contains(k)).count()).as("key %d", k).isEqualTo(1);
    }
  }

  @Test
  void shouldMakeOneChunkOfAnEmptyOrSmallTable() throws Exception {
    assertThat(ChunkPlanner.plan(List.of(KeyRange.ALL), 10, index(keys(), new ArrayList<>())))
        .containsExactly(KeyRange.ALL);
    assertThat(ChunkPlanner.plan(List.of(KeyRange.ALL), 10, index(keys(1, 2), new ArrayList<>())))
        .containsExactly(KeyRange.ALL);
  }

  @Test
  void shouldPlanOnlyTheRangesLeftAndEndEachAtItsOwnBound() throws Exception {
    NavigableSet<Long> table = keys(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    List<String> queries = new ArrayList<>();
    List<KeyRange> left = KeyRange.remaining(List.of(new KeyRange(null, 2L), new KeyRange(5L, 8L)));
    assertThat(left).containsExactly(new KeyRange(2L, 5L), new KeyRange(8L, null));

    List<KeyRange> chunks = ChunkPlanner.plan(left, 2, index(table, queries));

    assertThat(chunks).containsExactly(new KeyRange(2L, 4L), new KeyRange(4L, 5L), new KeyRange(8L, 10L),
        new KeyRange(10L, null));
    assertThat(queries).first().isEqualTo("2..5");
  }

  @Test
  void shouldComputeWhatCompletedRangesLeave() {
    assertThat(KeyRange.remaining(List.of())).containsExactly(KeyRange.ALL);
    assertThat(KeyRange.remaining(List.of(KeyRange.ALL))).isEmpty();
    assertThat(KeyRange.remaining(List.of(new KeyRange(10L, null), new KeyRange(null, 10L)))).isEmpty();
    assertThat(KeyRange.remaining(List.of(new KeyRange(3L, 7L))))
        .containsExactly(new KeyRange(null, 3L), new KeyRange(7L, null));
    assertThatThrownBy(() -> KeyRange.remaining(List.of(new KeyRange(null, 7L), new KeyRange(5L, 9L))))
        .hasMessageContaining("overlap");
  }

  @Test
  void shouldWriteTheRangeAsSql() {
    assertThat(KeyRange.ALL.where("id")).isEmpty();
    assertThat(new KeyRange(null, 5L).where("id")).isEqualTo(" WHERE id <= 5");
    assertThat(new KeyRange(-3L, null).where("id")).isEqualTo(" WHERE id > -3");
    assertThat(new KeyRange(1L, 5L).where("id")).isEqualTo(" WHERE id > 1 AND id <= 5");
    assertThatThrownBy(() -> new KeyRange(5L, 5L)).isInstanceOf(IllegalArgumentException.class);
  }
}
