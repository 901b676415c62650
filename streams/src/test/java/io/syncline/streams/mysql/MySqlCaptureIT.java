package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MariaDbServer;
import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.capture.SourceRun;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The MariaDB binlog source against a real server: inserts, updates, deletes, positions, resume. */
class MySqlCaptureIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static MariaDbServer server;
  private static ActorSystem system;

  @BeforeAll
  static void setUp() {
    server = MariaDbServer.shared();
    server.createDatabase("cap");
    system = ActorSystem.create("mysql-capture-it");
  }

  @AfterAll
  static void tearDown() {
    system.terminate();
  }

  private static MySqlCaptureSource source(String name) {
    return new MySqlCaptureSource(MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of(
            "name", name, "host", "localhost", "port", server.port(), "user", "root",
            "include-tables", List.of("cap." + name), "snapshot-mode", "never")),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql")));
  }

  @Test
  void shouldStreamInsertsUpdatesAndDeletesWithKeysAndPositions() throws Exception {
    server.execute("cap", "DROP TABLE IF EXISTS basic",
        "CREATE TABLE basic (id INT PRIMARY KEY, v VARCHAR(20), n DECIMAL(10,2)) CHARSET utf8mb4");
    try (SourceRun run = new SourceRun(system, source("basic"), Map.of())) {
      server.awaitBinlogReaders(1, Duration.ofSeconds(30));
      server.execute("cap", "INSERT INTO basic VALUES (1, 'one', 1.50), (2, 'zwei ü', NULL)",
          "UPDATE basic SET n = 2.25 WHERE id = 1", "DELETE FROM basic WHERE id = 2");
      List<JsonNode> d = run.await(4);
      assertThat(d).extracting(x -> x.get("op").asText()).containsExactly("c", "c", "u", "d");
      assertThat(d.get(0).get("after").toString()).isEqualTo("{\"id\":1,\"v\":\"one\",\"n\":\"1.50\"}");
      assertThat(d.get(1).get("after").toString()).isEqualTo("{\"id\":2,\"v\":\"zwei ü\",\"n\":null}");
      assertThat(d.get(2).get("before").toString()).isEqualTo("{\"id\":1,\"v\":\"one\",\"n\":\"1.50\"}");
      assertThat(d.get(2).get("after").toString()).isEqualTo("{\"id\":1,\"v\":\"one\",\"n\":\"2.25\"}");
      assertThat(d.get(3).get("before").toString()).isEqualTo("{\"id\":2,\"v\":\"zwei ü\",\"n\":null}");
      assertThat(d.get(3).get("after").isNull()).isTrue();
      assertThat(d.get(0).at("/source/connector").asText()).isEqualTo("mysql");
      assertThat(d.get(0).at("/source/db").asText()).isEqualTo("cap");
      assertThat(d.get(0).at("/source/file").asText()).startsWith("mariadb-bin.");
      assertThat(d.get(0).at("/source/gtid").asText()).matches("0-1-\\d+");
      assertThat(d.get(0).at("/transaction/id").asText()).isEqualTo(d.get(0).at("/source/gtid").asText());
      assertThat(d.get(1).at("/transaction/total_order").asLong()).isEqualTo(2);
      assertThat(d.get(2).at("/source/pos").asLong()).isGreaterThan(d.get(0).at("/source/pos").asLong());
      assertThat(new String(run.records.peek().key())).isEqualTo("{\"id\":1}");
    }
  }

  @Test
  void shouldResumeFromTheRecordedTransactionDroppingWhatWasDelivered() throws Exception {
    server.execute("cap", "DROP TABLE IF EXISTS resume", "CREATE TABLE resume (id INT PRIMARY KEY)");
    List<JsonNode> first;
    TableRef table = new TableRef("mysql", "resume", "cap", "cap", "resume");
    try (SourceRun run = new SourceRun(system, source("resume"), Map.of())) {
      server.awaitBinlogReaders(1, Duration.ofSeconds(30));
      server.execute("cap", "INSERT INTO resume VALUES (1), (2)", "INSERT INTO resume VALUES (3), (4)");
      first = run.await(4);
    }
    // the table recorded only the first transaction: reading resumes at it, it is dropped, the rest comes
    BinlogPosition firstTxn = new BinlogPosition(first.get(0).at("/source/file").asText(),
        first.get(0).at("/source/pos").asLong(), BinlogPosition.COMPLETE, first.get(0).at("/source/gtid").asText());
    server.execute("cap", "INSERT INTO resume VALUES (5)");
    try (SourceRun run = new SourceRun(system, source("resume"), Map.of(table, new TableStart(firstTxn, true)))) {
      List<JsonNode> second = run.await(3);
      assertThat(second).extracting(x -> x.at("/after/id").asInt()).containsExactly(3, 4, 5);
      assertThat(run.metrics.skippedDuplicates()).isEqualTo(2);
    }
  }

  @Test
  void shouldFollowAddDropAndRenameColumnMidStream() throws Exception {
    server.execute("cap", "DROP TABLE IF EXISTS altered", "CREATE TABLE altered (id INT PRIMARY KEY, a VARCHAR(10))");
    try (SourceRun run = new SourceRun(system, source("altered"), Map.of())) {
      server.awaitBinlogReaders(1, Duration.ofSeconds(30));
      server.execute("cap",
          "INSERT INTO altered VALUES (1, 'x')",
          "ALTER TABLE altered ADD COLUMN b DECIMAL(10,2) DEFAULT 1.50",
          "INSERT INTO altered VALUES (2, 'y', 2.25)",
          "ALTER TABLE altered DROP COLUMN a",
          "INSERT INTO altered VALUES (3, 3.75)",
          "ALTER TABLE altered RENAME COLUMN b TO price",
          "UPDATE altered SET price = 4.00 WHERE id = 1");
      List<JsonNode> d = run.await(4);
      assertThat(d.get(0).get("after").toString()).isEqualTo("{\"id\":1,\"a\":\"x\"}");
      assertThat(d.get(1).get("after").toString()).isEqualTo("{\"id\":2,\"a\":\"y\",\"b\":\"2.25\"}");
      assertThat(d.get(2).get("after").toString()).isEqualTo("{\"id\":3,\"b\":\"3.75\"}");
      assertThat(d.get(3).get("before").toString()).isEqualTo("{\"id\":1,\"price\":\"1.50\"}");
      assertThat(d.get(3).get("after").toString()).isEqualTo("{\"id\":1,\"price\":\"4.00\"}");
    }
  }

  /**
   * Issue 10, findings 2 and 3: a savepoint closed the transaction (the next row failed "outside a
   * transaction"), and TRUNCATE gave no event. Rows rolled back to a savepoint (logged, with
   * ROLLBACK TO, because the transaction also wrote a non-transactional table) or with an XA
   * transaction are never delivered; a committed XA transaction comes at its XA COMMIT.
   */
  @Test
  void shouldDeliverOnlyCommittedChangesOfSavepointAndXaTransactionsAndTruncates() throws Exception {
    server.execute("cap", "DROP TABLE IF EXISTS shapes", "DROP TABLE IF EXISTS shapes_myisam",
        "CREATE TABLE shapes (id INT PRIMARY KEY)", "CREATE TABLE shapes_myisam (id INT PRIMARY KEY) ENGINE=MyISAM");
    try (SourceRun run = new SourceRun(system, source("shapes"), Map.of())) {
      server.awaitBinlogReaders(1, Duration.ofSeconds(30));
      try (var c = server.connect("cap"); var s = c.createStatement()) {
        c.setAutoCommit(false);
        s.execute("INSERT INTO shapes VALUES (1)");
        s.execute("SAVEPOINT a");
        s.execute("INSERT INTO shapes VALUES (2)");
        s.execute("INSERT INTO shapes_myisam VALUES (1)");
        s.execute("ROLLBACK TO SAVEPOINT a");
        s.execute("INSERT INTO shapes VALUES (3)");
        c.commit();
        c.setAutoCommit(true);
        s.execute("XA START 'shapes-1'");
        s.execute("INSERT INTO shapes VALUES (4)");
        s.execute("XA END 'shapes-1'");
        s.execute("XA PREPARE 'shapes-1'");
        s.execute("XA ROLLBACK 'shapes-1'");
        s.execute("XA START 'shapes-2'");
        s.execute("INSERT INTO shapes VALUES (5)");
        s.execute("XA END 'shapes-2'");
        s.execute("XA PREPARE 'shapes-2'");
        s.execute("XA COMMIT 'shapes-2'");
        s.execute("TRUNCATE TABLE shapes");
        s.execute("INSERT INTO shapes VALUES (6)");
      }
      List<JsonNode> d = run.await(5);
      assertThat(d).extracting(x -> x.get("op").asText() + (x.get("after").isNull() ? "" : x.at("/after/id").asText()))
          .containsExactly("c1", "c3", "c5", "t", "c6");
      assertThat(d.get(2).at("/source/gtid").asText()).as("XA changes at their XA COMMIT")
          .isEqualTo(d.get(2).at("/transaction/id").asText());
      assertThat(d.get(3).at("/source/table").asText()).isEqualTo("shapes");
    }
  }
}
