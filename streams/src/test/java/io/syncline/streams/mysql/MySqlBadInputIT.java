package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MariaDbServer;
import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.mysql.MySqlSourceException.Reason;
import java.sql.Connection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each MySQL/MariaDB bad-input case gets its documented error naming the fix. */
class MySqlBadInputIT {

  private static MariaDbServer server;

  @BeforeAll
  static void setUp() {
    server = MariaDbServer.shared();
    server.createDatabase("shop");
    server.execute("shop", "CREATE TABLE IF NOT EXISTS orders (id INT PRIMARY KEY, note VARCHAR(20))",
        "CREATE TABLE IF NOT EXISTS events_nokey (at DATETIME, what VARCHAR(20))");
  }

  static MySqlSourceSettings settings(int port, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(Map.of("name", "bad", "host", "localhost", "port", port, "user", "root",
        "include-tables", List.of("shop.orders")));
    m.putAll(extra);
    return MySqlSourceSettings.create(ConfigFactory.parseMap(m),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql"));
  }

  private static void check(MySqlSourceSettings s) throws Exception {
    try (Connection c = MySqlCatalog.connect(s)) {
      new MySqlCatalog(s, c).checkBinlog();
    }
  }

  @Test
  void shouldAcceptTheEmbeddedServerAndResolveTablesWithTheirKeys() throws Exception {
    MySqlSourceSettings s = settings(server.port(), Map.of("include-tables", List.of("shop.*")));
    try (Connection c = MySqlCatalog.connect(s)) {
      MySqlCatalog catalog = new MySqlCatalog(s, c);
      catalog.checkBinlog();
      assertThat(catalog.resolveTables()).extracting(MySqlCatalog.MySqlTable::qualifiedName)
          .contains("shop.orders", "shop.events_nokey");
      assertThat(catalog.resolveTables()).filteredOn(t -> t.table().equals("orders"))
          .singleElement().extracting(MySqlCatalog.MySqlTable::keyColumns).isEqualTo(List.of("id"));
      assertThat(catalog.resolveTables()).filteredOn(t -> t.table().equals("events_nokey"))
          .singleElement().extracting(MySqlCatalog.MySqlTable::keyColumns).isEqualTo(List.of());
      BinlogPosition now = catalog.currentPosition();
      catalog.checkPositionAvailable(now);
    }
  }

  @Test
  void shouldSayTheBinlogFormatMustBeRow() throws Exception {
    server.execute("", "SET GLOBAL binlog_format = 'STATEMENT'");
    try {
      assertThatThrownBy(() -> check(settings(server.port(), Map.of())))
          .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BINLOG_FORMAT_NOT_ROW))
          .hasMessageContaining("binlog_format is 'STATEMENT'")
          .hasMessageContaining("SET GLOBAL binlog_format = 'ROW'");
    } finally {
      server.execute("", "SET GLOBAL binlog_format = 'ROW'");
    }
  }

  @Test
  void shouldSayTheRowImageMustBeFull() throws Exception {
    server.execute("", "SET GLOBAL binlog_row_image = 'MINIMAL'");
    try {
      assertThatThrownBy(() -> check(settings(server.port(), Map.of())))
          .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.ROW_IMAGE_NOT_FULL))
          .hasMessageContaining("binlog_row_image is 'MINIMAL'")
          .hasMessageContaining("SET GLOBAL binlog_row_image = 'FULL'");
    } finally {
      server.execute("", "SET GLOBAL binlog_row_image = 'FULL'");
    }
  }

  @Test
  void shouldRefuseTheServersOwnServerId() {
    assertThatThrownBy(() -> check(settings(server.port(), Map.of("server-id", 1))))
        .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.SERVER_ID_CONFLICT))
        .hasMessageContaining("server-id 1 is the server's own server_id")
        .hasMessageContaining("'server-id'");
  }

  @Test
  void shouldSayWhenTheRecordedBinlogFileWasPurged() throws Exception {
    MySqlSourceSettings s = settings(server.port(), Map.of());
    try (Connection c = MySqlCatalog.connect(s)) {
      MySqlCatalog catalog = new MySqlCatalog(s, c);
      assertThatThrownBy(() -> catalog.checkPositionAvailable(new BinlogPosition("mariadb-bin.000999", 4, 1, null)))
          .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.POSITION_PURGED))
          .hasMessageContaining("mariadb-bin.000999")
          .hasMessageContaining("no longer on the server")
          .hasMessageContaining("take a new snapshot");
    }
  }

  @Test
  void shouldNameAnIncludedTableThatDoesNotExist() throws Exception {
    MySqlSourceSettings s = settings(server.port(), Map.of("include-tables", List.of("shop.orders", "shop.nope")));
    try (Connection c = MySqlCatalog.connect(s)) {
      assertThatThrownBy(() -> new MySqlCatalog(s, c).resolveTables())
          .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_SUCH_TABLE))
          .hasMessageContaining("included table 'shop.nope' does not exist");
    }
  }

  @Test
  void shouldSayTheServerIsUnreachable() {
    assertThatThrownBy(() -> MySqlCatalog.connect(settings(1, Map.of("connect-timeout", "2s"))))
        .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
        .hasMessageContaining("cannot reach the server at localhost:1");
  }

  @Test
  void shouldSayTheBinlogIsOff() throws Exception {
    try (MariaDbServer noBinlog = MariaDbServer.startWith(List.of())) {
      assertThatThrownBy(() -> check(settings(noBinlog.port(), Map.of())))
          .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BINLOG_OFF))
          .hasMessageContaining("the binary log is off")
          .hasMessageContaining("--log-bin");
    }
  }

  @Test
  void shouldNameTheReplicationPrivilegesTheUserLacks() throws Exception {
    server.createUser("reader", "s3cret-pw", "SELECT ON shop.*");
    MySqlSourceSettings s = settings(server.port(), Map.of("user", "reader", "password", "s3cret-pw"));
    try (Connection c = MySqlCatalog.connect(s)) {
      assertThatThrownBy(() -> new MySqlCatalog(s, c).checkPrivileges())
          .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MISSING_PRIVILEGE))
          .hasMessageContaining("user 'reader' lacks REPLICATION SLAVE and REPLICATION CLIENT")
          .hasMessageContaining("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'reader'")
          .hasMessageNotContaining("s3cret-pw");
    }
    server.createUser("halfway", "pw2", "SELECT ON shop.*", "REPLICATION SLAVE ON *.*");
    MySqlSourceSettings half = settings(server.port(), Map.of("user", "halfway", "password", "pw2"));
    try (Connection c = MySqlCatalog.connect(half)) {
      assertThatThrownBy(() -> new MySqlCatalog(half, c).checkPrivileges())
          .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MISSING_PRIVILEGE))
          .hasMessageContaining("user 'halfway' lacks REPLICATION CLIENT,");
    }
  }

  @Test
  void shouldAcceptAUserWithJustTheReplicationPrivilegesAndSelect() throws Exception {
    server.createUser("cdc", "cdc-pw", "SELECT ON shop.*", "REPLICATION SLAVE, REPLICATION CLIENT ON *.*");
    MySqlSourceSettings s = settings(server.port(), Map.of("user", "cdc", "password", "cdc-pw"));
    try (Connection c = MySqlCatalog.connect(s)) {
      MySqlCatalog catalog = new MySqlCatalog(s, c);
      catalog.checkPrivileges();
      catalog.checkBinlog(); // SHOW SLAVE HOSTS is refused to this user: skipped with a warning, not an error
      catalog.checkPositionAvailable(catalog.currentPosition());
      assertThat(catalog.resolveTables()).extracting(MySqlCatalog.MySqlTable::qualifiedName).containsExactly("shop.orders");
    }
  }

  @Test
  void shouldSayWhenTheUserMayNotSeeAnIncludedTable() throws Exception {
    server.createDatabase("secret");
    server.execute("secret", "CREATE TABLE IF NOT EXISTS salaries (id INT PRIMARY KEY)");
    server.createUser("nosecret", "pw3", "SELECT ON shop.*", "REPLICATION SLAVE, REPLICATION CLIENT ON *.*");
    MySqlSourceSettings s = settings(server.port(), Map.of("user", "nosecret", "password", "pw3",
        "include-tables", List.of("secret.salaries")));
    try (Connection c = MySqlCatalog.connect(s)) {
      assertThatThrownBy(() -> new MySqlCatalog(s, c).resolveTables())
          .isInstanceOfSatisfying(MySqlSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_SUCH_TABLE))
          .hasMessageContaining("'secret.salaries' does not exist (or user 'nosecret' may not SELECT it)");
    }
  }

  @Test
  void shouldSayWhenAnotherReplicaConnectsWithTheSameServerId() throws Exception {
    // a binlog client does not register as a replica, so SHOW SLAVE HOSTS cannot see it beforehand:
    // the server drops the older connection when a second one comes with its server_id, with an error
    MySqlCaptureSource source = new MySqlCaptureSource(settings(server.port(), Map.of("server-id", 4242,
        "snapshot-mode", "never", "name", "collide")));
    org.apache.pekko.actor.ActorSystem system = org.apache.pekko.actor.ActorSystem.create("collide");
    try (io.syncline.streams.capture.SourceRun run = new io.syncline.streams.capture.SourceRun(system, source, Map.of())) {
      server.awaitBinlogReaders(1, java.time.Duration.ofSeconds(30));
      com.github.shyiko.mysql.binlog.BinaryLogClient other =
          new com.github.shyiko.mysql.binlog.BinaryLogClient("localhost", server.port(), "root", "");
      other.setServerId(4242);
      other.connect(10_000);
      try {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> run.await(1));
        while (t != null && !(t instanceof MySqlSourceException)) {
          t = t.getCause();
        }
        assertThat(t).isInstanceOfSatisfying(MySqlSourceException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.SERVER_ID_CONFLICT))
            .hasMessageContaining("replica server-id 4242")
            .hasMessageContaining("A slave with the same server_uuid/server_id")
            .hasMessageContaining("Fix: give the source another 'server-id'");
      } finally {
        other.disconnect();
      }
    } catch (java.util.concurrent.ExecutionException expected) {
      // close() reports the same failure again
    } finally {
      system.terminate();
    }
  }

}
