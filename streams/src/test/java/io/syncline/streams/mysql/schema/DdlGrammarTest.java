package io.syncline.streams.mysql.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The DDL parser on the forms MariaDB's and MySQL's reference manuals document for CREATE / ALTER /
 * DROP / RENAME TABLE and indexes (MariaDB 11.4 "CREATE TABLE", "ALTER TABLE", "Generated Columns",
 * "Partitioning Types", "Reserved Words"; MySQL 8.0 sections 15.1.9, 15.1.20, 15.1.20.8): each valid
 * statement is read, with the columns and key it leaves, and never refused. Keywords that are not
 * reserved are valid names unquoted ({@code date}, {@code year}, {@code timestamp}, {@code status},
 * {@code comment}, {@code period} …); reserved ones ({@code INDEX}, {@code KEY}, {@code UNIQUE},
 * {@code PRIMARY}, {@code FOREIGN}, {@code CHECK}, {@code CONSTRAINT}, {@code PARTITION}) never are.
 */
class DdlGrammarTest {

  private static final TableName T = new TableName("shop", "t");

  private Schemas schemas;

  @BeforeEach
  void setUp() {
    schemas = new Schemas("utf8mb4");
    run("CREATE TABLE p (id INT PRIMARY KEY)");
  }

  private void run(String sql) {
    run(sql, ServerVersion.MARIADB_11_4);
  }

  private void run(String sql, ServerVersion server) {
    List<SchemaChange> changes = DdlParser.parse(sql, "shop", server);
    assertThat(changes).as(sql).noneMatch(c -> c instanceof SchemaChange.NotUnderstood);
    for (SchemaChange c : changes) {
      schemas.apply(c);
    }
  }

  private List<String> columns() {
    return schemas.get(T).columnNames();
  }

  @Test
  void shouldReadIndexesAndKeysNamedByNonReservedKeywords() {
    run("CREATE TABLE t (id INT NOT NULL, d DATE, y YEAR, ts TIMESTAMP NULL, INDEX date (d), KEY year (y),"
        + " UNIQUE INDEX timestamp (ts), UNIQUE year_u (y), INDEX (d, y), KEY `key` (id) USING BTREE,"
        + " PRIMARY KEY (id))");
    assertThat(columns()).containsExactly("id", "d", "y", "ts");
    assertThat(schemas.get(T).primaryKey()).containsExactly("id");
    run("ALTER TABLE t ADD INDEX date2 (d), ADD KEY year2 (y), ADD UNIQUE date3 (d, y), ADD UNIQUE KEY time (ts),"
        + " ADD INDEX IF NOT EXISTS status (d)");
    run("ALTER TABLE t ADD INDEX date4 (d)");
    run("ALTER TABLE t ADD KEY year4 (y)");
    run("ALTER TABLE t RENAME INDEX date TO date5, RENAME KEY year TO year5");
    run("ALTER TABLE t ALTER INDEX date5 IGNORED, ALTER INDEX year5 NOT IGNORED");
    run("ALTER TABLE t ALTER INDEX date5 INVISIBLE"); // MySQL
    run("ALTER TABLE t DROP INDEX date5, DROP KEY year5, DROP INDEX IF EXISTS timestamp");
    run("CREATE INDEX date ON t (d)");
    run("CREATE OR REPLACE UNIQUE INDEX IF NOT EXISTS year USING HASH ON t (y) ALGORITHM = INPLACE LOCK = NONE");
    run("DROP INDEX IF EXISTS date ON t");
    assertThat(columns()).containsExactly("id", "d", "y", "ts");
  }

  @Test
  void shouldReadColumnsNamedByNonReservedKeywordsUnquoted() {
    run("CREATE TABLE t (date DATE, year YEAR, timestamp TIMESTAMP(3) NULL, time TIME, text TEXT, status ENUM('a','b'),"
        + " comment VARCHAR(10) COMMENT 'c', data JSON, period INT, engine VARCHAR(5), action BIT(1), first INT,"
        + " last INT, position INT, value INT, name VARCHAR(5), PRIMARY KEY (date, year))");
    assertThat(columns()).containsExactly("date", "year", "timestamp", "time", "text", "status", "comment", "data",
        "period", "engine", "action", "first", "last", "position", "value", "name");
    assertThat(schemas.get(T).primaryKey()).containsExactly("date", "year");
    run("ALTER TABLE t ADD COLUMN year2 YEAR AFTER year, CHANGE date date2 DATE FIRST, MODIFY COLUMN status"
        + " ENUM('a','b','c') AFTER date2, DROP COLUMN comment, DROP text, ALTER COLUMN data SET DEFAULT ('{}'),"
        + " ALTER COLUMN time DROP DEFAULT, RENAME COLUMN period TO period2");
    assertThat(columns()).containsExactly("date2", "status", "year", "year2", "timestamp", "time", "data",
        "period2", "engine", "action", "first", "last", "position", "value", "name");
    run("ALTER TABLE t RENAME COLUMN IF EXISTS nope TO nope2, RENAME COLUMN IF EXISTS value TO value2,"
        + " ALTER COLUMN IF EXISTS nope SET DEFAULT 3, ORDER BY date2 DESC, year ASC");
    assertThat(columns()).contains("value2").doesNotContain("value", "nope2");
  }

  @Test
  void shouldReadGeneratedColumnsConstraintsAndColumnAttributes() {
    // as MariaDB 11.4 runs it
    run("""
        CREATE TABLE IF NOT EXISTS t (
          id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE KEY COMMENT 'the id',
          a INT NOT NULL DEFAULT 0 CHECK (a >= 0),
          b INT AS (a + 1) VIRTUAL,
          c INT GENERATED ALWAYS AS (a * 2) STORED COMMENT 'x',
          d VARCHAR(20) AS (concat('x', a)) PERSISTENT,
          e INT GENERATED ALWAYS AS (a) VIRTUAL INVISIBLE,
          f INT REFERENCES p (id) ON DELETE SET NULL ON UPDATE CASCADE,
          g DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
          g2 DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
          h CHAR(36) DEFAULT (uuid()),
          j POINT NOT NULL /*!80003 SRID 4326 */,
          k INT WITHOUT SYSTEM VERSIONING,
          l DOUBLE PRECISION DEFAULT -1.5e3,
          m TEXT COLLATE utf8mb4_bin,
          CONSTRAINT fk_f FOREIGN KEY (f) REFERENCES p (id) ON DELETE CASCADE,
          FOREIGN KEY (a) REFERENCES p (id),
          CONSTRAINT chk CHECK (a < 100),
          CHECK (b > 0),
          CONSTRAINT PRIMARY KEY (id, a),
          FULLTEXT INDEX ft (m),
          SPATIAL KEY sp (j),
          PERIOD FOR app_time (g, g2)
        ) ENGINE = InnoDB AUTO_INCREMENT = 10 DEFAULT CHARSET = utf8mb4 ROW_FORMAT = DYNAMIC
          COMMENT = 'table' STATS_PERSISTENT = 1 PAGE_COMPRESSED = 1""");
    assertThat(columns()).containsExactly("id", "a", "b", "c", "d", "e", "f", "g", "g2", "h", "j", "k", "l", "m");
    assertThat(schemas.get(T).primaryKey()).containsExactly("id", "a");
    run("ALTER TABLE t ADD CONSTRAINT fk2 FOREIGN KEY IF NOT EXISTS (a) REFERENCES p (id), ADD CHECK (a > 1),"
        + " ADD CONSTRAINT chk2 CHECK (b > 1), DROP FOREIGN KEY fk_f, DROP CONSTRAINT IF EXISTS chk,"
        + " ADD COLUMN n INT GENERATED ALWAYS AS (a + b) VIRTUAL AFTER b");
    run("ALTER TABLE t DROP PERIOD FOR app_time");
    run("ALTER TABLE t ADD PERIOD FOR p2 (g, g2)");
    assertThat(columns()).containsExactly("id", "a", "b", "n", "c", "d", "e", "f", "g", "g2", "h", "j", "k", "l", "m");
    // MySQL 8 forms
    run("ALTER TABLE t DROP CHECK chk2, ADD COLUMN i INT COLUMN_FORMAT FIXED STORAGE DISK NOT NULL,"
        + " ADD COLUMN o INT GENERATED ALWAYS AS (a * 3) STORED NOT NULL, ADD FULLTEXT INDEX ft2 (m) WITH PARSER ngram,"
        + " ADD COLUMN q POINT NOT NULL SRID 4326 VISIBLE");
    assertThat(columns()).endsWith("i", "o", "q");
  }

  @Test
  void shouldReadPartitionClausesAndPartitionMaintenance() {
    run("""
        CREATE TABLE t (id INT NOT NULL, d DATE NOT NULL, PRIMARY KEY (id, d))
        PARTITION BY RANGE (YEAR(d)) SUBPARTITION BY HASH (id) SUBPARTITIONS 2 (
          PARTITION p0 VALUES LESS THAN (1990) ENGINE = InnoDB COMMENT = 'old',
          PARTITION p1 VALUES LESS THAN MAXVALUE)""");
    run("CREATE TABLE u (id INT) /*!50100 PARTITION BY HASH (id) PARTITIONS 4 */");
    run("CREATE TABLE v (c VARCHAR(5)) PARTITION BY LIST COLUMNS (c) (PARTITION a VALUES IN ('a', 'b'),"
        + " PARTITION r DEFAULT)");
    run("CREATE TABLE w (id INT PRIMARY KEY) PARTITION BY KEY () PARTITIONS 2");
    run("ALTER TABLE t REORGANIZE PARTITION p1 INTO (PARTITION p2 VALUES LESS THAN (2000),"
        + " PARTITION p1 VALUES LESS THAN MAXVALUE)");
    run("ALTER TABLE t DROP PARTITION IF EXISTS p0, p2");
    run("ALTER TABLE t TRUNCATE PARTITION p1");
    run("ALTER TABLE t REORGANIZE PARTITION p1 INTO (PARTITION p3 VALUES LESS THAN (2010),"
        + " PARTITION p4 VALUES LESS THAN MAXVALUE)");
    run("ALTER TABLE u COALESCE PARTITION 2");
    run("ALTER TABLE t EXCHANGE PARTITION p3 WITH TABLE t3 WITHOUT VALIDATION");
    run("ALTER TABLE t ANALYZE PARTITION p3, p4");
    run("ALTER TABLE t PARTITION BY HASH (id) PARTITIONS 3");
    run("ALTER TABLE t ADD COLUMN e INT, ALGORITHM = COPY PARTITION BY KEY (id) PARTITIONS 2");
    run("ALTER TABLE t REMOVE PARTITIONING");
    run("ALTER TABLE v CONVERT PARTITION a TO TABLE t4");
    run("ALTER TABLE w ADD PARTITION PARTITIONS 2");
    run("ALTER TABLE v ADD PARTITION IF NOT EXISTS (PARTITION b VALUES IN ('c'))");
    assertThat(columns()).containsExactly("id", "d", "e");
    assertThat(schemas.get(new TableName("shop", "v")).columnNames()).containsExactly("c");
  }

  @Test
  void shouldReadTableOptionsRenamesAndDrops() {
    run("CREATE OR REPLACE TABLE t (a INT) ENGINE=InnoDB KEY_BLOCK_SIZE=8 ENCRYPTED=NO");
    run("ALTER ONLINE IGNORE TABLE IF EXISTS t NOWAIT ADD b INT, FORCE, ENGINE = InnoDB, ALGORITHM = COPY, LOCK = SHARED,"
        + " AUTO_INCREMENT = 5, COMMENT 'x', CHECKSUM = 1, STATS_SAMPLE_PAGES = DEFAULT, ORDER BY a");
    run("ALTER TABLE t DISABLE KEYS");
    run("ALTER TABLE t ENABLE KEYS");
    run("ALTER TABLE t DISCARD TABLESPACE");
    run("ALTER TABLE t IMPORT TABLESPACE");
    run("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    run("ALTER TABLE t CHARACTER SET = latin1");
    assertThat(columns()).containsExactly("a", "b");
    run("ALTER TABLE t RENAME AS t2");
    run("RENAME TABLE IF EXISTS t2 WAIT 2 TO t, p TO p2");
    assertThat(columns()).containsExactly("a", "b");
    run("DROP TABLE IF EXISTS t, p2 RESTRICT");
    assertThat(schemas.get(T)).isNull();
    run("CREATE TABLE t (a INT)");
    run("DROP TABLE /* comment */ shop.t WAIT 1 CASCADE");
    assertThat(schemas.get(T)).isNull();
  }

  @Test
  void shouldApplyVersionedCommentsExactlyWhereTheServerRanThem() {
    String sql = "CREATE TABLE t (a INT /*!40101 , b INT */ /*!90000 , c INT */ /*M!100100 , d INT */"
        + " /*M!999999 , e INT */ /*! , f INT */ /*!80023 , g INT */)";
    run(sql);
    assertThat(columns()).as("MariaDB 11.4: MySQL 5.7-9.x comments and newer versions are comments")
        .containsExactly("a", "b", "d", "f");
    run("DROP TABLE t");
    run(sql, ServerVersion.of("8.0.36"));
    assertThat(columns()).as("MySQL 8.0.36: /*M! is a comment, 90000 is newer").containsExactly("a", "b", "f", "g");
    run("DROP TABLE t");
    run(sql, ServerVersion.of("9.1.0"));
    assertThat(columns()).containsExactly("a", "b", "c", "f", "g");
    run("DROP TABLE t");
    run("CREATE TABLE t (a INT /*!100400 , b INT */ /*!1004001, c INT */)", ServerVersion.of("10.3.39-MariaDB"));
    assertThat(columns()).as("six digits on MariaDB").containsExactly("a");
    run("DROP TABLE t");
    run("CREATE TABLE t (a INT /*!800361, c INT */)", ServerVersion.of("8.0.36"));
    assertThat(columns()).as("MySQL reads five digits unless six end with a space: 80036, then '1, c INT'")
        .containsExactly("a", "c");
  }

  @Test
  void shouldSayWhatItCannotReadInsteadOfGuessing() {
    for (String sql : List.of("CREATE TABLE t SELECT * FROM p", "CREATE TABLE t (a INT) AS SELECT 1 AS b",
        "CREATE TABLE t (a INT) WITH SYSTEM VERSIONING", "ALTER TABLE p ADD SYSTEM VERSIONING",
        "ALTER TABLE p DROP SYSTEM VERSIONING", "CREATE TABLE t (a BLOB COMPRESSED)")) {
      assertThat(DdlParser.parse(sql, "shop")).as(sql).anyMatch(c -> c instanceof SchemaChange.NotUnderstood);
    }
  }
}
