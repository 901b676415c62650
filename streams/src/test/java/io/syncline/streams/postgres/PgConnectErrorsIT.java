package io.syncline.streams.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.embedded.PgServer;
import io.syncline.streams.postgres.PgSourceException.Reason;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Connection errors that used to be reported as "cannot reach PostgreSQL ... check host/port" get
 * their own reason: a password the server asks for and the source does not set, a host name that
 * does not resolve.
 */
class PgConnectErrorsIT {

  private static PgSourceSettings settings(String host, int port, String user) {
    Config entry = ConfigFactory.parseMap(Map.of("name", "connect", "host", host, "port", port, "database", "postgres",
        "user", user, "include-tables", List.of("public.t")));
    return PgSourceSettings.create(entry,
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.postgres"));
  }

  @Test
  void shouldSayThePasswordIsNotSetWhenTheServerAsksForOne() {
    PgServer pg = PgServer.shared();
    pg.execute("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nopass') THEN"
        + " CREATE ROLE nopass LOGIN REPLICATION PASSWORD 'Secret-123'; END IF; END $$");
    assertThatThrownBy(() -> PgCapture.prepare(settings("localhost", pg.port(), "nopass")))
        .isInstanceOfSatisfying(PgSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_PASSWORD))
        .hasMessageContaining("PostgreSQL asks for the password of user 'nopass' and the source sets none")
        .hasMessageContaining("'password' setting")
        .hasMessageNotContaining("check 'host'/'port'");
  }

  @Test
  void shouldSayTheHostIsNotKnown() {
    assertThatThrownBy(() -> PgCapture.prepare(settings("no-such-host.invalid", 5432, "postgres")))
        .isInstanceOfSatisfying(PgSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
        .hasMessageContaining("host 'no-such-host.invalid' is not known (no address found for it)")
        .hasMessageContaining("'host' setting");
  }
}
