package io.syncline.streams.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** Settings of a PostgreSQL source that depend on each other. */
class PgSourceSettingsTest {

  private static PgSourceSettings pg(String keys) {
    return PgSourceSettings.create(ConfigFactory.parseString("name = s, database = d, include-tables = [\"public.t\"], "
        + keys), ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.postgres"));
  }

  @Test
  void shouldRefuseAServerTimeoutShorterThanTwoHeartbeats() {
    assertThatThrownBy(() -> pg("heartbeat-interval = 10s, server-timeout = 15s"))
        .hasMessageContaining("setting 'server-timeout' (15000 ms) must be at least twice 'heartbeat-interval' (10000 ms)");
    assertThat(pg("heartbeat-interval = 10s, server-timeout = 0s").serverTimeout()).isZero();
    assertThat(pg("heartbeat-interval = 0s, server-timeout = 5s").serverTimeout()).hasSeconds(5);
    assertThat(pg("").serverTimeout()).hasSeconds(60);
    assertThat(pg("").tableDiscoveryInterval()).hasSeconds(10);
  }
}
