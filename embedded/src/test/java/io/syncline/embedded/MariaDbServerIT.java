package io.syncline.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MariaDbServerIT {

  @Test
  void shouldStartWithARowBasedBinlogCarryingFullMetadata() throws Exception {
    MariaDbServer server = MariaDbServer.shared();
    Map<String, String> vars = new HashMap<>();
    try (Connection c = server.connect("");
        ResultSet rs = c.createStatement().executeQuery("SHOW VARIABLES WHERE Variable_name IN"
            + " ('log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata', 'server_id')")) {
      while (rs.next()) {
        vars.put(rs.getString(1), rs.getString(2));
      }
    }
    assertThat(vars).containsEntry("log_bin", "ON").containsEntry("binlog_format", "ROW")
        .containsEntry("binlog_row_image", "FULL").containsEntry("binlog_row_metadata", "FULL")
        .containsEntry("server_id", "1");
    assertThat(server.version()).contains("MariaDB");
    server.createDatabase("smoke");
    server.execute("smoke", "CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY)", "REPLACE INTO t VALUES (1)");
  }
}
