package io.syncline.streams.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class KafkaSettingsTest {

  private static KafkaSettings read(String hocon) {
    return KafkaSettings.create(ConfigFactory.parseString("bootstrap-servers = \"localhost:9092\"\n" + hocon));
  }

  @Test
  void aQuotedProducerKeyOverridesTheNestedDefault() {
    // reference.conf writes delivery.timeout.ms nested; a user who quotes it must still win
    KafkaSettings s = read("producer { \"delivery.timeout.ms\" = 30000 }");
    assertThat(s.producerProperties()).containsEntry("delivery.timeout.ms", "30000");
  }

  @Test
  void aNestedProducerKeyOverridesTheDefault() {
    KafkaSettings s = read("producer { delivery.timeout.ms = 45000, linger.ms = 20 }");
    assertThat(s.producerProperties()).containsEntry("delivery.timeout.ms", "45000").containsEntry("linger.ms", "20");
  }

  @Test
  void theDefaultsApplyWhenTheUserSetsNothing() {
    assertThat(read("").producerProperties()).containsEntry("delivery.timeout.ms", "120000");
  }

  @Test
  void twoDifferentUserValuesForOnePropertyAreRefused() {
    assertThatThrownBy(() -> read("producer { \"linger.ms\" = 10, linger.ms = 20 }"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("producer.linger.ms")
        .hasMessageContaining("set twice");
  }
}
