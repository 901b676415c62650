package io.syncline.streams.lake;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.streams.envelope.EnvelopeEncoder;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.TableRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compaction and vacuum of lake tables, read back through Kernel's scan. */
class HousekeepingTest {

  static final TableRef ITEMS = new TableRef("mysql", "erp", "erp", "erp", "items");
  static final TableShape SHAPE = new TableShape(ITEMS, List.of(new LakeColumn("id", LakeType.INT64),
      new LakeColumn("name", LakeType.TEXT)), List.of("id"));

  @TempDir Path dir;

  LakeSettings settings(LakeSettings.Maintenance m) {
    return new LakeSettings(dir, Duration.ofMillis(200), 50_000, 100, true, true, Set.of(), 4096,
        "syncline.lake.io-dispatcher", List.of(), m, Map.of());
  }

  static long parquetFiles(Path table) throws Exception {
    try (Stream<Path> files = Files.walk(table)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".parquet")
          && !p.toString().contains("_delta_log")).count();
    }
  }

  @Test
  void shouldMergeSmallFilesKeepingEveryRowAndThenVacuumTheOldOnes() throws Exception {
    // compaction after every 12 commits of the table; vacuum by hand, with no retention
    LakeSettings.Maintenance m = new LakeSettings.Maintenance(true, 12, 32L << 20, 10, 100, false, 1,
        Duration.ZERO, Duration.ofDays(30));
    LakeWriter writer = new LakeWriter(settings(m));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    Map<Long, String> reference = new HashMap<>();
    long offset = 10;
    for (int commit = 0; commit < 12; commit++) {
      List<LakeRecord> batch = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        long id = (commit * 7L + i * 13L) % 150; // inserts and updates all over the key range
        String name = "v" + commit + "." + i;
        batch.add(SilverLayoutTest.change(enc, SHAPE, reference.containsKey(id) ? Op.UPDATE : Op.CREATE, offset++,
            id, name));
        reference.put(id, name);
      }
      writer.commit(List.of(new LakeBatch<>(batch, commit)));
    }
    Path silver = dir.resolve("silver/erp.erp.items");
    Path bronze = dir.resolve("bronze/events");
    var silverSnapshot = DeltaReader.snapshot(silver);
    List<Map<String, Object>> rows = DeltaReader.rows(silverSnapshot);
    assertThat(rows).hasSize(reference.size());
    rows.forEach(r -> assertThat(r.get("name")).isEqualTo(reference.get((Long) r.get("id"))));
    assertThat(DeltaReader.rows(bronze)).hasSize(240);

    List<Long> keys = rows.stream().map(r -> (Long) r.get("id")).toList();
    assertThat(keys).as("compacted silver is one file in key order").isSorted();
    var last = SilverLayoutTest.commit(silver, silverSnapshot.getVersion());
    assertThat(last.stream().filter(a -> a.has("add")).map(a -> a.get("add").get("dataChange").asBoolean()))
        .containsOnly(false);
    assertThat(last.stream().filter(a -> a.has("remove"))).hasSizeGreaterThanOrEqualTo(10);
    var bronzeLast = SilverLayoutTest.commit(bronze, DeltaReader.snapshot(bronze).getVersion());
    assertThat(bronzeLast.stream().filter(a -> a.has("remove"))).as("bronze's day compacted").hasSize(12);

    long before = parquetFiles(silver);
    writer.housekeep("erp.erp.items", false, true);
    assertThat(parquetFiles(silver)).isLessThan(before).isEqualTo(1);
    assertThat(parquetFiles(bronze)).isEqualTo(1);
    assertThat(DeltaReader.rows(silver)).hasSize(reference.size());
    assertThat(DeltaReader.rows(bronze)).hasSize(240);
  }

  @Test
  void shouldKeepTheFilesOfVersionsWithinTheRetention() throws Exception {
    LakeSettings.Maintenance m = new LakeSettings.Maintenance(false, 1, 32L << 20, 10, 100, false, 1,
        Duration.ofDays(7), Duration.ofDays(30));
    LakeWriter writer = new LakeWriter(settings(m));
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    writer.commit(List.of(new LakeBatch<>(List.of(SilverLayoutTest.change(enc, SHAPE, Op.CREATE, 10, 1L, "a")), 1)));
    writer.commit(List.of(new LakeBatch<>(List.of(SilverLayoutTest.change(enc, SHAPE, Op.UPDATE, 11, 1L, "b")), 2)));
    Path silver = dir.resolve("silver/erp.erp.items");
    writer.housekeep("erp.erp.items", false, true);
    // time travel to the first version still reads the file the update replaced
    assertThat(DeltaReader.rows(DeltaReader.snapshot(silver, 0))).extracting(r -> r.get("name")).containsExactly("a");
    assertThat(DeltaReader.rows(silver)).extracting(r -> r.get("name")).containsExactly("b");
  }
}
