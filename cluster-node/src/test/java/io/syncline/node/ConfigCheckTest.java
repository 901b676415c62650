package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Unknown keys under {@code syncline} are refused with the nearest known key; the known ones come from reference.conf. */
class ConfigCheckTest {

  private static Config load(String hocon) {
    return ConfigFactory.load(ConfigFactory.parseString(hocon, com.typesafe.config.ConfigParseOptions.defaults()
        .setOriginDescription("node.conf")));
  }

  @Test
  void shouldAcceptEveryKeyOfTheReferenceAndOfEachSourceKind() {
    assertThatCode(() -> ConfigCheck.refuseUnknownKeys(load(String.join("\n",
        "syncline.reader.idle-table-commit = 5s",
        "syncline.journal.start-timeout = 5s",
        "syncline.transport.kafka.producer { \"sasl.jaas.config\" = x, linger.ms = 1, any.kafka.property = y }",
        "syncline.consume.consumer.session.timeout.ms = 10000",
        "syncline.sources = [",
        "  { kind = postgres, name = a, database = d, slot-name = s, incremental-snapshot.chunk-size = 10 },",
        "  { kind = mysql, name = b, server-id = 7, heartbeat-interval = 1s },",
        "  { kind = mongodb, name = c, connection-string = \"mongodb://h/\", full-document = updateLookup } ]"))))
        .doesNotThrowAnyException();
  }

  @Test
  void shouldNameTheNearestKnownKeyAndWhereTheUnknownOneIs() {
    assertThatThrownBy(() -> ConfigCheck.refuseUnknownKeys(load(String.join("\n",
        "syncline.transprt.sinks = [jsonl]",
        "syncline.sources = [{ kind = mariadb, name = m, snapshot-mod = never, slot-name = x }]",
        "syncline.reader.stop-timout = 5s"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown configuration key 'syncline.transprt' (node.conf:1): did you mean 'transport'?")
        .hasMessageContaining("unknown configuration key 'syncline.sources[0].snapshot-mod' (node.conf:2): did you mean"
            + " 'snapshot-mode'?")
        // slot-name is a PostgreSQL key, not a MariaDB one
        .hasMessageContaining("unknown configuration key 'syncline.sources[0].slot-name' (node.conf:2): not a Syncline"
            + " setting (known here: ")
        .hasMessageContaining("unknown configuration key 'syncline.reader.stop-timout' (node.conf:3): did you mean"
            + " 'stop-timeout'?");
  }

  @Test
  void shouldLeaveUnknownSourceKindsAndSystemPropertiesToOthers() {
    assertThatCode(() -> ConfigCheck.refuseUnknownKeys(load("syncline.sources = [{ kind = oracle, name = o, x = 1 }]")))
        .doesNotThrowAnyException();
    Config withProperty = ConfigFactory.parseMap(java.util.Map.of("syncline.pg.version", "14"), "system properties")
        .withFallback(load(""));
    assertThatCode(() -> ConfigCheck.refuseUnknownKeys(withProperty)).doesNotThrowAnyException();
  }

  @Test
  void shouldCountATranspositionAsOneEdit() {
    assertThat(ConfigCheck.distance("transprt", "transport")).isEqualTo(1);
    assertThat(ConfigCheck.distance("snapshto-mode", "snapshot-mode")).isEqualTo(1);
    assertThat(ConfigCheck.nearest("snapshot-mod", Set.of("snapshot-mode", "snapshot-fetch-size", "slot-name")))
        .isEqualTo("snapshot-mode");
    assertThat(ConfigCheck.nearest("colour", Set.of("kind", "name"))).isNull();
  }

  @Test
  void shouldDescribeMalformedHoconByFileAndLine() {
    ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> ConfigFactory.parseString("a {\n b = 1\n c = [", com.typesafe.config.ConfigParseOptions.defaults()
            .setOriginDescription("x")));
    assertThat(ConfigCheck.describe(e)).doesNotStartWith("x: ");
    assertThat(ConfigCheck.describe(e)).contains("end of file");
  }
}
