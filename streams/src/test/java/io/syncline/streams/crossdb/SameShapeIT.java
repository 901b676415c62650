package io.syncline.streams.crossdb;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import io.syncline.streams.capture.SourceRun;
import io.syncline.streams.mysql.MySqlCaptureSource;
import io.syncline.streams.mysql.MySqlSourceSettings;
import io.syncline.streams.postgres.PgCaptureSource;
import io.syncline.streams.postgres.PgSourceSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One event shape from every database: the same logical workload on equivalent PostgreSQL and
 * MariaDB tables gives identical {@code after} JSON, change by change (docs/type-mapping.md).
 */
class SameShapeIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static ActorSystem system;

  private static final String PG_TABLE = "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(50), qty integer,"
      + " price numeric(12,4), ratio double precision, born date, seen timestamp(6), at_time time(6), bin bytea, doc json)";
  private static final String MARIADB_TABLE = "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(50), qty INT,"
      + " price DECIMAL(12,4), ratio DOUBLE, born DATE, seen DATETIME(6), at_time TIME(6), bin VARBINARY(16), doc JSON)"
      + " CHARSET utf8mb4";

  /** The same statements run on both databases (the byte literal is spelled per database). */
  private static List<String> workload(boolean postgres) {
    String bytes = postgres ? "'\\x00ff10'::bytea" : "X'00FF10'";
    return List.of(
        "INSERT INTO items VALUES (1, 'plain', 7, 12345.6700, 0.25, '2024-02-29', '2024-01-15 10:20:30.123456',"
            + " '23:59:59.5', " + bytes + ", '{\"a\": [1, 2.5], \"b\": null}')",
        "INSERT INTO items VALUES (2, 'Grüße ✓ 😀', -3, -0.0001, -1.5e10, '1999-12-31', '2000-01-01 00:00:00',"
            + " '00:00:00', NULL, NULL)",
        "INSERT INTO items VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
        "UPDATE items SET qty = 8, price = 99999999.9999, seen = '2030-06-01 12:00:00.000001' WHERE id = 1",
        "UPDATE items SET name = 'renamed' WHERE id = 3",
        "DELETE FROM items WHERE id = 2");
  }

  @BeforeAll
  static void setUp() {
    system = ActorSystem.create("same-shape-it");
  }

  @AfterAll
  static void tearDown() {
    system.terminate();
  }

  @Test
  void shouldGiveIdenticalAfterJsonFromPostgresAndMariaDb() throws Exception {
    PgServer pg = PgServer.shared();
    pg.createDatabase("same_shape");
    pg.execute("same_shape", "DROP TABLE IF EXISTS items", PG_TABLE);
    MariaDbServer maria = MariaDbServer.shared();
    maria.createDatabase("same_shape");
    maria.execute("same_shape", "DROP TABLE IF EXISTS items", MARIADB_TABLE);

    Config pgDefaults = ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.postgres");
    Config myDefaults = ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql");
    PgCaptureSource pgSource = new PgCaptureSource(PgSourceSettings.create(ConfigFactory.parseMap(Map.of(
        "name", "same", "port", pg.port(), "database", "same_shape", "include-tables", List.of("public.items"),
        "slot-name", "same_shape_slot", "publication-name", "same_shape_pub")), pgDefaults));
    MySqlCaptureSource mySource = new MySqlCaptureSource(MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of(
        "name", "same", "port", maria.port(), "include-tables", List.of("same_shape.items"), "snapshot-mode", "never")),
        myDefaults));

    List<JsonNode> fromPg;
    List<JsonNode> fromMaria;
    try (SourceRun pgRun = new SourceRun(system, pgSource, Map.of()); SourceRun myRun = new SourceRun(system, mySource, Map.of())) {
      await(() -> slotActive(pg, "same_shape_slot"), "PostgreSQL slot streaming");
      maria.awaitBinlogReaders(1, Duration.ofSeconds(60));
      pg.execute("same_shape", workload(true).toArray(String[]::new));
      maria.execute("same_shape", workload(false).toArray(String[]::new));
      fromPg = pgRun.await(6);
      fromMaria = myRun.await(6);
    } finally {
      pg.dropSlotWhenReleased("same_shape", "same_shape_slot", Duration.ofSeconds(30));
    }
    for (int i = 0; i < 6; i++) {
      JsonNode p = fromPg.get(i);
      JsonNode m = fromMaria.get(i);
      assertThat(m.get("op")).as("op of change %d", i).isEqualTo(p.get("op"));
      assertThat(m.get("after")).as("after of change %d (%s)", i, p.get("op")).isEqualTo(p.get("after"));
    }
    // deletes: PostgreSQL (REPLICA IDENTITY DEFAULT) sends the key, MariaDB the whole row; the key agrees
    assertThat(fromMaria.get(5).at("/before/id")).isEqualTo(fromPg.get(5).at("/before/id"));
  }

  private static boolean slotActive(PgServer pg, String slot) {
    try (Connection c = pg.connect("same_shape");
        PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      LockSupport.parkNanos(50_000_000L);
    }
  }

}
