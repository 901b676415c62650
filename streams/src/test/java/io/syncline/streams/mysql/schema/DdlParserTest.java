package io.syncline.streams.mysql.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.streams.mysql.schema.SchemaChange.AlterSpec;
import io.syncline.streams.mysql.types.MySqlColumn;
import io.syncline.streams.mysql.types.MySqlColumn.Kind;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The DDL parser and the definitions it produces, on statements as servers and people write them. */
class DdlParserTest {

  private static final TableName T = new TableName("shop", "t");

  private Schemas schemas;

  @BeforeEach
  void setUp() {
    schemas = new Schemas("latin1");
    schemas.setDatabaseCharset("shop", "utf8mb4");
  }

  private void run(String sql) {
    run(sql, "shop");
  }

  private void run(String sql, String db) {
    for (SchemaChange c : DdlParser.parse(sql, db)) {
      schemas.apply(c);
    }
  }

  private List<String> columns(TableName t) {
    return schemas.get(t).columnNames();
  }

  private List<MySqlColumn> mysql(TableName t) {
    return schemas.get(t).mySqlColumns(true);
  }

  @Test
  void shouldReadTheExactOutputOfShowCreateTable() {
    run("""
        CREATE TABLE `t` (
          `id` int(11) NOT NULL AUTO_INCREMENT,
          `c_tinyint_u` tinyint(3) unsigned DEFAULT NULL,
          `c_decimal` decimal(12,4) DEFAULT 0.0000 COMMENT 'money, ''quoted'', (parens)',
          `c_bit10` bit(10) DEFAULT b'1010',
          `c_char_latin1` char(5) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL,
          `c_varchar` varchar(50) DEFAULT 'a,b)c',
          `c_binary` binary(4) DEFAULT NULL,
          `c_enum` enum('sad','ok','hap''py','a,b') DEFAULT NULL,
          `c_set` set('a','b') CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL,
          `c_ts` timestamp(6) NOT NULL DEFAULT current_timestamp(6) ON UPDATE current_timestamp(6),
          `c_json` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`c_json`)),
          `c_point` point DEFAULT NULL,
          `we``ird name` varchar(3) GENERATED ALWAYS AS (concat(`c_varchar`,'x')) VIRTUAL,
          PRIMARY KEY (`id`),
          UNIQUE KEY `u` (`c_varchar`(10)),
          KEY `k` (`c_decimal`) USING BTREE,
          CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `other` (`id`) ON DELETE CASCADE
        ) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci COMMENT='x'""");
    TableSchema t = schemas.get(T);
    assertThat(t.columnNames()).containsExactly("id", "c_tinyint_u", "c_decimal", "c_bit10", "c_char_latin1",
        "c_varchar", "c_binary", "c_enum", "c_set", "c_ts", "c_json", "c_point", "we`ird name");
    assertThat(t.primaryKey()).containsExactly("id");
    List<MySqlColumn> c = mysql(T);
    assertThat(c.get(0)).isEqualTo(new MySqlColumn("id", Kind.INT, false, 0, null, List.of()));
    assertThat(c.get(1)).isEqualTo(new MySqlColumn("c_tinyint_u", Kind.TINYINT, true, 0, null, List.of()));
    assertThat(c.get(3)).isEqualTo(new MySqlColumn("c_bit10", Kind.BIT, false, 10, null, List.of()));
    assertThat(c.get(4)).isEqualTo(new MySqlColumn("c_char_latin1", Kind.TEXT, false, 0, "latin1", List.of()));
    assertThat(c.get(5)).isEqualTo(new MySqlColumn("c_varchar", Kind.TEXT, false, 0, "utf8mb4", List.of()));
    assertThat(c.get(6)).isEqualTo(new MySqlColumn("c_binary", Kind.BINARY, false, 4, null, List.of()));
    assertThat(c.get(7)).isEqualTo(new MySqlColumn("c_enum", Kind.ENUM, false, 0, "utf8mb4", List.of("sad", "ok", "hap'py", "a,b")));
    assertThat(c.get(8)).isEqualTo(new MySqlColumn("c_set", Kind.SET, false, 0, "latin1", List.of("a", "b")));
    assertThat(c.get(9).kind()).isEqualTo(Kind.TIMESTAMP);
    assertThat(c.get(10)).isEqualTo(new MySqlColumn("c_json", Kind.JSON_TEXT, false, 0, "utf8mb4", List.of()));
    assertThat(c.get(11).kind()).isEqualTo(Kind.GEOMETRY);
  }

  @Test
  void shouldReadTypedDdlWithAliasesCommentsAndTheDatabaseDefaultCharset() {
    run("""
        /* leading comment */ create table if not exists shop.t ( -- a line comment
          id integer unsigned zerofill primary key, # another comment
          b bool, s serial, d dec(5,2), r real, f float(30), f2 float(7,2), n national varchar(10),
          c char(3) binary, bin char(2) character set binary, j json,
          tx text charset latin1, v varchar(10) collate utf8mb3_general_ci, y year(4), l long varbinary
        ) /*!50100 charset=latin1 */""", null);
    assertThat(mysql(T)).extracting(MySqlColumn::kind).containsExactly(Kind.INT, Kind.TINYINT, Kind.BIGINT,
        Kind.DECIMAL, Kind.DOUBLE, Kind.DOUBLE, Kind.FLOAT, Kind.TEXT, Kind.TEXT, Kind.BINARY, Kind.JSON_TEXT, Kind.TEXT,
        Kind.TEXT, Kind.YEAR, Kind.BINARY);
    List<MySqlColumn> c = mysql(T);
    assertThat(c.get(0).unsigned()).isTrue();
    assertThat(c.get(2).unsigned()).isTrue();
    assertThat(c.get(7).charset()).isEqualTo("utf8mb3");
    assertThat(c.get(8).charset()).as("the executable comment set the table charset").isEqualTo("latin1");
    assertThat(c.get(9).length()).isEqualTo(2);
    assertThat(c.get(11).charset()).isEqualTo("latin1");
    assertThat(c.get(12).charset()).isEqualTo("utf8mb3");
    assertThat(schemas.get(T).primaryKey()).containsExactly("id");
    assertThat(schemas.get(T).mySqlColumns(false).get(10).kind()).as("MySQL JSON").isEqualTo(Kind.JSON);

    run("CREATE TABLE u (a varchar(5))");
    assertThat(mysql(new TableName("shop", "u")).get(0).charset()).as("database default").isEqualTo("utf8mb4");
    run("CREATE TABLE other.u (a varchar(5))");
    assertThat(mysql(new TableName("other", "u")).get(0).charset()).as("server default").isEqualTo("latin1");
  }

  @Test
  void shouldAddDropModifyChangeAndRenameColumnsWithPositions() {
    run("CREATE TABLE t (id INT NOT NULL, a VARCHAR(10), PRIMARY KEY (id))");
    run("ALTER TABLE t ADD COLUMN b DECIMAL(10,2) DEFAULT 1.50 AFTER id, ADD c INT FIRST, ADD COLUMN IF NOT EXISTS a INT");
    assertThat(columns(T)).containsExactly("c", "id", "b", "a");
    run("ALTER TABLE `shop`.`t` ADD (d DATE, e TIME(3)), DROP COLUMN c, DROP IF EXISTS nope");
    assertThat(columns(T)).containsExactly("id", "b", "a", "d", "e");
    run("ALTER TABLE t MODIFY a BIGINT UNSIGNED NOT NULL, CHANGE COLUMN b price DECIMAL(12,4) FIRST");
    assertThat(columns(T)).containsExactly("price", "id", "a", "d", "e");
    assertThat(mysql(T).get(2)).isEqualTo(new MySqlColumn("a", Kind.BIGINT, true, 0, null, List.of()));
    run("ALTER TABLE t RENAME COLUMN ID TO key_id, ALTER COLUMN price SET DEFAULT 2, ADD INDEX (a), ENGINE=InnoDB,"
        + " ALGORITHM=INPLACE, LOCK=NONE");
    assertThat(columns(T)).containsExactly("price", "key_id", "a", "d", "e");
    assertThat(schemas.get(T).primaryKey()).containsExactly("key_id");
    run("ALTER TABLE t DROP PRIMARY KEY, ADD CONSTRAINT pk PRIMARY KEY (a, d)");
    assertThat(schemas.get(T).primaryKey()).containsExactly("a", "d");
    run("ALTER TABLE t DROP COLUMN d");
    assertThat(schemas.get(T).primaryKey()).containsExactly("a");
    run("ALTER TABLE t ADD COLUMN j LONGTEXT, ADD CONSTRAINT CHECK (json_valid(`j`))");
    assertThat(mysql(T).get(4).kind()).isEqualTo(Kind.JSON_TEXT);
  }

  @Test
  void shouldFollowRenameLikeAndDropOfTables() {
    run("CREATE TABLE a (x INT)");
    run("CREATE TABLE b (y INT, z INT)");
    run("RENAME TABLE a TO tmp, b TO a, tmp TO b");
    assertThat(columns(new TableName("shop", "a"))).containsExactly("y", "z");
    assertThat(columns(new TableName("shop", "b"))).containsExactly("x");
    run("ALTER TABLE b RENAME TO other.c");
    assertThat(schemas.get(new TableName("shop", "b"))).isNull();
    assertThat(columns(new TableName("other", "c"))).containsExactly("x");
    run("CREATE TABLE d LIKE a");
    run("CREATE TABLE IF NOT EXISTS e (LIKE shop.a)");
    assertThat(columns(new TableName("shop", "e"))).containsExactly("y", "z");
    run("DROP TABLE IF EXISTS `a`,`d`,`nope` /* generated by server */");
    assertThat(schemas.get(new TableName("shop", "a"))).isNull();
    assertThat(schemas.get(new TableName("shop", "d"))).isNull();
    run("DROP DATABASE other");
    assertThat(schemas.get(new TableName("other", "c"))).isNull();
  }

  @Test
  void shouldConvertCharsetsAndKeepTheDefaultForLaterColumns() {
    run("CREATE TABLE t (a VARCHAR(5), b VARBINARY(5), e ENUM('x')) DEFAULT CHARACTER SET = latin1");
    run("ALTER TABLE t ADD c TEXT, DEFAULT CHARSET utf8mb3");
    run("ALTER TABLE t ADD d TEXT");
    assertThat(mysql(T)).extracting(MySqlColumn::charset).containsExactly("latin1", null, "latin1", "latin1", "utf8mb3");
    run("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
    assertThat(mysql(T)).extracting(MySqlColumn::charset).containsExactly("utf8mb4", null, "utf8mb4", "utf8mb4", "utf8mb4");
    assertThat(mysql(T).get(1).kind()).isEqualTo(Kind.BINARY);
  }

  @Test
  void shouldIgnoreStatementsThatChangeNoTableDefinition() {
    for (String sql : List.of("GRANT SELECT ON *.* TO 'u'@'%'", "CREATE USER 'cdc'@'%' IDENTIFIED BY 'secret'",
        "INSERT INTO t VALUES (1)", "CREATE INDEX i ON t (a)", "DROP INDEX i ON t", "TRUNCATE TABLE t",
        "CREATE DEFINER=`root`@`localhost` VIEW v AS SELECT 1", "ALTER USER x", "FLUSH PRIVILEGES",
        "CREATE TEMPORARY TABLE tmp (a int)", "DROP TEMPORARY TABLE IF EXISTS tmp", "SAVEPOINT s", "ANALYZE TABLE t")) {
      assertThat(DdlParser.parse(sql, "shop")).as(sql).isEmpty();
    }
  }

  @Test
  void shouldSayWhichTableAStatementItCannotReadChanges() {
    assertThat(DdlParser.parse("ALTER TABLE t ADD SYSTEM VERSIONING", "shop"))
        .singleElement().isInstanceOfSatisfying(SchemaChange.NotUnderstood.class, n -> assertThat(n.table()).isEqualTo(T));
    assertThat(DdlParser.parse("CREATE TABLE t AS SELECT * FROM u", "shop"))
        .singleElement().isInstanceOfSatisfying(SchemaChange.NotUnderstood.class, n -> assertThat(n.table()).isEqualTo(T));
    assertThat(DdlParser.parse("ALTER TABLE x.t FROBNICATE a", "shop"))
        .singleElement().isInstanceOfSatisfying(SchemaChange.NotUnderstood.class, n -> {
          assertThat(n.table()).isEqualTo(new TableName("x", "t"));
          assertThat(n.reason()).contains("FROBNICATE");
        });
    assertThat(DdlParser.parse("CREATE TABLE t (a UUID)", "shop"))
        .singleElement().isInstanceOf(SchemaChange.CreateTable.class);
    assertThat(DdlParser.parse("ALTER TABLE t ADD c INT", null))
        .singleElement().isInstanceOfSatisfying(SchemaChange.NotUnderstood.class, n -> assertThat(n.table()).isNull());
  }

  @Test
  void shouldParseSpecsIntoTheirRecords() {
    assertThat(DdlParser.parse("ALTER ONLINE TABLE IF EXISTS t WAIT 5 MODIFY COLUMN IF EXISTS a INT AFTER b", "shop"))
        .containsExactly(new SchemaChange.AlterTable(T, List.of(new AlterSpec.ChangeColumn("a",
            new ColumnDefinition("a", "int", List.of(), false, null, null, List.of(), false),
            new SchemaChange.ColumnPosition(false, "b"), true))));
    assertThat(DdlParser.parse("RENAME TABLE shop.a TO shop.b, c TO d", "x")).containsExactly(
        new SchemaChange.RenameTable(new TableName("shop", "a"), new TableName("shop", "b")),
        new SchemaChange.RenameTable(new TableName("x", "c"), new TableName("x", "d")));
    assertThat(DdlParser.parse("CREATE DATABASE IF NOT EXISTS d /*!40100 DEFAULT CHARACTER SET latin1 */", null))
        .containsExactly(new SchemaChange.DatabaseCharset("d", "latin1"));
  }

  @Test
  void shouldRefuseChangesThatContradictTheTrackedDefinition() {
    run("CREATE TABLE t (a INT)");
    assertThatThrownBy(() -> run("ALTER TABLE t DROP COLUMN b")).isInstanceOf(Schemas.InconsistentChange.class)
        .hasMessageContaining("column b of shop.t does not exist");
    assertThatThrownBy(() -> run("ALTER TABLE t ADD a INT")).hasMessageContaining("exists already");
    assertThatThrownBy(() -> run("ALTER TABLE nope ADD a INT")).isInstanceOf(Schemas.UnknownTable.class);
    assertThat(columns(T)).containsExactly("a");
  }
}
