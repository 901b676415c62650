package io.syncline.streams.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshotSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad snapshot settings are refused with the setting's name, the value and (where it helps) the fix. */
class SnapshotSettingsTest {

  @Test
  void readsParallelismAndChunkSize() {
    SnapshotSettings s = SnapshotSettings.create(ConfigFactory.parseMap(
        Map.of("snapshot-parallelism", 3, "snapshot-chunk-size", 1000)));
    assertThat(s).isEqualTo(new SnapshotSettings(3, 1000));
  }

  @Test
  void refusesParallelismOutsideOneTo64() {
    assertThatThrownBy(() -> new SnapshotSettings(0, 1000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'snapshot-parallelism'").hasMessageContaining("got 0").hasMessageContaining("fix");
    assertThatThrownBy(() -> new SnapshotSettings(65, 1000))
        .hasMessageContaining("'snapshot-parallelism'").hasMessageContaining("got 65");
  }

  @Test
  void refusesAChunkSizeBelowOne() {
    assertThatThrownBy(() -> new SnapshotSettings(2, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'snapshot-chunk-size'").hasMessageContaining("got 0");
  }

  @Test
  void incrementalSettingsNameTheSourceAndTheSetting() {
    assertThatThrownBy(() -> IncrementalSnapshotSettings.create(
            ConfigFactory.parseMap(Map.of("signal-table", "no_schema")), "shop"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("source 'shop'").hasMessageContaining("'signal-table'").hasMessageContaining("no_schema");
    assertThatThrownBy(() -> IncrementalSnapshotSettings.create(
            ConfigFactory.parseMap(Map.of("signal-table", "public.signals", "incremental-snapshot.chunk-size", 0)), "shop"))
        .hasMessageContaining("source 'shop'").hasMessageContaining("'incremental-snapshot.chunk-size'");
    IncrementalSnapshotSettings off = IncrementalSnapshotSettings.create(ConfigFactory.empty(), "shop");
    assertThat(off.enabled()).isFalse();
    assertThat(off.chunkSize()).isEqualTo(1024);
  }
}
