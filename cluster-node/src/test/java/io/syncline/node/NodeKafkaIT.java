package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.KafkaServer;
import io.syncline.embedded.PgServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole node captures PostgreSQL into a real Kafka broker: topic per table, key = primary key, order per key. */
class NodeKafkaIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DB = "tokafka";

  @TempDir
  Path dir;

  @Test
  void shouldDeliverEachTablesChangesToItsTopicKeyedAndInOrderPerKey() throws Exception {
    PgServer pg = PgServer.shared();
    KafkaServer kafka = KafkaServer.shared();
    pg.createDatabase(DB);
    pg.execute(DB, "DROP TABLE IF EXISTS accounts", "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)",
        "INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 20) g");
    Config config = ConfigFactory.load(ConfigFactory.parseString(String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [kafka]",
        "syncline.transport.kafka.bootstrap-servers = \"" + kafka.bootstrapServers() + "\"",
        "syncline.transport.kafka.partitions = 3",
        "syncline.sources = [{ kind = postgres, name = bank, host = localhost, port = " + pg.port()
            + ", database = " + DB + ", user = postgres, include-tables = [\"public.accounts\"] }]",
        "pekko.remote.artery.canonical.port = 0")));
    try (SynclineNode node = SynclineNode.start(config)) {
      // 20 snapshot rows, then 50 rounds of one update per account: balance counts up 1..50 per key
      awaitReads(node, 20);
      for (int round = 1; round <= 50; round++) {
        pg.execute(DB, "UPDATE accounts SET balance = balance + 1");
      }
      List<ConsumerRecord<byte[], byte[]>> records = consume(kafka.bootstrapServers(), "bank.public.accounts", 20 + 50 * 20);
      Map<Integer, List<Integer>> balancesPerKey = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        JsonNode key = JSON.readTree(r.key());
        JsonNode value = JSON.readTree(r.value());
        assertThat(key.toString()).isEqualTo("{\"id\":" + value.at("/after/id").asInt() + "}");
        balancesPerKey.computeIfAbsent(key.get("id").asInt(), k -> new ArrayList<>()).add(value.at("/after/balance").asInt());
      }
      assertThat(balancesPerKey).hasSize(20);
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i <= 50; i++) {
        expected.add(i);
      }
      balancesPerKey.forEach((id, balances) -> assertThat(balances).as("account %d in order", id).isEqualTo(expected));
      assertThat(records.stream().map(ConsumerRecord::partition).distinct().count()).isGreaterThan(1);
    }
  }

  private static void awaitReads(SynclineNode node, long n) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (node.metrics("bank").counts().reads() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("snapshot not delivered within 60 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> consume(String bootstrap, String topic, int n) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "node-kafka-it");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (out.size() < n && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(500)).forEach(out::add);
      }
    }
    assertThat(out).as("records on " + topic).hasSize(n);
    return out;
  }
}
