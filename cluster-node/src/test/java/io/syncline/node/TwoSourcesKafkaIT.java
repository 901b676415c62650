package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.KafkaServer;
import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PostgreSQL and MariaDB sources run concurrently in one node, into the same Kafka cluster. */
class TwoSourcesKafkaIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void shouldCaptureBothDatabasesIntoTheirOwnTopicsOfOneBroker() throws Exception {
    PgServer pg = PgServer.shared();
    MariaDbServer maria = MariaDbServer.shared();
    KafkaServer kafka = KafkaServer.shared();
    pg.createDatabase("two");
    pg.execute("two", "DROP TABLE IF EXISTS orders", "CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2))");
    maria.createDatabase("two");
    maria.execute("two", "DROP TABLE IF EXISTS orders", "CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2))");
    Config config = ConfigFactory.load(ConfigFactory.parseString(String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [kafka]",
        "syncline.transport.kafka.bootstrap-servers = \"" + kafka.bootstrapServers() + "\"",
        "syncline.sources = [",
        "  { kind = postgres, name = pgshop, port = " + pg.port() + ", database = two, user = postgres,"
            + " include-tables = [\"public.orders\"] },",
        "  { kind = mariadb, name = mdbshop, port = " + maria.port() + ", user = root, include-tables = [\"two.orders\"],"
            + " snapshot-mode = never }",
        "]",
        "pekko.remote.artery.canonical.port = 0")));
    try (SynclineNode node = SynclineNode.start(config)) {
      maria.awaitBinlogReaders(1, Duration.ofSeconds(60));
      for (int i = 1; i <= 20; i++) {
        pg.execute("two", "INSERT INTO orders VALUES (" + i + ", " + i + ".50)");
        maria.execute("two", "INSERT INTO orders VALUES (" + i + ", " + i + ".50)");
      }
      pg.execute("two", "UPDATE orders SET total = total * 2 WHERE id <= 5");
      maria.execute("two", "UPDATE orders SET total = total * 2 WHERE id <= 5");

      List<JsonNode> fromPg = consume(kafka.bootstrapServers(), "pgshop.public.orders", 25);
      List<JsonNode> fromMaria = consume(kafka.bootstrapServers(), "mdbshop.two.orders", 25);
      assertThat(fromPg).extracting(v -> v.get("after")).isEqualTo(fromMaria.stream().map(v -> v.get("after")).toList());
      assertThat(fromPg.get(0).at("/source/connector").asText()).isEqualTo("postgresql");
      assertThat(fromMaria.get(0).at("/source/connector").asText()).isEqualTo("mysql");
      assertThat(fromMaria.get(24).at("/after/total").asText()).isEqualTo("11.00");

      // the table entities recorded each source's own kind of position
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (node.metrics("mdbshop").counts().total() < 25 || node.metrics("pgshop").counts().total() < 25) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        LockSupport.parkNanos(50_000_000L);
      }
      assertThat(node.metrics("mdbshop").counts().updates()).isEqualTo(5);
      assertThat(node.metrics("pgshop").counts().updates()).isEqualTo(5);
    }
  }

  private static List<JsonNode> consume(String bootstrap, String topic, int n) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "two-sources-it-" + topic);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<JsonNode> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (out.size() < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          out.add(JSON.readTree(r.value()));
        }
      }
    }
    assertThat(out).as("records on " + topic).hasSize(n);
    return out;
  }
}
