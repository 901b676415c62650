package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncline.embedded.KafkaServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A row whose change is larger than Kafka accepts (the producer's max.request.size, 20 kB here),
 * captured by a node from PostgreSQL into Kafka. By default the source stops with an error naming
 * the table, the position, the size, the limit and the fix, instead of retrying it forever while
 * the slot holds WAL; in dead-letter mode the change goes to the dead-letter file and topic and the
 * stream goes on, the slot acknowledged past it.
 */
class OversizedRecordIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DB = "oversized";
  private static final String BIG = "INSERT INTO docs VALUES (2, (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 1500) i))";

  @TempDir
  Path dir;

  @Test
  void shouldStopTheSourceNamingTheFixByDefault() throws Exception {
    PgServer pg = PgServer.shared();
    String source = "bigfail";
    Path config = config(pg, source, "");
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("fail.log"))) {
      node.awaitLog("streaming from slot", Duration.ofSeconds(90));
      pg.execute(DB, "INSERT INTO docs VALUES (1, 'small')", BIG, "INSERT INTO docs VALUES (3, 'small')");
      node.awaitLog("stopped, not retried", Duration.ofSeconds(60));
      assertThat(node.logText())
          .contains("Kafka refuses a change of " + source + ".public.docs at source position ")
          .contains("the record is 4")
          .contains("max.request.size = 20000")
          .contains("Fix: raise syncline.transport.kafka.producer.max.request.size")
          .contains("syncline.transport.dead-letter.on-refused-record = dead-letter")
          .doesNotContain("capture failed (");
      assertThat(records(source + ".public.docs", 1)).extracting(r -> JSON.readTree(r.value()).at("/after/id").asInt())
          .as("the change before it, and nothing after it").containsExactly(1);
      assertThat(node.logText().split("Kafka refuses a change", -1)).as("reported once, never retried").hasSize(2);
    } finally {
      pg.dropSlotWhenReleased(DB, "syncline_" + source, Duration.ofSeconds(30));
    }
  }

  @Test
  void shouldSetTheRecordAsideAndGoOnInDeadLetterMode() throws Exception {
    PgServer pg = PgServer.shared();
    String source = "bigdlq";
    Path dead = dir.resolve("dead");
    Path config = config(pg, source, String.join("\n",
        "syncline.transport.dead-letter.on-refused-record = dead-letter",
        "syncline.transport.dead-letter.directory = \"" + dead + "\"",
        "syncline.transport.dead-letter.topic = " + source + ".dead-letters"));
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("dlq.log"))) {
      node.awaitLog("streaming from slot", Duration.ofSeconds(90));
      pg.execute(DB, "INSERT INTO docs VALUES (1, 'small')", BIG, "INSERT INTO docs VALUES (3, 'small')");
      String after = lsnNow(pg);
      Path file = dead.resolve("dead-letters.jsonl");
      node.await(() -> Files.exists(file) && text(file).endsWith("\n"), "a dead letter", Duration.ofSeconds(60));
      List<String> lines = Files.readAllLines(file);
      assertThat(lines).hasSize(1);
      JsonNode letter = JSON.readTree(lines.get(0));
      assertThat(letter.get("table").asText()).isEqualTo("docs");
      assertThat(letter.get("key").toString()).isEqualTo("{\"id\":2}");
      assertThat(letter.get("position").asText()).isNotBlank();
      assertThat(letter.get("reason").asText()).contains("max.request.size = 20000");
      assertThat(letter.at("/value/after/body").asText()).hasSize(1500 * 32);

      assertThat(records(source + ".public.docs", 2)).extracting(r -> JSON.readTree(r.value()).at("/after/id").asInt())
          .containsExactly(1, 3);
      assertThat(records(source + ".dead-letters", 1)).singleElement().satisfies(r -> {
        JsonNode d = JSON.readTree(r.value());
        assertThat(d.get("position").asText()).isEqualTo(letter.get("position").asText());
        assertThat(d.get("value_omitted").asBoolean()).isTrue();
      });
      node.await(() -> acknowledgedPast(pg, "syncline_" + source, after), "the slot acknowledged past the dead letter",
          Duration.ofSeconds(60));
    } finally {
      pg.dropSlotWhenReleased(DB, "syncline_" + source, Duration.ofSeconds(30));
    }
  }

  private Path config(PgServer pg, String source, String extra) throws Exception {
    pg.createDatabase(DB);
    pg.execute(DB, "CREATE TABLE IF NOT EXISTS docs (id int PRIMARY KEY, body text NOT NULL)", "TRUNCATE docs");
    Path config = dir.resolve(source + ".conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve(source) + "\"",
        "syncline.transport.sinks = [kafka]",
        "syncline.transport.kafka.bootstrap-servers = \"" + KafkaServer.shared().bootstrapServers() + "\"",
        "syncline.transport.kafka.producer.max.request.size = 20000",
        "syncline.sources = [{ kind = postgres, name = " + source + ", host = localhost, port = " + pg.port()
            + ", database = " + DB + ", user = postgres, include-tables = [\"public.docs\"] }]",
        extra,
        "pekko.remote.artery.canonical.port = 0"));
    return config;
  }

  private static String text(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static String lsnNow(PgServer pg) throws SQLException {
    try (Connection c = pg.connect(DB); ResultSet rs = c.createStatement().executeQuery("SELECT pg_current_wal_lsn()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static boolean acknowledgedPast(PgServer pg, String slot, String lsn) {
    try (Connection c = pg.connect(DB); ResultSet rs = c.createStatement().executeQuery(
        "SELECT confirmed_flush_lsn >= '" + lsn + "'::pg_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
      return rs.next() && rs.getBoolean(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every record of the topic's partition 0, waiting until {@code n} arrived (or 60 s). */
  private static List<ConsumerRecord<byte[], byte[]>> records(String topic, int n) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers",
        KafkaServer.shared().bootstrapServers()), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition p = new TopicPartition(topic, 0);
      c.assign(List.of(p));
      c.seekToBeginning(List.of(p));
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (out.size() < n && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(300)).forEach(out::add);
      }
      c.poll(Duration.ofMillis(300)).forEach(out::add); // and nothing more
      return out;
    }
  }
}
