package io.syncline.streams.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake writer killed with SIGKILL at random points (while writing Parquet, inside Kernel's
 * commit, between the Delta commit and the acknowledgement), restarted each time from its last
 * acknowledgement: afterwards bronze holds every change once and silver equals the history's
 * final rows, read back through Kernel's scan.
 */
class LakeWriterCrashIT {

  static final int CHANGES = 400;
  static final int BATCH = 20;

  @TempDir Path dir;

  @Test
  void shouldHoldEveryChangeOnceAfterKillsAtRandomPoints() throws Exception {
    Path lake = dir.resolve("lake");
    Path ack = dir.resolve("ack");
    Random r = new Random(7);
    int kills = 0;
    int runs = 0;
    boolean done = false;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (!done && System.nanoTime() < deadline) {
      runs++;
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-cp", System.getProperty("java.class.path"), CrashingLakeWriter.class.getName(),
          lake.toString(), ack.toString(), Integer.toString(CHANGES), Integer.toString(BATCH))
          .redirectErrorStream(true).start();
      boolean kill = kills < 5;
      int killAfter = 1 + r.nextInt(3); // acknowledgements to wait for in this run
      long delayNanos = TimeUnit.MILLISECONDS.toNanos(r.nextInt(400)); // then a random moment of the next commit
      int acked = 0;
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.startsWith("acked")) {
            acked++;
            if (kill && acked >= killAfter) {
              long until = System.nanoTime() + delayNanos;
              while (System.nanoTime() < until) {
                LockSupport.parkNanos(until - System.nanoTime());
              }
              p.destroyForcibly(); // SIGKILL
              kills++;
              break;
            }
          } else if (line.equals("done")) {
            done = true;
          }
        }
      }
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(done).as("the writer finished after %s runs", runs).isTrue();
    assertThat(kills).isEqualTo(5);

    List<Map<String, Object>> bronze = DeltaReader.rows(lake.resolve("bronze/events"));
    assertThat(bronze).hasSize(CHANGES);
    assertThat(bronze.stream().map(row -> row.get("position_sort")).collect(Collectors.toSet())).hasSize(CHANGES);
    Map<Long, LakeWriterTest.Step> reference = new HashMap<>();
    LakeWriterTest.history(CHANGES, 42, reference);
    LakeWriterTest.assertSilverEquals(lake.resolve("silver/shop.public.orders"), reference);
    List<String> silverKeys = new ArrayList<>();
    DeltaReader.rows(lake.resolve("silver/shop.public.orders")).forEach(row -> silverKeys.add((String) row.get("_key")));
    assertThat(silverKeys).doesNotHaveDuplicates();
  }
}
