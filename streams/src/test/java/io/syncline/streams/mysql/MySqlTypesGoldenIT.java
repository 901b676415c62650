package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import static io.syncline.streams.testing.GoldenRows.assertJsonNullColumns;
import static io.syncline.streams.testing.GoldenRows.assertSameRows;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.EventData;
import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;
import io.syncline.embedded.MariaDbServer;
import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.envelope.EnvelopeEncoder;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.mysql.types.BinlogDeserializers;
import io.syncline.streams.mysql.types.BinlogValueConverter;
import io.syncline.streams.mysql.types.Collations;
import io.syncline.streams.mysql.types.MySqlColumn;
import io.syncline.streams.mysql.types.MySqlValueConverters;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Golden test of the MySQL/MariaDB type mapping against a real MariaDB: rows of every supported
 * type are read from the row binlog with mysql-binlog-connector-java (through
 * {@link BinlogDeserializers#create()}: the compatibility modes Syncline uses, signed TIME), converted by {@link MySqlColumn#fromTableMap} + {@link MySqlValueConverters}
 * and encoded by the {@link EnvelopeEncoder}; their {@code after} JSON must equal
 * {@code src/test/resources/golden/mysql/all_types.json}. The column descriptions from
 * {@code information_schema} must equal those from the TABLE_MAP event.
 */
class MySqlTypesGoldenIT {

  private static final String DB = "golden_types";
  private static final long FIXED_CLOCK_MICROS = 1_700_000_000_000_000L;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final Path GOLDEN = Path.of(System.getProperty("basedir", "."))
      .resolve("src/test/resources/golden/mysql/all_types.json");

  static final String SCHEMA = """
      CREATE TABLE all_types (
        id int PRIMARY KEY,
        c_tinyint tinyint, c_tinyint_u tinyint unsigned, c_smallint smallint, c_smallint_u smallint unsigned,
        c_mediumint mediumint, c_mediumint_u mediumint unsigned, c_int int, c_int_u int unsigned,
        c_bigint bigint, c_bigint_u bigint unsigned,
        c_decimal decimal(12,4), c_decimal_u decimal(10,2) unsigned, c_float float, c_double double,
        c_bit1 bit(1), c_bit10 bit(10), c_bool tinyint(1),
        c_char char(5) CHARACTER SET utf8mb4, c_varchar varchar(50) CHARACTER SET utf8mb4,
        c_char_latin1 char(5) CHARACTER SET latin1, c_varchar_latin1 varchar(50) CHARACTER SET latin1,
        c_text text CHARACTER SET utf8mb4, c_tinytext tinytext CHARACTER SET utf8mb3,
        c_mediumtext mediumtext CHARACTER SET latin1, c_longtext longtext CHARACTER SET utf8mb4,
        c_binary binary(4), c_varbinary varbinary(10), c_blob blob,
        c_enum enum('sad','ok','happy'), c_set set('a','b','c','d') CHARACTER SET latin1,
        c_date date, c_time time(6), c_time0 time, c_datetime datetime(6), c_datetime0 datetime, c_datetime3 datetime(3),
        c_timestamp timestamp(6) NULL, c_year year,
        c_json json, c_point point, c_geometry geometry, c_time2 time(2), c_time3 time(3),
        c_enum_emoji enum('🚀','ok','naïve') CHARACTER SET utf8mb4, c_set_emoji set('🚀','b') CHARACTER SET utf8mb4
      ) DEFAULT CHARSET=utf8mb4""";

  static final String[] ROWS = {
    """
    INSERT INTO all_types VALUES (1,
      12, 200, 1234, 50000, 123456, 16000000, 123456, 3000000000, 1234567890123, 12345678901234567890,
      12345.6700, 99.50, 3.14, 2.718281828459045, b'1', b'1010000001', 1,
      'ab', 'varchar', 'é€', 'Grüße €', 'text', 'tiny', 'medium é', 'long',
      x'00ff1000', x'00ff10', x'cafe',
      'happy', 'a,c,d',
      '2024-02-29', '10:20:30.123456', '838:59:59', '2024-01-15 10:20:30.123456', '2024-01-15 10:20:30', '2024-01-15 10:20:30.1',
      '2024-01-15 10:20:30.5', 2024,
      '{"b": 1, "a": [1, 2.5, "x"]}', ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('LINESTRING(0 0,1 1)'),
      '10:20:30.12', '-10:20:30.123', 'ok', 'b')""",
    """
    INSERT INTO all_types VALUES (2,
      -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
      -9223372036854775808, 18446744073709551615,
      -0.0001, 0.00, -1.5e30, -1.7976931348623157e308, b'0', b'1111111111', 0,
      'abcde', 'Grüße, 世界 🚀 "quoted" \\\\ back', x'809d', '', 'Grüße, 世界 🚀 "quoted" \\\\ back', '', '', '',
      x'00000000', x'', x'',
      '', 'a,b,c,d',
      '1000-01-01', '00:00:00', '00:00:00', '1000-01-01 00:00:00', '9999-12-31 23:59:59', '2024-01-15 10:20:30.999',
      '1970-01-01 05:30:01', 1901,
      '[]', ST_GeomFromText('POINT(-1.5 0)'), ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'),
      '00:00:00', '-00:00:00.001', '🚀', '🚀,b')""",
    """
    INSERT INTO all_types (id) VALUES (3)""",
    """
    INSERT INTO all_types (id, c_tinyint, c_tinyint_u, c_bigint, c_bigint_u, c_date, c_datetime, c_year, c_time,
        c_timestamp, c_set, c_json, c_float, c_double)
      VALUES (4, 127, 0, 9223372036854775807, 9223372036854775808, '0000-00-00', '0000-00-00 00:00:00', 0,
        '838:59:59.999999', '2038-01-19 08:44:07.999999', '', 'null', 0, 1e-300)""",
    """
    INSERT INTO all_types (id, c_time, c_datetime, c_timestamp, c_bigint_u, c_json)
      VALUES (5, '10:20:30.1', '2024-01-15 10:20:30.000001', '2024-01-15 10:20:30.000001', 9223372036854775807,
        '{"nested": {"deep": [null, true, false]}}')""",
    """
    INSERT INTO all_types (id, c_date, c_datetime, c_datetime0, c_datetime3, c_timestamp, c_time0, c_varchar_latin1)
      VALUES (6, '0001-01-01', '1582-10-04 23:59:59.999999', '1582-10-15 00:00:00', '2024-00-00 00:00:00',
        '0000-00-00 00:00:00', '-00:00:00', x'e9818d8f909d')""",
    """
    INSERT INTO all_types (id, c_time, c_time0, c_time2, c_time3)
      VALUES (7, '-838:59:59.999999', '-00:00:01', '-10:20:30.5', '-838:59:59.999')""",
    """
    INSERT INTO all_types (id, c_time, c_time0, c_time2, c_time3)
      VALUES (8, '-00:00:00.000001', '-838:59:59', '-00:00:00.01', '23:59:59.999')""",
    // issue 10, finding 16: proleptic Gregorian dates in October 1582 (the Julian/Gregorian switch skips
    // 1582-10-05 … 14), before it, and in year 0; finding 18: SRIDs and members outside the BMP
    """
    INSERT INTO all_types (id, c_date, c_datetime, c_datetime0, c_datetime3, c_point, c_geometry, c_enum_emoji,
        c_set_emoji)
      VALUES (9, '1582-10-10', '1582-10-05 12:00:00.5', '1582-10-14 23:59:59', '0100-03-01 00:00:00.001',
        ST_GeomFromText('POINT(3 4)', 3857), ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326), '🚀', '🚀,b')""",
    """
    INSERT INTO all_types (id, c_date, c_datetime, c_datetime0, c_datetime3, c_enum_emoji, c_set_emoji)
      VALUES (10, '0000-01-01', '0001-01-01 00:00:00.000001', '1000-02-28 23:59:59', '1582-10-15 00:00:00',
        'naïve', '')""",
  };

  /** Rows whose JSON column holds the JSON literal null (row 3's is SQL NULL): listed in json_null, per row id. */
  static final Map<Integer, List<String>> JSON_NULLS = Map.of(4, List.of("c_json"));

  private static final List<JsonNode> afters = new ArrayList<>();
  private static final List<JsonNode> envelopes = new ArrayList<>();
  private static final Map<String, String> rawTypes = new TreeMap<>();
  private static List<MySqlColumn> tableMapColumns;

  @BeforeAll
  static void captureTheRowsFromTheBinlog() throws Exception {
    MariaDbServer server = MariaDbServer.shared();
    server.createDatabase(DB);
    server.execute(DB, "DROP TABLE IF EXISTS all_types", SCHEMA);
    String[] position = binlogPosition(server);

    List<String> statements = new ArrayList<>(List.of("SET SESSION sql_mode = ''", "SET SESSION time_zone = '+05:30'"));
    statements.addAll(List.of(ROWS));
    server.execute(DB, statements.toArray(String[]::new));

    BlockingQueue<EventData> events = new LinkedBlockingQueue<>();
    BinaryLogClient client = new BinaryLogClient(server.host(), server.port(), "root", "");
    client.setServerId(65_000 + (int) (System.nanoTime() & 0x3FF));
    client.setBinlogFilename(position[0]);
    client.setBinlogPosition(Long.parseLong(position[1]));
    client.setKeepAlive(false);
    client.setEventDeserializer(BinlogDeserializers.create());
    client.registerEventListener(event -> {
      EventData data = event.getData();
      if (data instanceof TableMapEventData || data instanceof WriteRowsEventData) {
        events.add(data);
      }
    });
    client.connect(10_000);
    try {
      readRows(events, position);
    } finally {
      client.disconnect();
    }
  }

  /** {@code [file, position]} of the end of the binlog now ({@code SHOW BINLOG STATUS} is MariaDB's name for it). */
  private static String[] binlogPosition(MariaDbServer server) throws SQLException {
    try (Connection c = server.connect(DB); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW BINLOG STATUS")) {
      assertThat(rs.next()).as("binary logging is on").isTrue();
      return new String[] {rs.getString("File"), rs.getString("Position")};
    }
  }

  private static void readRows(BlockingQueue<EventData> events, String[] start) throws Exception {
    EnvelopeEncoder encoder = new EnvelopeEncoder(() -> FIXED_CLOCK_MICROS);
    TableRef ref = new TableRef("mysql", "golden", DB, DB, "all_types");
    RowSchema schema = null;
    BinlogValueConverter[] converters = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long order = 0;
    while (afters.size() < ROWS.length) {
      EventData data = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (data == null) {
        fail("saw " + afters.size() + " of " + ROWS.length + " inserted rows within 60 s");
      }
      if (data instanceof TableMapEventData map) {
        if (!map.getTable().equals("all_types")) {
          continue;
        }
        tableMapColumns = MySqlColumn.fromTableMap(map);
        try (Connection c = MariaDbServer.shared().connect(DB)) {
          Set<String> json = MySqlColumn.mariaDbJsonColumns(c, DB, "all_types");
          tableMapColumns = tableMapColumns.stream().map(col -> json.contains(col.name()) ? col.asJsonText() : col).toList();
        }
        schema = RowSchema.of(tableMapColumns.stream().map(MySqlColumn::name).toList(), List.of("id"));
        converters = tableMapColumns.stream().map(MySqlValueConverters::converterFor).toArray(BinlogValueConverter[]::new);
      } else if (data instanceof WriteRowsEventData write) {
        for (Serializable[] cells : write.getRows()) {
          Object[] values = new Object[cells.length];
          for (int i = 0; i < cells.length; i++) {
            if (cells[i] != null) {
              rawTypes.putIfAbsent(tableMapColumns.get(i).kind() + " " + tableMapColumns.get(i).name(),
                  cells[i].getClass().getSimpleName());
            }
            values[i] = cells[i] == null ? null : converters[i].convert(cells[i]);
          }
          order++;
          ChangeEvent event = new ChangeEvent(ref, Op.CREATE, new BinlogPosition(start[0], Long.parseLong(start[1]),
              order, null), "1", order, FIXED_CLOCK_MICROS,
              false, null, new Row(schema, values), List.of());
          envelopes.add(JSON.readTree(encoder.encodeValue(event)));
          afters.add(envelopes.get(envelopes.size() - 1).get("after"));
        }
      }
    }
    System.out.println("mysql-binlog-connector-java cell classes: " + rawTypes);
  }

  @Test
  void shouldConvertEveryTypeAsTheGoldenFileSays() throws Exception {
    ArrayNode actual = JSON.valueToTree(afters);
    assertThat(actual).hasSize(ROWS.length);
    if (!Files.exists(GOLDEN)) {
      Files.createDirectories(GOLDEN.getParent());
      Files.writeString(GOLDEN, JSON.writeValueAsString(actual) + "\n");
      fail("golden file " + GOLDEN + " was missing and has been written: review every value against"
          + " docs/type-mapping.md, then commit it and run again");
    }
    assertSameRows(actual, JSON.readTree(GOLDEN.toFile()), "binlog rows vs " + GOLDEN.getFileName());
    assertJsonNullColumns(envelopes, JSON_NULLS, "binlog rows");
  }

  @Test
  void shouldDescribeTheColumnsFromInformationSchemaAsTheTableMapDoes() throws Exception {
    try (Connection c = MariaDbServer.shared().connect(DB)) {
      List<MySqlColumn> fromSchema = MySqlColumn.fromInformationSchema(c, DB, "all_types");
      // the server describes ENUM/SET members in utf8mb3: an emoji member reads '?' there, never in the TABLE_MAP
      List<MySqlColumn> described = tableMapColumns.stream().map(col -> new MySqlColumn(col.name(), col.kind(),
          col.unsigned(), col.length(), col.charset(), col.labels().stream().map(l -> l.replace("🚀", "?")).toList()))
          .toList();
      assertThat(fromSchema).containsExactlyElementsOf(described);
    }
    assertThat(tableMapColumns).extracting(MySqlColumn::kind).contains(MySqlColumn.Kind.JSON_TEXT);
  }

  @Test
  void shouldMapEveryCollationIdOfTheServerToItsCharacterSet() throws Exception {
    int checked = 0;
    try (Connection c = MariaDbServer.shared().connect(DB); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT ID, CHARACTER_SET_NAME, FULL_COLLATION_NAME"
            + " FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY")) {
      while (rs.next()) {
        assertThat(Collations.charsetOf(rs.getInt(1))).as(rs.getString(3)).isEqualTo(rs.getString(2));
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(1000);
    assertThat(Collations.charsetOf(0)).isNull();
    assertThat(Collations.charsetOf(100_000)).isNull();
  }
}
