package io.syncline.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The schema history in an H2 journal file: entries come back per source, in order, after a reopen. */
class JdbcSchemaHistoryStoreTest {

  @TempDir Path dir;

  private JournalSettings settings() {
    return new JournalSettings(JournalSettings.Kind.H2, "jdbc:h2:file:" + dir.resolve("journal") + ";WRITE_DELAY=0", "sa", "");
  }

  @Test
  void shouldKeepEntriesPerSourceInSequenceOrderAcrossInstances() {
    JdbcSchemaHistoryStore store = new JdbcSchemaHistoryStore(settings());
    SchemaHistoryEntry first = new SchemaHistoryEntry("shop", 1, new BinlogPosition("mariadb-bin.000001", 330, 0, null),
        "shop", "CREATE TABLE `orders` (\n  `id` int(11) NOT NULL,\n  PRIMARY KEY (`id`)\n)");
    SchemaHistoryEntry second = new SchemaHistoryEntry("shop", 2,
        new BinlogPosition("mariadb-bin.000002", 4711, BinlogPosition.COMPLETE, "0-1-42", "0-1-41"), null,
        "ALTER TABLE shop.orders ADD note VARCHAR(20) -- 'é' and \"quotes\"");
    store.append(first);
    store.append(new SchemaHistoryEntry("other", 1, new BinlogPosition("mariadb-bin.000001", 4, 0, null), "x", "CREATE TABLE t (a int)"));
    store.append(second);

    JdbcSchemaHistoryStore reopened = new JdbcSchemaHistoryStore(settings());
    assertThat(reopened.load("shop")).containsExactly(first, second);
    assertThat(reopened.load("other")).hasSize(1);
    assertThat(reopened.load("none")).isEmpty();
    assertThat(first.isRecordedDefinition()).isTrue();
    assertThat(second.isRecordedDefinition()).isFalse();
  }

  @Test
  void shouldRefuseASequenceNumberTwiceAndSayWhichEntry() {
    JdbcSchemaHistoryStore store = new JdbcSchemaHistoryStore(settings());
    SchemaHistoryEntry e = new SchemaHistoryEntry("shop", 1, new BinlogPosition("mariadb-bin.000001", 4, 0, null), null, "DROP TABLE a.b");
    store.append(e);
    assertThatThrownBy(() -> store.append(e))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema history entry 1 of source 'shop'")
        .hasMessageContaining("syncline.journal");
  }
}
