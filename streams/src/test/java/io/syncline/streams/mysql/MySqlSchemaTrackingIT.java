package io.syncline.streams.mysql;

import static io.syncline.streams.testing.GoldenRows.assertSameRows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MariaDbServer;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.JdbcSchemaHistoryStore;
import io.syncline.persistence.JournalSettings;
import io.syncline.persistence.SchemaHistoryEntry;
import io.syncline.persistence.SchemaHistoryStore;
import io.syncline.streams.capture.SourceRun;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.mysql.schema.SchemaTracker;
import io.syncline.streams.mysql.schema.TableName;
import io.syncline.streams.mysql.types.MySqlColumn;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema tracking against a MariaDB that writes no column names into the binlog
 * ({@code binlog_row_metadata=NO_LOG}, MariaDB's default): definitions come from
 * {@code SHOW CREATE TABLE} and the DDL statements of the binlog, and survive a restart in the
 * schema history.
 */
class MySqlSchemaTrackingIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static MariaDbServer server;
  private static ActorSystem system;

  @TempDir static Path dir;

  @BeforeAll
  static void setUp() {
    system = ActorSystem.create("mysql-schema-tracking-it");
    server = MariaDbServer.start(List.of("--binlog-row-metadata=NO_LOG"));
  }

  @AfterAll
  static void tearDown() {
    if (system != null) {
      system.terminate();
    }
    if (server != null) {
      server.close();
    }
  }

  private static MySqlSourceSettings settings(String name, List<String> include) {
    return MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of(
            "name", name, "host", "localhost", "port", server.port(), "user", "root",
            "include-tables", include, "snapshot-mode", "never")),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql"));
  }

  private static SchemaHistoryStore journal(String name) {
    return new JdbcSchemaHistoryStore(new JournalSettings(JournalSettings.Kind.H2,
        "jdbc:h2:file:" + dir.resolve(name) + ";WRITE_DELAY=0", "sa", ""));
  }

  /**
   * Waits until the source has recorded {@code n} history entries: its table definitions are read
   * (statements before that would already be in them, see docs/mysql-source.md).
   */
  private static void awaitRecorded(SchemaHistoryStore store, String source, int n) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (store.load(source).size() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("source '" + source + "' recorded no table definitions within 30 s");
      }
      LockSupport.parkNanos(50_000_000L);
    }
  }

  private static List<String> afters(List<JsonNode> records) {
    return records.stream().map(r -> r.get("after").toString()).toList();
  }

  @Test
  void shouldRunWithoutColumnNamesInTheBinlog() throws Exception {
    try (Connection c = server.connect(""); ResultSet rs = c.createStatement().executeQuery("SELECT @@binlog_row_metadata")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("NO_LOG");
    }
  }

  @Test
  void shouldDecodeEveryTypeAsTheGoldenFileSaysWithoutRowMetadata() throws Exception {
    String db = "golden_nolog";
    server.createDatabase(db);
    server.execute(db, "DROP TABLE IF EXISTS all_types", MySqlTypesGoldenIT.SCHEMA);
    List<String> rows = new ArrayList<>(List.of("SET SESSION sql_mode = ''", "SET SESSION time_zone = '+05:30'"));
    rows.addAll(List.of(MySqlTypesGoldenIT.ROWS));
    int n = MySqlTypesGoldenIT.ROWS.length;
    SchemaHistoryStore store = journal("golden");
    try (SourceRun run = new SourceRun(system, new MySqlCaptureSource(settings("golden", List.of(db + ".all_types")),
        store), Map.of())) {
      awaitRecorded(store, "golden", 1);
      // first from the definition recorded with SHOW CREATE TABLE, then from the CREATE TABLE statement in the binlog
      server.execute(db, rows.toArray(String[]::new));
      server.execute(db, "DROP TABLE all_types", MySqlTypesGoldenIT.SCHEMA);
      server.execute(db, rows.toArray(String[]::new));
      List<JsonNode> d = run.await(2 * n);
      JsonNode golden = JSON.readTree(MySqlTypesGoldenIT.GOLDEN.toFile());
      ArrayNode fromShowCreate = JSON.createArrayNode();
      ArrayNode fromStatement = JSON.createArrayNode();
      for (int i = 0; i < 2 * n; i++) {
        (i < n ? fromShowCreate : fromStatement).add(d.get(i).get("after"));
      }
      // the server describes ENUM/SET members in utf8mb3: an emoji member is '?' in SHOW CREATE TABLE (documented)
      JsonNode described = golden.deepCopy();
      for (JsonNode row : described) {
        for (String column : List.of("c_enum_emoji", "c_set_emoji")) {
          if (row.get(column).isTextual()) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) row).put(column, row.get(column).asText().replace("🚀", "?"));
          }
        }
      }
      assertSameRows(fromShowCreate, described, "rows decoded with the SHOW CREATE TABLE definition");
      assertSameRows(fromStatement, golden, "rows decoded with the CREATE TABLE statement's definition");
    }
  }

  @Test
  void shouldDescribeTheColumnsFromShowCreateTableAsInformationSchemaDoes() throws Exception {
    String db = "describe_nolog";
    server.createDatabase(db);
    server.execute(db, "DROP TABLE IF EXISTS all_types", MySqlTypesGoldenIT.SCHEMA);
    MySqlSourceSettings s = settings("describe", List.of(db + ".all_types"));
    SchemaTracker tracker = new SchemaTracker(s, SchemaHistoryStore.inMemory(), SchemaTracker.jdbc(s));
    BinlogPosition now;
    try (Connection c = MySqlCatalog.connect(s)) {
      now = new MySqlCatalog(s, c).currentPosition();
      tracker.start(now, List.of(new TableName(db, "all_types")));
      assertThat(tracker.table(new TableName(db, "all_types")).mySqlColumns(true))
          .containsExactlyElementsOf(MySqlColumn.fromInformationSchema(c, db, "all_types"));
    }
  }

  @Test
  void shouldFollowColumnAndTableDdlMidStreamWithoutRowMetadata() throws Exception {
    String db = "ddl_nolog";
    server.createDatabase(db);
    server.execute(db, "DROP TABLE IF EXISTS a, b, a_old",
        "CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10))",
        "CREATE TABLE b (id INT PRIMARY KEY, w INT, z VARCHAR(5))");
    SchemaHistoryStore store = journal("ddl");
    try (SourceRun run = new SourceRun(system, new MySqlCaptureSource(settings("ddl", List.of(db + ".a", db + ".b")),
        store), Map.of())) {
      awaitRecorded(store, "ddl", 2);
      server.execute(db,
          "INSERT INTO a VALUES (1, 'x')",
          "ALTER TABLE a ADD COLUMN n DECIMAL(10,2) DEFAULT 1.50 AFTER id",
          "INSERT INTO a VALUES (2, 2.25, 'y')",
          "ALTER TABLE a MODIFY n BIGINT",
          "INSERT INTO a VALUES (3, 3, 'z')",
          "ALTER TABLE a DROP COLUMN v",
          "INSERT INTO a VALUES (4, 4)",
          "ALTER TABLE a RENAME COLUMN n TO qty",
          "UPDATE a SET qty = 5 WHERE id = 4",
          "RENAME TABLE a TO a_old, b TO a",
          "INSERT INTO a VALUES (10, 7, 'bee')",
          "DROP TABLE a",
          "CREATE TABLE a (k VARCHAR(3) PRIMARY KEY, t SMALLINT UNSIGNED)",
          "INSERT INTO a VALUES ('k1', 65000)",
          "DROP TABLE IF EXISTS a_old, nope");
      List<JsonNode> d = run.await(7);
      assertThat(afters(d)).containsExactly(
          "{\"id\":1,\"v\":\"x\"}",
          "{\"id\":2,\"n\":\"2.25\",\"v\":\"y\"}",
          "{\"id\":3,\"n\":3,\"v\":\"z\"}",
          "{\"id\":4,\"n\":4}",
          "{\"id\":4,\"qty\":5}",
          "{\"id\":10,\"w\":7,\"z\":\"bee\"}",
          "{\"k\":\"k1\",\"t\":65000}");
      assertThat(d.get(4).get("before").toString()).isEqualTo("{\"id\":4,\"qty\":4}");
      List<String> keys = run.records.stream().map(r -> new String(r.key())).toList();
      assertThat(keys.get(6)).as("the new table's primary key").isEqualTo("{\"k\":\"k1\"}");
    }
  }

  /**
   * Issue 10, finding 14: valid DDL stopped capture (an index named {@code date}; versioned comments
   * the server ignored applied anyway; {@code RENAME COLUMN IF EXISTS}), and {@code CREATE TABLE …
   * SELECT}, which the server logs as its generated CREATE TABLE inside the transaction of its rows,
   * ended that transaction. Without row metadata every one of them decides how rows are decoded.
   */
  @Test
  void shouldFollowValidDdlItUsedToRefuse() throws Exception {
    String db = "kw_nolog";
    server.createDatabase(db);
    server.execute(db, "DROP TABLE IF EXISTS kw, kw2", "CREATE TABLE kw (id INT PRIMARY KEY, d DATE, y YEAR)",
        "CREATE TABLE kw2 (id INT PRIMARY KEY)");
    SchemaHistoryStore store = journal("kw");
    try (SourceRun run = new SourceRun(system, new MySqlCaptureSource(settings("kw", List.of(db + ".kw*")), store),
        Map.of())) {
      awaitRecorded(store, "kw", 2);
      server.execute(db,
          "INSERT INTO kw VALUES (1, '2024-01-02', 2024)",
          "ALTER TABLE kw ADD INDEX date (d), ADD KEY year (y), ADD UNIQUE timestamp (id, d)",
          "INSERT INTO kw VALUES (2, '2024-01-03', 2025)",
          "ALTER TABLE kw ADD COLUMN c1 INT /*!90000 , ADD COLUMN ghost INT */ /*M!100100 , ADD COLUMN c3 INT */",
          "INSERT INTO kw VALUES (3, NULL, NULL, 30, 33)",
          "ALTER TABLE kw RENAME COLUMN IF EXISTS c1 TO c2, RENAME COLUMN IF EXISTS nope TO nope2",
          "UPDATE kw SET c2 = 31 WHERE id = 3",
          "CREATE OR REPLACE TABLE kw2 (PRIMARY KEY (id)) SELECT id, y FROM kw WHERE id <= 2",
          "INSERT INTO kw2 VALUES (9, 2030)");
      List<JsonNode> d = run.await(7);
      assertThat(afters(d)).containsExactly(
          "{\"id\":1,\"d\":\"2024-01-02\",\"y\":2024}",
          "{\"id\":2,\"d\":\"2024-01-03\",\"y\":2025}",
          "{\"id\":3,\"d\":null,\"y\":null,\"c1\":30,\"c3\":33}",
          "{\"id\":3,\"d\":null,\"y\":null,\"c2\":31,\"c3\":33}",
          "{\"id\":1,\"y\":2024}",
          "{\"id\":2,\"y\":2025}",
          "{\"id\":9,\"y\":2030}");
      assertThat(d.get(4).at("/source/table").asText()).isEqualTo("kw2");
      assertThat(d.get(4).at("/source/gtid").asText()).as("the CREATE TABLE … SELECT rows in one transaction")
          .isEqualTo(d.get(5).at("/source/gtid").asText());
    }
  }

  @Test
  void shouldDecodeRowsReadAgainAfterARestartWithTheDefinitionOfTheirTime() throws Exception {
    String db = "hist_nolog";
    server.createDatabase(db);
    server.execute(db, "DROP TABLE IF EXISTS r", "CREATE TABLE r (id INT PRIMARY KEY, a VARCHAR(10))");
    SchemaHistoryStore store = journal("history");
    MySqlSourceSettings s = settings("hist", List.of(db + ".r"));
    List<JsonNode> first;
    try (SourceRun run = new SourceRun(system, new MySqlCaptureSource(s, store), Map.of())) {
      awaitRecorded(store, "hist", 1);
      server.execute(db, "INSERT INTO r VALUES (1, 'x')", "INSERT INTO r VALUES (2, 'y')",
          "ALTER TABLE r CHANGE a label VARCHAR(10), ADD COLUMN b INT",
          "INSERT INTO r VALUES (3, 'z', 30)");
      first = run.await(3);
      assertThat(afters(first)).containsExactly("{\"id\":1,\"a\":\"x\"}", "{\"id\":2,\"a\":\"y\"}",
          "{\"id\":3,\"label\":\"z\",\"b\":30}");
    }
    List<SchemaHistoryEntry> recorded = store.load("hist");
    assertThat(recorded).extracting(SchemaHistoryEntry::isRecordedDefinition).containsExactly(true, false);
    assertThat(recorded.get(1).ddl()).startsWith("ALTER TABLE r CHANGE a label");

    // the table committed the first transaction: reading starts there, before the ALTER
    TableRef table = new TableRef("mysql", "hist", db, db, "r");
    BinlogPosition firstTxn = new BinlogPosition(first.get(0).at("/source/file").asText(),
        first.get(0).at("/source/pos").asLong(), BinlogPosition.COMPLETE, first.get(0).at("/source/gtid").asText());
    Map<TableRef, TableStart> committed = Map.of(table, new TableStart(firstTxn, true));
    try (SourceRun run = new SourceRun(system, new MySqlCaptureSource(s, journal("history")), committed)) {
      List<JsonNode> again = run.await(2);
      assertThat(afters(again)).containsExactly("{\"id\":2,\"a\":\"y\"}", "{\"id\":3,\"label\":\"z\",\"b\":30}");
    }
    assertThat(store.load("hist")).as("statements read again are not recorded twice").isEqualTo(recorded);

    // without the history, only today's definition is known: the old rows' TABLE_MAP does not fit it
    SourceRun blind = new SourceRun(system, new MySqlCaptureSource(s, SchemaHistoryStore.inMemory()), committed);
    assertThatThrownBy(() -> blind.await(2))
        .hasMessageContaining("the rows of hist_nolog.r at ")
        .hasMessageContaining("do not fit its tracked definition: the binlog has 2 columns, the tracked definition 3")
        .hasMessageContaining("binlog_row_metadata = 'FULL'");
    assertThatThrownBy(blind::close);
  }
}
