package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.persistence.JournalSettings;
import io.syncline.streams.postgres.PgCaptureSource;
import io.syncline.streams.transport.DeadLetters;
import io.syncline.streams.transport.JsonLinesTransport;
import io.syncline.streams.transport.KafkaSettings;
import io.syncline.streams.transport.SqsSettings;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** conf/application.conf, the documented configuration, must stay a valid configuration. */
class ApplicationConfTest {

  private static final Path CONF = Path.of("").toAbsolutePath().getParent().resolve("conf/application.conf");

  private static Config load() {
    return JournalSettings.applyTo(ConfigFactory.load(ConfigFactory.parseFile(CONF.toFile())));
  }

  @Test
  void shouldReadTheDocumentedConfiguration() {
    NodeSettings settings = NodeSettings.create(load());
    assertThat(settings.sources()).singleElement().isInstanceOfSatisfying(PgCaptureSource.class, s -> {
      assertThat(s.settings().name()).isEqualTo("shop");
      assertThat(s.settings().include()).containsExactly("public.*");
      assertThat(s.settings().slotName()).isEqualTo("syncline_shop");
    });
    assertThat(settings.sinks()).containsExactly("jsonl");
    Config kafka = load().getConfig(KafkaSettings.CONFIG_PATH)
        .withValue("bootstrap-servers", com.typesafe.config.ConfigValueFactory.fromAnyRef("localhost:9092"));
    assertThat(KafkaSettings.create(kafka).topicPattern()).isEqualTo("${prefix}.${schema}.${table}");
    assertThat(KafkaSettings.create(kafka).producerProperties()).containsEntry("acks", "all");
    assertThat(KafkaSettings.create(kafka).tombstonesOnDelete()).isTrue();
    assertThat(DeadLetters.Settings.create(load().getConfig(DeadLetters.Settings.CONFIG_PATH)))
        .isEqualTo(DeadLetters.Settings.FAIL);
    assertThat(JsonLinesTransport.Settings.create(load().getConfig(JsonLinesTransport.Settings.CONFIG_PATH)).fsync())
        .as("durable by default").isTrue();
    SqsSettings sqs = SqsSettings.create(load().getConfig(SqsSettings.CONFIG_PATH));
    assertThat(sqs).as("conf/application.conf documents the defaults of reference.conf")
        .isEqualTo(SqsSettings.create(com.typesafe.config.ConfigFactory.empty()));
    assertThat(sqs.queuePattern()).isEqualTo("${source}-${schema}-${table}");
    assertThat(sqs.maxMessageBytes()).isEqualTo(262_144);
    io.syncline.streams.lake.LakeSettings lake = io.syncline.streams.lake.LakeSettings.create(load());
    assertThat(lake.path()).isEqualTo(Path.of("./data", "lake"));
    assertThat(lake.commitInterval()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(lake.silver()).isTrue();
  }

  @Test
  void shouldReadTheSqsSinkWithoutPrintingItsSecret() {
    Config c = ConfigFactory.parseString("syncline.transport { sinks = [sqs], sqs { endpoint = \"http://localhost:9324\","
        + " region = eu-west-1, access-key-id = AKIAEXAMPLE, secret-access-key = \"sqs-secret-value\" } }")
        .withFallback(load());
    assertThat(NodeSettings.create(c).sinks()).containsExactly("sqs");
    SqsSettings sqs = SqsSettings.create(c.getConfig(SqsSettings.CONFIG_PATH));
    assertThat(sqs.endpoint()).isEqualTo("http://localhost:9324");
    assertThat(sqs.toString()).doesNotContain("sqs-secret-value");
  }

  @Test
  void shouldReadEachTablesStrategyAndNameABadRule() {
    NodeSettings settings = NodeSettings.create(ConfigFactory.parseString("""
        syncline.tables = [
          { match = "shop.public.customers", strategy = micro-batch, interval = 10s }
          { match = "shop.public.audit_*",   strategy = batch, schedule = "*/5 * * * *" }
        ]""").withFallback(load()));
    io.syncline.streams.event.TableRef customers =
        new io.syncline.streams.event.TableRef("postgresql", "shop", "shop", "public", "customers");
    assertThat(settings.reader().strategies().strategyOf(customers))
        .isEqualTo(io.syncline.streams.strategy.TableStrategy.microBatch(java.time.Duration.ofSeconds(10)));
    assertThatThrownBy(() -> NodeSettings.create(ConfigFactory.parseString(
        "syncline.tables = [{ match = \"shop.public.x\", strategy = hourly }]").withFallback(load())))
        .hasMessageContaining("syncline.tables[0]").hasMessageContaining("not one of streaming, micro-batch, batch");
  }

  @Test
  void shouldRefuseDeadLetterModeWithoutADestination() {
    Config c = ConfigFactory.parseString("syncline.transport.dead-letter.on-refused-record = dead-letter")
        .withFallback(load());
    assertThatThrownBy(() -> DeadLetters.Settings.create(c.getConfig(DeadLetters.Settings.CONFIG_PATH)))
        .hasMessageContaining("'syncline.transport.dead-letter.on-refused-record' = dead-letter needs a destination");
    Config typo = ConfigFactory.parseString("syncline.transport.dead-letter.on-refused-record = skip")
        .withFallback(load());
    assertThatThrownBy(() -> DeadLetters.Settings.create(typo.getConfig(DeadLetters.Settings.CONFIG_PATH)))
        .hasMessageContaining("'syncline.transport.dead-letter.on-refused-record' is 'skip': use fail or dead-letter");
  }

  @Test
  void shouldNeverPrintThePassword() {
    Config c = ConfigFactory.parseString("syncline.sources = [{ kind = postgres, name = s, database = d, user = u,"
        + " password = \"hunter2-secret\", include-tables = [\"public.t\"] }]").withFallback(load());
    NodeSettings settings = NodeSettings.create(c);
    assertThat(settings.toString()).doesNotContain("hunter2-secret");
    assertThat(settings.sources().get(0).toString()).doesNotContain("hunter2-secret");
  }

  @Test
  void shouldReadAMongoDbSourceWithoutPrintingItsPassword() {
    Config c = ConfigFactory.parseString("syncline.sources = [{ kind = mongodb, name = catalog,"
        + " connection-string = \"mongodb://cdc:inline-secret@db1:27017/?replicaSet=rs0\","
        + " include-tables = [\"catalog.*\"], full-document = updateLookup, on-history-lost = resnapshot }]")
        .withFallback(load());
    NodeSettings settings = NodeSettings.create(c);
    assertThat(settings.sources()).singleElement().isInstanceOfSatisfying(
        io.syncline.streams.mongo.MongoCaptureSource.class, s -> {
          assertThat(s.settings().include()).containsExactly("catalog.*");
          assertThat(s.settings().fullDocument())
              .isEqualTo(io.syncline.streams.mongo.MongoSourceSettings.FullDocumentMode.UPDATE_LOOKUP);
          assertThat(s.settings().onHistoryLost())
              .isEqualTo(io.syncline.streams.mongo.MongoSourceSettings.HistoryLostPolicy.RESNAPSHOT);
          assertThat(s.settings().snapshotMode())
              .isEqualTo(io.syncline.streams.mongo.MongoSourceSettings.SnapshotMode.INITIAL);
          assertThat(s.toString()).doesNotContain("inline-secret").contains("cdc:****@db1");
        });
    assertThatThrownBy(() -> NodeSettings.create(ConfigFactory.parseString("syncline.sources = [{ kind = mongodb,"
        + " name = m, connection-string = \"mongodb://h/\", include-tables = [\"a.b\"], full-document = sometimes }]")
        .withFallback(load())))
        .hasMessageContaining("'full-document' is 'sometimes': use one of default, updateLookup, whenAvailable, required");
  }

  @Test
  void shouldReadAMariaDbSourceBesideAPostgresOne() {
    Config c = ConfigFactory.parseString("syncline.sources = ["
        + "{ kind = postgres, name = pg, database = d, user = u, include-tables = [\"public.t\"] },"
        + "{ kind = mariadb, name = shop, host = db, port = 3307, user = cdc, server-id = 4242, include-tables = [\"shop.*\"] }]")
        .withFallback(load());
    NodeSettings settings = NodeSettings.create(c);
    assertThat(settings.sources()).hasSize(2);
    assertThat(settings.sources().get(1)).isInstanceOfSatisfying(io.syncline.streams.mysql.MySqlCaptureSource.class, s -> {
      assertThat(s.settings().serverId()).isEqualTo(4242);
      assertThat(s.settings().port()).isEqualTo(3307);
      assertThat(s.settings().include()).containsExactly("shop.*");
      assertThat(s.settings().snapshotMode()).isEqualTo(io.syncline.streams.mysql.MySqlSourceSettings.SnapshotMode.INITIAL);
      assertThat(s.settings().heartbeatTimeout()).as("3 x heartbeat-interval").isEqualTo(java.time.Duration.ofSeconds(30));
    });
  }

  @Test
  void shouldRefuseAMariaDbHeartbeatTimeoutNotLongerThanItsHeartbeatInterval() {
    Config c = ConfigFactory.parseString("syncline.sources = [{ kind = mariadb, name = shop, user = cdc,"
        + " include-tables = [\"shop.*\"], heartbeat-interval = 20s, heartbeat-timeout = 15s }]").withFallback(load());
    assertThatThrownBy(() -> NodeSettings.create(c))
        .hasMessageContaining("setting 'heartbeat-timeout' (PT15S) must be longer than heartbeat-interval (PT20S)");
    Config five = ConfigFactory.parseString("syncline.sources = [{ kind = mariadb, name = shop, user = cdc,"
        + " include-tables = [\"shop.*\"], heartbeat-interval = 2s, heartbeat-timeout = 5s }]").withFallback(load());
    assertThat(((io.syncline.streams.mysql.MySqlCaptureSource) NodeSettings.create(five).sources().get(0)).settings()
        .heartbeatTimeout()).isEqualTo(java.time.Duration.ofSeconds(5));
  }

  @Test
  void shouldNameAnUnknownSourceKind() {
    Config c = ConfigFactory.parseString("syncline.sources = [{ kind = oracle, name = x }]").withFallback(load());
    assertThatThrownBy(() -> NodeSettings.create(c))
        .hasMessageContaining("syncline.sources[0].kind 'oracle' is not supported");
  }

  @Test
  void shouldRefuseTwoSourcesWithOneName() {
    String entry = "{ kind = postgres, name = dup, database = d, user = u, include-tables = [\"public.t\"] }";
    Config c = ConfigFactory.parseString("syncline.sources = [" + entry + ", " + entry + "]").withFallback(load());
    assertThatThrownBy(() -> NodeSettings.create(c)).hasMessageContaining("two sources are named 'dup'");
  }

  @Test
  void shouldNameAnUnknownSink() {
    Config c = ConfigFactory.parseString("syncline.transport.sinks = [s3]").withFallback(load());
    assertThatThrownBy(() -> NodeSettings.create(c)).hasMessageContaining("unknown sink 's3'");
  }
}
