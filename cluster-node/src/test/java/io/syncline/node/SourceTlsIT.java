package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import io.syncline.node.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to the sources as a user sets it up: servers with certificates of a test authority (made in
 * the test), one node with, per kind, a source verifying the server fully (which captures), one
 * trusting another authority and one reaching the server by a name its certificate lacks (each
 * stopped with an error naming the setting to fix).
 */
class SourceTlsIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String PASSWORD = "tls-Secret-pw";
  private static final String KEY_STORE_PASSWORD = "ks-Secret-pw";

  @TempDir
  Path dir;

  @Test
  void shouldCaptureOverVerifiedTlsAndRefuseAWrongAuthorityOrHostNamingTheSetting() throws Exception {
    Path certs = Files.createDirectories(dir.resolve("certs"));
    TestCertificates.Authority ca = TestCertificates.authority(certs, "syncline-test-ca");
    TestCertificates.Authority other = TestCertificates.authority(certs, "other-ca");
    TestCertificates.ServerCertificate pgCert = ca.issue(certs, "pg-server", "localhost");
    TestCertificates.ServerCertificate mariaCert = ca.issue(certs, "mariadb-server", "localhost");
    Path clientKeys = TestCertificates.clientKeyStore(ca, certs, "tlsclient", KEY_STORE_PASSWORD);
    try (PgServer pg = PgServer.start(Map.of("ssl", "on", "ssl_cert_file", pgCert.certFile().toString(),
            "ssl_key_file", pgCert.keyFile().toString()));
        MariaDbServer maria = MariaDbServer.start(List.of("--ssl-cert=" + mariaCert.certFile(),
            "--ssl-key=" + mariaCert.keyFile(), "--ssl-ca=" + ca.certFile()))) {
      pg.createDatabase("tls");
      pg.execute("tls", "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
      maria.createDatabase("tlsdb");
      maria.execute("tlsdb", "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)", "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
      // every connection of this user must be TLS with a client certificate of the authority: JDBC and binlog alike
      maria.createUser("tlsuser", PASSWORD, "SELECT ON tlsdb.*", "REPLICATION SLAVE, REPLICATION CLIENT ON *.*");
      maria.execute("", "ALTER USER 'tlsuser'@'%' REQUIRE X509");

      String verified = "tls { mode = verify-full, ca-file = \"" + ca.certFile() + "\" }";
      String wrongAuthority = "tls { mode = verify-full, ca-file = \"" + other.certFile() + "\" }";
      String clientKey = ", key-store = \"" + clientKeys + "\", key-store-password = \"" + KEY_STORE_PASSWORD + "\"";
      String withClientKey = "tls { mode = verify-full, ca-file = \"" + ca.certFile() + "\"" + clientKey + " }";
      // the driver's own TLS would accept this server anyway once it proved it knows the password's hash
      String wrongAuthorityWithClientKey = "tls { mode = verify-full, ca-file = \"" + other.certFile() + "\""
          + clientKey + " }";
      Path config = dir.resolve("node.conf");
      Files.writeString(config, String.join("\n",
          "syncline.data-dir = \"" + dir.resolve("state") + "\"",
          "syncline.transport.sinks = [jsonl]",
          "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
          "syncline.sources = [",
          pgSource("tlspg", "localhost", pg, verified) + ",",
          pgSource("tlspg_ca", "localhost", pg, wrongAuthority) + ",",
          pgSource("tlspg_host", "127.0.0.1", pg, verified) + ",",
          mariaSource("tlsmaria", "localhost", maria, withClientKey) + ",",
          mariaSource("tlsmaria_ca", "localhost", maria, wrongAuthorityWithClientKey) + ",",
          mariaSource("tlsmaria_host", "127.0.0.1", maria, withClientKey),
          "]",
          "pekko.remote.artery.canonical.port = 0"));
      try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"))) {
        node.awaitLog("source 'tlspg': capturing 1 tables", WAIT);
        node.awaitLog("source 'tlsmaria': capturing 1 tables", WAIT);
        pg.execute("tls", "INSERT INTO t VALUES (3, 'c')", "UPDATE t SET v = 'z' WHERE id = 1", "DELETE FROM t WHERE id = 2");
        maria.execute("tlsdb", "INSERT INTO t VALUES (3, 'c')", "UPDATE t SET v = 'z' WHERE id = 1", "DELETE FROM t WHERE id = 2");
        Path pgFile = dir.resolve("out").resolve("tlspg.public.t.jsonl");
        Path mariaFile = dir.resolve("out").resolve("tlsmaria.tlsdb.t.jsonl");
        Map<String, Map<String, String>> pgRows = Delivered.rows(pg.connect("tls"), "SELECT id, v FROM t", "id");
        Map<String, Map<String, String>> mariaRows = Delivered.rows(maria.connect("tlsdb"), "SELECT id, v FROM t", "id");
        node.await(() -> Delivered.replay(pgFile, "id").equals(pgRows), "PostgreSQL replay equal to the table", WAIT);
        node.await(() -> Delivered.replay(mariaFile, "id").equals(mariaRows), "MariaDB replay equal to the table", WAIT);
        // the PostgreSQL source's connections, the walsender among them, are TLS
        try (var c = pg.connect("tls"); var rs = c.createStatement().executeQuery(
            "SELECT count(*), count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE a.backend_type = 'walsender')"
                + " FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'syncline-tlspg'")) {
          rs.next();
          assertThat(rs.getInt(3)).as("a walsender serves the source").isEqualTo(1);
          assertThat(rs.getInt(2)).as("TLS connections of the source").isEqualTo(rs.getInt(1));
        }

        node.awaitLog("source 'tlspg_ca': stopped, not retried", WAIT);
        node.awaitLog("source 'tlspg_host': stopped, not retried", WAIT);
        node.awaitLog("source 'tlsmaria_ca': stopped, not retried", WAIT);
        node.awaitLog("source 'tlsmaria_host': stopped, not retried", WAIT);
        String log = node.logText();
        assertThat(line(log, "source 'tlspg_ca': stopped"))
            .contains("is not signed by an authority in tls.ca-file (" + other.certFile() + ")")
            .contains("Fix: set 'tls.ca-file'");
        assertThat(line(log, "source 'tlsmaria_ca': stopped"))
            .contains("is not signed by an authority in tls.ca-file (" + other.certFile() + ")");
        assertThat(line(log, "source 'tlspg_host': stopped"))
            .contains("does not name host '127.0.0.1' (tls.mode = verify-full)").contains("Fix: set 'host'");
        assertThat(line(log, "source 'tlsmaria_host': stopped"))
            .contains("does not name host '127.0.0.1' (tls.mode = verify-full)");
        assertThat(log).doesNotContain(PASSWORD).doesNotContain(KEY_STORE_PASSWORD);
      }
    }
  }

  private static String pgSource(String name, String host, PgServer pg, String tls) {
    return "{ kind = postgres, name = " + name + ", host = \"" + host + "\", port = " + pg.port()
        + ", database = tls, user = postgres, include-tables = [\"public.t\"], " + tls + " }";
  }

  private static String mariaSource(String name, String host, MariaDbServer maria, String tls) {
    return "{ kind = mariadb, name = " + name + ", host = \"" + host + "\", port = " + maria.port()
        + ", user = tlsuser, password = \"" + PASSWORD + "\", include-tables = [\"tlsdb.t\"], " + tls + " }";
  }

  /** The first log line holding {@code text}. */
  private static String line(String log, String text) {
    return log.lines().filter(l -> l.contains(text)).findFirst().orElseThrow(() -> new AssertionError("no line with " + text));
  }
}
