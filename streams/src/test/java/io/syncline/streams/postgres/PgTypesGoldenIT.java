package io.syncline.streams.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import static io.syncline.streams.testing.GoldenRows.assertJsonNullColumns;
import static io.syncline.streams.testing.GoldenRows.assertSameRows;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.syncline.embedded.PgServer;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.envelope.EnvelopeEncoder;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.event.Unchanged;
import io.syncline.streams.postgres.pgoutput.PgMessage;
import io.syncline.streams.postgres.pgoutput.PgMessage.Begin;
import io.syncline.streams.postgres.pgoutput.PgMessage.Commit;
import io.syncline.streams.postgres.pgoutput.PgMessage.Insert;
import io.syncline.streams.postgres.pgoutput.PgMessage.Relation;
import io.syncline.streams.postgres.pgoutput.PgMessage.RelationColumn;
import io.syncline.streams.postgres.pgoutput.PgMessage.Update;
import io.syncline.streams.postgres.pgoutput.PgOutputDecoder;
import io.syncline.streams.postgres.pgoutput.TupleData;
import io.syncline.streams.postgres.types.PgTypeRegistry;
import io.syncline.streams.postgres.types.ValueConverter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

/**
 * Golden test of the PostgreSQL type mapping against the real server: rows of every supported
 * type go through pgoutput, {@link PgOutputDecoder}, {@link PgTypeRegistry} converters and the
 * {@link EnvelopeEncoder}, and their {@code after} JSON must equal
 * {@code src/test/resources/golden/pg/all_types.json}. The same rows read by plain JDBC (the
 * snapshot path) must give identical JSON, and an update that leaves a TOASTed column unchanged
 * must mark it instead of writing null.
 */
class PgTypesGoldenIT {

  private static final String DB = "golden_types";
  private static final long FIXED_CLOCK_MICROS = 1_700_000_000_000_000L;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Path GOLDEN = Path.of(System.getProperty("basedir", "."))
      .resolve("src/test/resources/golden/pg/all_types.json");

  private static final String[] SCHEMA = {
    "DROP TABLE IF EXISTS all_types, toasty",
    "DROP DOMAIN IF EXISTS positive_numeric, int_list",
    "DROP TYPE IF EXISTS mood",
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE DOMAIN positive_numeric AS numeric(10,2) CHECK (VALUE > 0)",
    "CREATE DOMAIN int_list AS integer[]",
    """
    CREATE TABLE all_types (
      id integer PRIMARY KEY,
      c_smallint smallint, c_integer integer, c_bigint bigint, c_oid oid,
      c_numeric numeric, c_numeric_scaled numeric(12,4), c_numeric_neg_scale numeric(6,-2),
      c_real real, c_double double precision, c_bool boolean,
      c_char char(5), c_varchar varchar(20), c_text text, c_name name, c_qchar "char",
      c_bytea bytea, c_uuid uuid, c_json json, c_jsonb jsonb, c_xml xml,
      c_date date, c_time time, c_timetz timetz, c_timestamp timestamp(6), c_timestamptz timestamptz,
      c_interval interval, c_money money, c_inet inet, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8,
      c_bit bit(4), c_varbit bit varying(10), c_point point, c_box box, c_int4range int4range, c_tsvector tsvector,
      c_mood mood, c_positive positive_numeric, c_int_list int_list,
      c_int_arr integer[], c_int_2d integer[][], c_text_arr text[], c_numeric_arr numeric[],
      c_float_arr double precision[], c_bool_arr boolean[], c_date_arr date[], c_ts_arr timestamp[],
      c_tstz_arr timestamptz[], c_bytea_arr bytea[], c_jsonb_arr jsonb[], c_uuid_arr uuid[],
      c_mood_arr mood[], c_box_arr box[]
    )""",
    "CREATE TABLE toasty (id integer PRIMARY KEY, note text, big text)",
    "ALTER TABLE toasty ALTER COLUMN big SET STORAGE EXTERNAL",
  };

  private static final String[] ROWS = {
    """
    INSERT INTO all_types VALUES (1,
      12, 123456, 1234567890123, 4000000000,
      12345.6700, 12345.6700, 123456,
      3.14, 2.718281828459045, true,
      'ab', 'varchar', 'text', 'a_name', 'x',
      '\\x00ff10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1, "a": [1, 2.5, "x"]}', '{"b": 1, "a": [1, 2.5, "x"]}', '<a>1</a>',
      '2024-02-29', '10:20:30.123456', '10:20:30.5+05:30', '2024-01-15 10:20:30.123456', '2024-01-15 10:20:30.5+05:30',
      '1 year 2 months 3 days 4 hours 5 minutes 6.000007 seconds', 1234.56, '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
      B'1010', B'101', '(1.5,-2)', '((0,0),(1,1))', '[1,5)', 'a fat cat',
      'happy', 12.5, '{1,2,3}',
      '{1,2,3}', '{{1,2},{3,4}}', '{a,b}', '{1.5,2.25}',
      '{1.5,-2}', '{t,f}', '{2024-01-01,2024-12-31}', '{"2024-01-15 10:20:30","2024-01-15 10:20:30.1"}',
      '{"2024-01-15 10:20:30+00"}', '{"\\\\x0102"}', '{"{\\"k\\": 1}"}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',
      '{sad,happy}', '{(1,1),(0,0);(3,3),(2,2)}')""",
    """
    INSERT INTO all_types VALUES (2,
      -32768, -2147483648, 9223372036854775807, 0,
      'NaN', -0.0001, -100,
      'NaN', '-Infinity', false,
      'abcde', '', 'Grüße, 世界 🚀 "quoted" \\ back', '', ' ',
      '\\x', '00000000-0000-0000-0000-000000000000', '[]', '{"nested": {"deep": [null, true, false]}}', '<empty/>',
      '0044-03-15 BC', '00:00:00', '23:59:59.999999-08', '0001-01-01 00:00:00 BC', '1999-12-31 23:00:00-08',
      '-1 day -00:00:00.000001', -0.01, '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff:ff:ff',
      B'0000', B'', '(0,0)', '((-1,-1),(-2,-2))', 'empty', '',
      'sad', 0.01, '{}',
      '{NULL,-1}', '{{NULL,2},{3,NULL}}', '{"with space","comma,inside","quote\\"q","back\\\\slash","NULL",NULL,""}', '{NaN,-0.5,100000000000000000000.000000000001}',
      '{NaN,Infinity,-Infinity,1e-300}', '{NULL}', '{infinity,-infinity,"0002-01-01 BC"}', '{infinity,"0044-03-15 10:00:00 BC"}',
      '{-infinity}', '{NULL,"\\\\x"}', '{null,"\\"s\\"",NULL}', '{}',
      '{}', '{}')""",
    """
    INSERT INTO all_types VALUES (3,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      'infinity', NULL, NULL, 'infinity', '-infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)""",
    """
    INSERT INTO all_types (id, c_numeric, c_real, c_double, c_date, c_timestamp, c_timestamptz, c_time, c_timetz)
      VALUES (4, '-Infinity', 'Infinity', 1e-300, '-infinity', '294276-12-31 23:59:59.999999',
              '2000-01-01 00:30:00+01', '24:00:00', '00:00:00+14')""",
    """
    INSERT INTO all_types (id, c_numeric, c_real, c_double, c_timestamp, c_time)
      VALUES (5, '-123456789012345678901234567890.123456789012345678901234567890', 1.5e30, -1.7976931348623157e308,
              '2024-01-15 10:20:30.1', '10:20:30.12345')""",
    // the JSON literal null (json keeps the text as written, spaces included), unlike row 3's SQL NULLs
    """
    INSERT INTO all_types (id, c_json, c_jsonb, c_text) VALUES (6, ' null ', 'null', 'null')""",
  };

  /** Rows whose JSON columns hold the JSON literal null: listed in the envelope's json_null, per row id. */
  static final Map<Integer, List<String>> JSON_NULLS = Map.of(6, List.of("c_json", "c_jsonb"));

  /**
   * Negative numeric scale exists from PostgreSQL 15 on. Older servers get a plain numeric column
   * rounded to hundreds by a trigger, so the same rows give the same golden values.
   */
  static String[] schemaFor(int major) {
    if (major >= 15) {
      return SCHEMA;
    }
    List<String> statements = new ArrayList<>();
    for (String statement : SCHEMA) {
      statements.add(statement.replace("c_numeric_neg_scale numeric(6,-2)", "c_numeric_neg_scale numeric"));
    }
    statements.add("CREATE OR REPLACE FUNCTION round_neg_scale() RETURNS trigger LANGUAGE plpgsql AS $$"
        + " BEGIN NEW.c_numeric_neg_scale := round(NEW.c_numeric_neg_scale, -2); RETURN NEW; END $$");
    statements.add("CREATE TRIGGER round_neg_scale BEFORE INSERT OR UPDATE ON all_types"
        + " FOR EACH ROW EXECUTE FUNCTION round_neg_scale()");
    return statements.toArray(String[]::new);
  }

  private static final Map<String, List<JsonNode>> streamed = new HashMap<>();
  private static final List<JsonNode> streamedEnvelopes = new ArrayList<>();
  private static final List<JsonNode> toastUpdates = new ArrayList<>();
  private static PgTypeRegistry registry;

  @BeforeAll
  static void captureTheRowsThroughPgoutput() throws Exception {
    PgServer server = PgServer.shared();
    server.createDatabase(DB);
    server.execute(DB, schemaFor(server.majorVersion()));
    String suffix = Long.toHexString(System.nanoTime());
    String publication = "golden_pub_" + suffix;
    String slot = "golden_slot_" + suffix;
    server.execute(DB,
        "CREATE PUBLICATION " + publication + " FOR TABLE all_types, toasty",
        "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
    try {
      server.execute(DB, "BEGIN; " + String.join(";\n", ROWS) + "; COMMIT");
      server.execute(DB,
          "INSERT INTO toasty VALUES (1, 'first', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 400) i))",
          "UPDATE toasty SET note = 'second' WHERE id = 1");
      try (Connection sql = connect(false)) {
        registry = PgTypeRegistry.load(sql);
        readTransactions(slot, publication, 3, sql);
      }
    } finally {
      dropSlot(server, slot);
      server.execute(DB, "DROP PUBLICATION IF EXISTS " + publication);
    }
  }

  /** A connection with the session settings of Syncline's connections (and text results only). */
  private static Connection connect(boolean replication) throws SQLException {
    Properties p = new Properties();
    PGProperty.USER.set(p, "postgres");
    PGProperty.OPTIONS.set(p, PgConnector.SESSION_OPTIONS);
    if (replication) {
      PGProperty.REPLICATION.set(p, "database");
      PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
      PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    } else {
      PGProperty.BINARY_TRANSFER.set(p, false); // getString must return the server's text form
    }
    return DriverManager.getConnection(PgServer.shared().jdbcUrl(DB), p);
  }

  /** What the test keeps per relation: its schema, table and one converter per column. */
  private record Table(TableRef ref, RowSchema schema, ValueConverter[] converters) {}

  private static Table table(PgTypeRegistry types, String schemaName, String tableName, List<String> columns,
      List<String> keys, int[] typeOids, int[] typeModifiers) {
    ValueConverter[] converters = new ValueConverter[typeOids.length];
    for (int i = 0; i < typeOids.length; i++) {
      converters[i] = types.converterFor(typeOids[i], typeModifiers[i]);
    }
    return new Table(new TableRef("postgresql", "golden", DB, schemaName, tableName),
        RowSchema.of(columns, keys), converters);
  }

  private static void readTransactions(String slot, String publication, int commits, Connection sql) throws Exception {
    EnvelopeEncoder encoder = new EnvelopeEncoder(() -> FIXED_CLOCK_MICROS);
    Map<Integer, Table> tables = new HashMap<>();
    try (Connection c = connect(true);
        PGReplicationStream stream = c.unwrap(PGConnection.class).getReplicationAPI()
            .replicationStream().logical()
            .withSlotName(slot)
            .withSlotOption("proto_version", "1")
            .withSlotOption("publication_names", publication)
            .withStatusInterval(1, TimeUnit.SECONDS)
            .start()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      Begin begin = null;
      long order = 0;
      int seen = 0;
      while (seen < commits) {
        if (System.nanoTime() > deadline) {
          fail("saw " + seen + " of " + commits + " commits within 60 s");
        }
        ByteBuffer buffer = stream.readPending();
        if (buffer == null) {
          Thread.sleep(10);
          continue;
        }
        PgMessage message = PgOutputDecoder.decode(buffer);
        if (message instanceof Begin b) {
          begin = b;
          order = 0;
        } else if (message instanceof Relation r) {
          int[] oids = r.columns().stream().mapToInt(RelationColumn::typeOid).toArray();
          registry = registry.ensureKnown(sql, oids);
          tables.put(r.oid(), table(registry, r.namespace(), r.name(),
              r.columns().stream().map(RelationColumn::name).toList(),
              r.columns().stream().filter(RelationColumn::key).map(RelationColumn::name).toList(),
              oids, r.columns().stream().mapToInt(RelationColumn::typeModifier).toArray()));
        } else if (message instanceof Insert i) {
          Table t = tables.get(i.relationOid());
          JsonNode envelope = envelope(encoder, t, Op.CREATE, begin, ++order, i.newTuple());
          streamed.computeIfAbsent(t.ref().table(), k -> new ArrayList<>()).add(envelope.get("after"));
          if (t.ref().table().equals("all_types")) {
            streamedEnvelopes.add(envelope);
          }
        } else if (message instanceof Update u) {
          Table t = tables.get(u.relationOid());
          toastUpdates.add(envelope(encoder, t, Op.UPDATE, begin, ++order, u.newTuple()));
        } else if (message instanceof Commit) {
          seen++;
          stream.setFlushedLSN(org.postgresql.replication.LogSequenceNumber.valueOf(((Commit) message).endLsn().value()));
        }
      }
    }
  }

  private static JsonNode envelope(EnvelopeEncoder encoder, Table t, Op op, Begin begin, long order, TupleData tuple)
      throws Exception {
    Object[] values = new Object[tuple.size()];
    List<String> unchanged = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      switch (tuple.kind(i)) {
        case TupleData.NULL -> values[i] = null;
        case TupleData.UNCHANGED_TOAST -> {
          values[i] = Unchanged.TOAST;
          unchanged.add(t.schema().column(i));
        }
        case TupleData.TEXT -> values[i] = t.converters()[i].convert(tuple.text(i));
        default -> fail("unexpected tuple kind " + (char) tuple.kind(i) + " in column " + t.schema().column(i));
      }
    }
    ChangeEvent event = new ChangeEvent(t.ref(), op, PgPosition.of(begin.finalLsn(), order),
        Long.toString(begin.xid()), order, begin.commitTimeMicros(), false, null, new Row(t.schema(), values), unchanged);
    return JSON.readTree(encoder.encodeValue(event));
  }

  private static void dropSlot(PgServer server, String slot) {
    server.dropSlotWhenReleased(DB, slot, java.time.Duration.ofSeconds(30));
  }

  @Test
  void shouldStreamEveryTypeAsTheGoldenFileSays() throws Exception {
    ArrayNode actual = JSON.valueToTree(streamed.get("all_types"));
    assertThat(actual).hasSize(ROWS.length);
    if (!Files.exists(GOLDEN)) {
      Files.createDirectories(GOLDEN.getParent());
      Files.writeString(GOLDEN, JSON.writeValueAsString(actual) + "\n");
      fail("golden file " + GOLDEN + " was missing and has been written: review every value against"
          + " docs/type-mapping.md, then commit it and run again");
    }
    JsonNode expected = JSON.readTree(GOLDEN.toFile());
    assertSameRows(actual, expected, "pgoutput stream vs " + GOLDEN.getFileName());
    assertJsonNullColumns(streamedEnvelopes, JSON_NULLS, "pgoutput stream");
  }

  @Test
  void shouldConvertSnapshotReadsToTheSameJsonAsTheStream() throws Exception {
    EnvelopeEncoder encoder = new EnvelopeEncoder(() -> FIXED_CLOCK_MICROS);
    List<JsonNode> snapshot = new ArrayList<>();
    List<JsonNode> snapshotEnvelopes = new ArrayList<>();
    try (Connection c = connect(false)) {
      List<String> columns = new ArrayList<>();
      List<Integer> oids = new ArrayList<>();
      List<Integer> mods = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT attname, atttypid, atttypmod FROM pg_attribute"
          + " WHERE attrelid = 'public.all_types'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
        ResultSet rs = s.executeQuery();
        while (rs.next()) {
          columns.add(rs.getString(1));
          oids.add((int) rs.getLong(2));
          mods.add(rs.getInt(3));
        }
      }
      int[] typeOids = oids.stream().mapToInt(Integer::intValue).toArray();
      PgTypeRegistry types = PgTypeRegistry.load(c).ensureKnown(c, typeOids);
      Table t = table(types, "public", "all_types", columns, List.of("id"), typeOids,
          mods.stream().mapToInt(Integer::intValue).toArray());
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM all_types ORDER BY id")) {
        while (rs.next()) {
          Object[] values = new Object[columns.size()];
          for (int i = 0; i < values.length; i++) {
            String text = rs.getString(i + 1);
            values[i] = text == null ? null : t.converters()[i].convert(text);
          }
          ChangeEvent read = new ChangeEvent(t.ref(), Op.READ, PgPosition.START, null, 0, FIXED_CLOCK_MICROS, true,
              null, new Row(t.schema(), values), List.of());
          snapshotEnvelopes.add(JSON.readTree(encoder.encodeValue(read)));
          snapshot.add(snapshotEnvelopes.get(snapshotEnvelopes.size() - 1).get("after"));
        }
      }
    }
    assertSameRows(JSON.valueToTree(snapshot), JSON.valueToTree(streamed.get("all_types")), "snapshot vs stream");
    assertJsonNullColumns(snapshotEnvelopes, JSON_NULLS, "snapshot");
  }

  @Test
  void shouldMarkUnchangedToastColumnsInsteadOfWritingNull() {
    assertThat(streamed.get("toasty")).hasSize(1);
    assertThat(streamed.get("toasty").get(0).get("big").asText()).hasSize(400 * 32);
    assertThat(toastUpdates).hasSize(1);
    JsonNode update = toastUpdates.get(0);
    assertThat(update.get("op").asText()).isEqualTo("u");
    assertThat(update.get("after").get("note").asText()).isEqualTo("second");
    assertThat(update.get("after").get("big").asText()).isEqualTo(Unchanged.PLACEHOLDER);
    assertThat(update.get("unchanged_toast")).hasSize(1);
    assertThat(update.get("unchanged_toast").get(0).asText()).isEqualTo("big");
  }
}
