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
    Config entry = ConfigFactory.parseMap(Map.of(
        "name", "bad", "host", "localhost", "port", port, "database", DB, "user", user, "password", password,
        "include-tables", include, "slot-name", "bad_input_slot", "publication-name", "bad_input_pub"));
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
}
