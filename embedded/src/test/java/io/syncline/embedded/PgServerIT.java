package io.syncline.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;

class PgServerIT {

  @Test
  void shouldStartWithLogicalWalLevel() throws Exception {
    PgServer pg = PgServer.shared();
    try (Connection c = pg.connect("postgres"); ResultSet rs = c.createStatement().executeQuery("SHOW wal_level")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("logical");
    }
    assertThat(pg.majorVersion()).isEqualTo(Integer.parseInt(System.getProperty("syncline.pg.version", "18.1.0").split("\\.")[0]));
  }
}
