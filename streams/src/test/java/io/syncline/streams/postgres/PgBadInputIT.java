package io.syncline.streams.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.PgServer;
import io.syncline.streams.postgres.PgSourceException.Reason;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each bad-input case gets its documented error naming the fix, and no password in the message. */
class PgBadInputIT {

  private static final String DB = "bad_input";
  private static final String PASSWORD = "s3cret-Pa55";
  private static PgServer pg;
  private static PgServer replicaLevel;

  @BeforeAll
  static void setUp() {
    pg = PgServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB,
        "DROP TABLE IF EXISTS public.good, public.nokey, public.nokey_full",
        "CREATE TABLE public.good (id int PRIMARY KEY, v text)",
        "CREATE TABLE public.nokey (a int, b text)",
        "CREATE TABLE public.nokey_full (a int, b text)",
        "ALTER TABLE public.nokey_full REPLICA IDENTITY FULL",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'norepl') THEN"
            + " CREATE ROLE norepl LOGIN PASSWORD '" + PASSWORD + "'; END IF; END $$",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'repl') THEN"
            + " CREATE ROLE repl LOGIN REPLICATION PASSWORD '" + PASSWORD + "'; END IF; END $$",
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO norepl, repl");
  }

  @AfterAll
  static void tearDown() {
    if (replicaLevel != null) {
      replicaLevel.close();
    }
  }

  static PgSourceSettings settings(int port, String user, String password, List<String> include) {
    return settings(port, user, password, include, Map.of());
  }

  static PgSourceSettings settings(int port, String user, String password, List<String> include,
      Map<String, Object> extra) {
    Map<String, Object> m = new java.util.HashMap<>(Map.of(
        "name", "bad", "host", "localhost", "port", port, "database", DB, "user", user, "password", password,
        "include-tables", include, "slot-name", "bad_input_slot", "publication-name", "bad_input_pub"));
    m.putAll(extra);
    Config entry = ConfigFactory.parseMap(m);
    Config defaults = ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.postgres");
    return PgSourceSettings.create(entry, defaults);
  }

  @Test
  void shouldNameThePasswordSettingWhenThePasswordIsWrong() {
    assertThatThrownBy(() -> PgCapture.prepare(settings(pg.port(), "repl", "wrong-password", List.of("public.good"))))
        .isInstanceOfSatisfying(PgSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSWORD))
        .hasMessageContaining("rejected the password of user 'repl'")
        .hasMessageContaining("'password' setting")
        .hasMessageNotContaining("wrong-password");
  }

  @Test
  void shouldAskForTheReplicationPrivilegeWhenTheUserLacksIt() {
    assertThatThrownBy(() -> PgCapture.prepare(settings(pg.port(), "norepl", PASSWORD, List.of("public.good"))))
        .isInstanceOfSatisfying(PgSourceException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.NO_REPLICATION_PRIVILEGE))
        .hasMessageContaining("ALTER ROLE norepl REPLICATION")
        .hasMessageNotContaining(PASSWORD);
  }

  @Test
  void shouldNameAnIncludedTableThatDoesNotExist() {
    assertThatThrownBy(() -> PgCapture.prepare(settings(pg.port(), "postgres", "", List.of("public.good", "public.nope"))))
        .isInstanceOfSatisfying(PgSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_SUCH_TABLE))
        .hasMessageContaining("included table 'public.nope' does not exist in database 'bad_input'")
        .hasMessageContaining("'include-tables' list");
  }

  @Test
  void shouldSayAPatternMatchesNoTable() {
    assertThatThrownBy(() -> PgCapture.prepare(settings(pg.port(), "postgres", "", List.of("sales.*"))))
        .isInstanceOf(PgSourceException.class)
        .hasMessageContaining("'sales.*' matches no table");
  }

  @Test
  void shouldRefuseATableWithoutPrimaryKeyAndExplainTheFix() {
    assertThatThrownBy(() -> PgCapture.prepare(settings(pg.port(), "postgres", "", List.of("public.nokey"))))
        .isInstanceOfSatisfying(PgSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_PRIMARY_KEY))
        .hasMessageContaining("public.nokey has no primary key and REPLICA IDENTITY DEFAULT")
        .hasMessageContaining("REPLICA IDENTITY FULL");
  }

  @Test
  void shouldCaptureAKeylessTableWithReplicaIdentityFullWithANullKey() {
    List<PgTable> tables = PgCapture.prepare(settings(pg.port(), "postgres", "", List.of("public.nokey_full")));
    assertThat(tables).singleElement().satisfies(t -> {
      assertThat(t.keyColumns()).isEmpty();
      assertThat(t.replicaIdentity()).isEqualTo('f');
    });
  }

  @Test
  void shouldSayWalLevelMustBeLogical() {
    replicaLevel = PgServer.start(Map.of("wal_level", "replica"));
    replicaLevel.createDatabase(DB);
    replicaLevel.execute(DB, "CREATE TABLE IF NOT EXISTS public.good (id int PRIMARY KEY)");
    assertThatThrownBy(() -> PgCapture.prepare(settings(replicaLevel.port(), "postgres", "", List.of("public.good"))))
        .isInstanceOfSatisfying(PgSourceException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.WAL_LEVEL_NOT_LOGICAL))
        .hasMessageContaining("wal_level is 'replica'")
        .hasMessageContaining("ALTER SYSTEM SET wal_level = logical");
  }

  @Test
  void shouldSayTheServerIsUnreachable() {
    assertThatThrownBy(() -> PgCapture.prepare(settings(1, "postgres", "", List.of("public.good"))))
        .isInstanceOfSatisfying(PgSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
        .hasMessageContaining("cannot reach PostgreSQL at localhost:1");
  }

  @Test
  void shouldRejectAnEmptyIncludeListNamingTheSetting() {
    assertThatThrownBy(() -> settings(pg.port(), "postgres", "", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("setting 'include-tables' is empty");
  }

  // ---------------------------------------------------------------- publications that would drop changes

  private static PgSourceSettings withPublication(String publication, String table) {
    return settings(pg.port(), "postgres", "", List.of(table),
        Map.of("publication-name", publication, "create-publication", false));
  }

  @Test
  void shouldRefuseAPublicationThatLeavesOutUpdatesAndDeletes() {
    pg.execute(DB, "DROP PUBLICATION IF EXISTS ins_pub", "CREATE PUBLICATION ins_pub FOR TABLE public.good"
        + " WITH (publish = 'insert, truncate')");
    assertThatThrownBy(() -> PgCapture.prepare(withPublication("ins_pub", "public.good")))
        .isInstanceOfSatisfying(PgSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.PUBLICATION))
        .hasMessageContaining("publication 'ins_pub' does not publish update, delete: every UPDATE, DELETE of the"
            + " captured tables would be lost")
        .hasMessageContaining("ALTER PUBLICATION \"ins_pub\" SET (publish = 'insert, update, delete, truncate')");
  }

  @Test
  void shouldRefuseAPublicationThatPublishesAPartitionedTableUnderItsPartitionsNames() {
    pg.execute(DB, "DROP TABLE IF EXISTS public.measures",
        "CREATE TABLE public.measures (id int PRIMARY KEY, v int) PARTITION BY RANGE (id)",
        "CREATE TABLE public.measures_1 PARTITION OF public.measures FOR VALUES FROM (0) TO (1000)",
        "DROP PUBLICATION IF EXISTS leaf_pub", "CREATE PUBLICATION leaf_pub FOR TABLE public.measures");
    assertThatThrownBy(() -> PgCapture.prepare(withPublication("leaf_pub", "public.measures")))
        .isInstanceOfSatisfying(PgSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.PUBLICATION))
        .hasMessageContaining("publishes the changes of partitioned table public.measures under their partitions' names")
        .hasMessageContaining("ALTER PUBLICATION \"leaf_pub\" SET (publish_via_partition_root = true)");
  }

  @Test
  void shouldRefuseARowFilterOrAColumnListOnACapturedTable() {
    org.junit.jupiter.api.Assumptions.assumeTrue(pg.majorVersion() >= 15, "row filters and column lists: PostgreSQL 15+");
    pg.execute(DB, "DROP PUBLICATION IF EXISTS filter_pub, columns_pub",
        "CREATE PUBLICATION filter_pub FOR TABLE public.good WHERE (id > 10)",
        "CREATE PUBLICATION columns_pub FOR TABLE public.good (id)");
    assertThatThrownBy(() -> PgCapture.prepare(withPublication("filter_pub", "public.good")))
        .isInstanceOfSatisfying(PgSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.PUBLICATION))
        .hasMessageContaining("publication 'filter_pub' has a row filter on public.good (WHERE (id > 10))")
        .hasMessageContaining("ALTER PUBLICATION \"filter_pub\" DROP TABLE \"public\".\"good\"; ALTER PUBLICATION"
            + " \"filter_pub\" ADD TABLE \"public\".\"good\";");
    assertThatThrownBy(() -> PgCapture.prepare(withPublication("columns_pub", "public.good")))
        .isInstanceOfSatisfying(PgSourceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.PUBLICATION))
        .hasMessageContaining("publication 'columns_pub' has a column list on public.good (id): the other columns");
  }
}
