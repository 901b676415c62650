package io.syncline.streams.mysql.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.SchemaHistoryEntry;
import io.syncline.persistence.SchemaHistoryStore;
import io.syncline.streams.mysql.MySqlSourceException;
import io.syncline.streams.mysql.MySqlSourceSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, finding 14: a DDL statement on a captured table that the parser cannot read stopped
 * capture. Where in doubt the tracker now reads the table's definition from the server again,
 * records it as holding from the end of the statement, and stops only when that cannot be read
 * either. (The server is a stand-in here: {@code SHOW CREATE TABLE} answers what a test says.)
 */
class SchemaTrackerTest {

  private static final String FILE = "mariadb-bin.000001";
  private static final TableName T = new TableName("shop", "t");

  private final List<String> showCreateCalls = new ArrayList<>();
  private String serverDefinition = "CREATE TABLE `t` (`id` int NOT NULL, `v` int, PRIMARY KEY (`id`))";
  private SchemaHistoryStore store;
  private MySqlSourceSettings settings;

  @BeforeEach
  void setUp() {
    store = SchemaHistoryStore.inMemory();
    settings = MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of("name", "trk", "host", "localhost",
            "port", 3306, "user", "root", "include-tables", List.of("shop.*"))),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql"));
  }

  private SchemaTracker started() {
    SchemaTracker tracker = new SchemaTracker(settings, store, new FixedServer(FILE, table -> {
      showCreateCalls.add(table.qualified());
      return serverDefinition;
    }));
    tracker.start(BinlogPosition.boundary(FILE, 4, null), List.of(T));
    return tracker;
  }

  private static BinlogPosition statementAt(long offset) {
    return new BinlogPosition(FILE, offset, BinlogPosition.COMPLETE, null);
  }

  private static BinlogPosition after(long offset) {
    return new BinlogPosition(FILE, offset, 0, null);
  }

  @Test
  void shouldReadTheDefinitionAgainFromTheServerWhenItCannotReadAStatement() {
    SchemaTracker tracker = started();
    assertThat(tracker.table(T).columnNames()).containsExactly("id", "v");
    serverDefinition = "CREATE TABLE `t` (`id` int NOT NULL, `v` int, `w` int, PRIMARY KEY (`id`))";
    tracker.onStatement(statementAt(100), after(180), "shop", "ALTER TABLE t FROBNICATE w");
    assertThat(tracker.table(T).columnNames()).containsExactly("id", "v", "w");
    List<SchemaHistoryEntry> history = store.load("trk");
    assertThat(history.get(history.size() - 1).position()).isEqualTo(after(180));
    assertThat(history.get(history.size() - 1).ddl()).isEqualTo(serverDefinition);

    // a restart reads the statement again: the recorded definition stands, the server is not asked again
    showCreateCalls.clear();
    serverDefinition = "CREATE TABLE `t` (`id` int NOT NULL, `v` int, `w` int, `later` int, PRIMARY KEY (`id`))";
    SchemaTracker again = started();
    again.onStatement(statementAt(100), after(180), "shop", "ALTER TABLE t FROBNICATE w");
    again.advance(after(200));
    assertThat(again.table(T).columnNames()).containsExactly("id", "v", "w");
    assertThat(showCreateCalls).isEmpty();
    assertThat(store.load("trk")).hasSameSizeAs(history);
  }

  @Test
  void shouldStopWithTheFixWhenNeitherTheStatementNorTheServersDefinitionCanBeRead() {
    SchemaTracker tracker = started();
    serverDefinition = "CREATE TABLE `t` (`id` int NOT NULL) WITH SYSTEM VERSIONING";
    assertThatThrownBy(() -> tracker.onStatement(statementAt(100), after(180), "shop",
        "ALTER TABLE t ADD SYSTEM VERSIONING"))
        .isInstanceOfSatisfying(MySqlSourceException.class,
            e -> assertThat(e.reason()).isEqualTo(MySqlSourceException.Reason.DDL_NOT_UNDERSTOOD))
        .hasMessageContaining("shop.t")
        .hasMessageContaining("nor read its definition from the server")
        .hasMessageContaining("Fix: exclude the table");
  }

  @Test
  void shouldLeaveTablesItDoesNotCaptureAlone() {
    SchemaTracker tracker = started();
    tracker.onStatement(statementAt(100), after(180), "other", "ALTER TABLE x FROBNICATE w");
    assertThat(showCreateCalls).containsExactly("shop.t"); // only the start's
  }
}
