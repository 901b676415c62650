package io.syncline.streams.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LakeSettingsTest {

  static Config withDefaults(String hocon) {
    return ConfigFactory.load(ConfigFactory.parseString(hocon + "\nsyncline.data-dir = /var/syncline"));
  }

  @Test
  void shouldReadTheDefaultsOfReferenceConf() {
    LakeSettings s = LakeSettings.create(withDefaults(""));
    assertThat(s.path()).isEqualTo(Path.of("/var/syncline/lake"));
    assertThat(s.bronzePath()).isEqualTo(Path.of("/var/syncline/lake/bronze/events"));
    assertThat(s.silverPath("shop.public.orders")).isEqualTo(Path.of("/var/syncline/lake/silver/shop.public.orders"));
    assertThat(s.commitInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.checkpointInterval()).isEqualTo(10);
    assertThat(s.bronze()).isTrue();
    assertThat(s.silver()).isTrue();
    assertThat(s.gold()).isEmpty();
    assertThat(s.maintenance()).isEqualTo(LakeSettings.Maintenance.DEFAULT);
    assertThat(s.tableProperties(java.util.Map.of()))
        .containsEntry("delta.checkpointInterval", "10")
        .containsEntry("delta.logRetentionDuration", "interval 720 hours");
  }

  @Test
  void shouldTakeAPathWhenOneIsGiven() {
    assertThat(LakeSettings.create(withDefaults("syncline.lake.path = /data/lake2")).path()).isEqualTo(Path.of("/data/lake2"));
  }

  @Test
  void shouldNeverPrintHadoopPropertyValues() {
    LakeSettings s = LakeSettings.create(withDefaults(
        "syncline.lake.hadoop { \"fs.s3a.secret.key\" = \"hunter2-secret\", \"fs.s3a.endpoint\" = \"http://minio:9000\" }"));
    assertThat(s.hadoop()).containsEntry("fs.s3a.secret.key", "hunter2-secret");
    assertThat(s.toString()).contains("fs.s3a.secret.key").doesNotContain("hunter2-secret");
  }

  @Test
  void shouldRefuseSettingsThatCannotWork() {
    assertThatThrownBy(() -> LakeSettings.create(withDefaults("syncline.lake.commit-interval = 0s")))
        .hasMessageContaining("syncline.lake.commit-interval must be positive");
    assertThatThrownBy(() -> LakeSettings.create(withDefaults("syncline.lake.housekeeping.compaction.min-files = 1")))
        .hasMessageContaining("min-files at least 2");
  }
}
