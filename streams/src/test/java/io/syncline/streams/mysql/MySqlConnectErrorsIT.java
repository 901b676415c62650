package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MariaDbServer;
import io.syncline.streams.mysql.MySqlSourceException.Reason;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Connection errors get their own reason: an account that needs a password the source does not
 * set (not "the password was rejected"), a host name that does not resolve.
 */
class MySqlConnectErrorsIT {

  private static MySqlSourceSettings settings(String host, int port, String user) {
    return MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of("name", "connect", "host", host, "port", port,
            "user", user, "include-tables", List.of("shop.orders"), "connect-timeout", "5s")),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql"));
  }

  @Test
  void shouldSayThePasswordIsNotSetWhenTheAccountNeedsOne() {
    MariaDbServer server = MariaDbServer.shared();
    server.createUser("nopass", "Secret-123", "REPLICATION SLAVE, REPLICATION CLIENT ON *.*");
    assertThatThrownBy(() -> MySqlCatalog.connect(settings("localhost", server.port(), "nopass")).close())
        .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_PASSWORD))
        .hasMessageContaining("the server asks for the password of user 'nopass' and the source sets none")
        .hasMessageContaining("'password' setting")
        .hasMessageNotContaining("rejected the password");
  }

  @Test
  void shouldSayTheHostIsNotKnown() {
    assertThatThrownBy(() -> MySqlCatalog.connect(settings("no-such-host.invalid", 3306, "root")).close())
        .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
        .hasMessageContaining("host 'no-such-host.invalid' is not known (no address found for it)")
        .hasMessageContaining("'host' setting");
  }
}
