package io.syncline.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaServerIT {

  @Test
  void shouldProduceAndConsumeOneRecord() throws Exception {
    KafkaServer kafka = KafkaServer.shared();
    String bootstrap = kafka.bootstrapServers();
    assertThat(bootstrap).startsWith("127.0.0.1:");

    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic("it-one", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }

    RecordMetadata sent;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(
        Map.of("bootstrap.servers", bootstrap, "acks", "all"), new StringSerializer(), new StringSerializer())) {
      sent = producer.send(new ProducerRecord<>("it-one", "k1", "hello")).get(30, TimeUnit.SECONDS);
    }
    assertThat(sent.offset()).isZero();

    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
        Map.of("bootstrap.servers", bootstrap, "isolation.level", "read_committed"),
        new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition("it-one", 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (got.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(got::add);
      }
      assertThat(got).hasSize(1);
      assertThat(got.get(0).key()).isEqualTo("k1");
      assertThat(new String(got.get(0).value().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
          .isEqualTo("hello");
    }
  }

  @Test
  void shouldRestartOnItsOwnLogDirectoryWithTheRecordsKept(@TempDir Path logDir) throws Exception {
    RecordMetadata sent;
    try (KafkaServer kafka = KafkaServer.start(Map.of(), logDir)) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic("it-restart", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(
          Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all"), new StringSerializer(), new StringSerializer())) {
        sent = producer.send(new ProducerRecord<>("it-restart", "k", "before the restart")).get(30, TimeUnit.SECONDS);
      }
    }
    // the fault tests stop the broker and start it again on the same directory
    try (KafkaServer kafka = KafkaServer.start(Map.of(), logDir)) {
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(
          Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all"), new StringSerializer(), new StringSerializer())) {
        assertThat(producer.send(new ProducerRecord<>("it-restart", "k", "after")).get(30, TimeUnit.SECONDS).offset())
            .isEqualTo(sent.offset() + 1);
      }
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
          new StringDeserializer(), new StringDeserializer())) {
        TopicPartition tp = new TopicPartition("it-restart", 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (got.size() < 2 && System.nanoTime() < deadline) {
          consumer.poll(Duration.ofMillis(200)).forEach(r -> got.add(r.value()));
        }
        assertThat(got).containsExactly("before the restart", "after");
      }
    }
  }

  @Test
  void shouldNotCreateTopicsAutomatically() throws Exception {
    KafkaServer kafka = KafkaServer.shared();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
        KafkaProducer<String, String> producer = new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers(), "max.block.ms", "1500"),
            new StringSerializer(), new StringSerializer())) {
      try {
        producer.send(new ProducerRecord<>("it-never-created", "v")).get(10, TimeUnit.SECONDS);
      } catch (Exception expected) {
        // metadata for a missing topic never arrives: the send times out
      }
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).doesNotContain("it-never-created");
    }
  }
}
