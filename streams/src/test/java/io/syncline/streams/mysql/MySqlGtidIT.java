package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MariaDbServer;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.SourceRun;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** GTID positions of the MariaDB source: recorded with each change, resumed from, heartbeats. */
class MySqlGtidIT {

  private static MariaDbServer server;
  private static ActorSystem system;

  @BeforeAll
  static void setUp() {
    server = MariaDbServer.shared();
    server.createDatabase("gtid");
    system = ActorSystem.create("mysql-gtid-it");
  }

  @AfterAll
  static void tearDown() {
    system.terminate();
  }

  private static MySqlCaptureSource source(String table, Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(Map.of("name", "g_" + table, "host", "localhost", "port", server.port(),
        "user", "root", "include-tables", List.of("gtid." + table), "snapshot-mode", "never"));
    m.putAll(extra);
    return new MySqlCaptureSource(MySqlSourceSettings.create(ConfigFactory.parseMap(m),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql")));
  }

  private static TableRef ref(String table) {
    return new TableRef("mysql", "g_" + table, "gtid", "gtid", table);
  }

  private static String gtidBinlogPos() throws Exception {
    try (Connection c = server.connect(""); ResultSet rs = c.createStatement().executeQuery("SELECT @@gtid_binlog_pos")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** The GTID before {@code gtid} in its domain on this single-server topology. */
  private static String previous(String gtid) {
    String[] p = gtid.split("-");
    return p[0] + "-" + p[1] + "-" + (Long.parseLong(p[2]) - 1);
  }

  @Test
  void shouldRecordEachTransactionsGtidAndTheStateToResumeItFrom() throws Exception {
    server.execute("gtid", "DROP TABLE IF EXISTS rec", "CREATE TABLE rec (id INT PRIMARY KEY)");
    try (SourceRun run = new SourceRun(system, source("rec", Map.of()), Map.of())) {
      server.awaitBinlogReaders(1, Duration.ofSeconds(30));
      server.execute("gtid", "INSERT INTO rec VALUES (1), (2)", "INSERT INTO rec VALUES (3)");
      List<JsonNode> d = run.await(3);
      String second = d.get(2).at("/source/gtid").asText();
      BinlogPosition last = (BinlogPosition) run.lastPosition(ref("rec"));
      assertThat(last.gtid()).isEqualTo(second);
      assertThat(last.resumeGtids()).isEqualTo(previous(second));
      // the acknowledged position is after the transaction: the server's state once it committed
      assertThat(((BinlogPosition) run.acknowledged()).resumeGtids()).isEqualTo(gtidBinlogPos());
    }
  }

  @Test
  void shouldResumeByGtidWhenThePositionCarriesTheState() throws Exception {
    server.execute("gtid", "DROP TABLE IF EXISTS res", "CREATE TABLE res (id INT PRIMARY KEY)");
    List<JsonNode> first;
    try (SourceRun run = new SourceRun(system, source("res", Map.of()), Map.of())) {
      server.awaitBinlogReaders(1, Duration.ofSeconds(30));
      server.execute("gtid", "INSERT INTO res VALUES (0)", "INSERT INTO res VALUES (1), (2)",
          "INSERT INTO res VALUES (3), (4)");
      first = run.await(5);
    }
    server.execute("gtid", "INSERT INTO res VALUES (5)");
    // recorded: the second transaction complete; its file and offset point at it, but the GTID state
    // handed to the server is the one before the FIRST transaction. Read by GTID, the server sends
    // from the first one, which is then dropped as already delivered: 3 duplicates, not the 2 a read
    // by file and offset would give.
    JsonNode txn0 = first.get(0);
    JsonNode txn1 = first.get(1);
    BinlogPosition recorded = new BinlogPosition(txn1.at("/source/file").asText(), txn1.at("/source/pos").asLong(),
        BinlogPosition.COMPLETE, txn1.at("/source/gtid").asText(), previous(txn0.at("/source/gtid").asText()));
    try (SourceRun run = new SourceRun(system, source("res", Map.of()), Map.of(ref("res"), new TableStart(recorded, true)))) {
      List<JsonNode> second = run.await(3);
      assertThat(second).extracting(x -> x.at("/after/id").asInt()).containsExactly(3, 4, 5);
      assertThat(run.metrics.skippedDuplicates()).isEqualTo(3);
    }
  }

  @Test
  void shouldSayWhenTheServerNoLongerHasTheRecordedGtidState() throws Exception {
    server.execute("gtid", "DROP TABLE IF EXISTS gone", "CREATE TABLE gone (id INT PRIMARY KEY)");
    BinlogPosition unknown = new BinlogPosition("mariadb-bin.000001", 4, BinlogPosition.COMPLETE, "0-1-900000000",
        "0-1-899999999");
    try (SourceRun run = new SourceRun(system, source("gone", Map.of()), Map.of(ref("gone"), new TableStart(unknown, true)))) {
      Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> run.await(1));
      while (t != null && !(t instanceof MySqlSourceException)) {
        t = t.getCause();
      }
      assertThat(t).isInstanceOfSatisfying(MySqlSourceException.class,
              e -> assertThat(e.reason()).isEqualTo(MySqlSourceException.Reason.POSITION_PURGED))
          .hasMessageContaining("GTID state 0-1-899999999")
          .hasMessageContaining("take a new snapshot");
    } catch (java.util.concurrent.ExecutionException expected) {
      // close() reports the same failure again
    }
  }

  @Test
  void shouldAcknowledgeAnIdleServerFromItsHeartbeats() throws Exception {
    server.execute("gtid", "DROP TABLE IF EXISTS idle", "CREATE TABLE idle (id INT PRIMARY KEY)");
    try (SourceRun run = new SourceRun(system, source("idle", Map.of("heartbeat-interval", "500ms")), Map.of())) {
      server.awaitBinlogReaders(1, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      SourcePosition acked = null;
      while (acked == null && System.nanoTime() < deadline) {
        LockSupport.parkNanos(100_000_000L);
        acked = run.acknowledged();
      }
      // nothing was written after the reader started: only a heartbeat can have moved it
      assertThat(acked).as("acknowledged from a heartbeat").isNotNull();
      assertThat(((BinlogPosition) acked).resumeGtids()).isEqualTo(gtidBinlogPos());
      assertThat(run.records).isEmpty();
    }
  }
}
