package io.syncline.actors.table;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.syncline.actors.table.TableEntity.Counts;
import io.syncline.actors.table.TableEntity.Event;
import io.syncline.actors.table.TableEntity.PositionCommitted;
import io.syncline.actors.table.TableEntity.SnapshotCompleted;
import io.syncline.actors.table.TableEntity.SnapshotChunkCompleted;
import io.syncline.actors.table.TableEntity.SnapshotRestarted;
import io.syncline.actors.table.TableEntity.SourceIdentityRecorded;
import io.syncline.actors.table.TableEntity.StrategySet;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.strategy.TableStrategy;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.jackson.JacksonJsonSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Persisted formats only grow. Every version of every {@link Event}'s payload is kept as JSON under
 * {@code fixtures/table-entity/v<N>/<Event>.json} (Pekko's {@code jackson-json} serializer, the same
 * Jackson mapping as the {@code jackson-cbor} binding the journal uses) and must keep deserialising
 * to the event it was written from.
 *
 * <p>When an event gains a field: add {@code v<N+1>} fixtures written by the new code, add them to
 * {@link #fixtures()} and point {@link #LATEST} at them; never edit or delete an older directory.
 */
class TableEntityEventFormatTest {

  private static final String LATEST = "v3";

  private static final ActorTestKit testKit = ActorTestKit.create("TableEntityEventFormatTest", ConfigFactory.load());
  private static final JacksonJsonSerializer json =
      new JacksonJsonSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()), "jackson-json");
  private static final ObjectMapper plain = new ObjectMapper();

  /** The events each fixture was written from: (version, event). */
  static Stream<Arguments> fixtures() {
    return Stream.of(
        Arguments.of("v1", new PositionCommitted(
            new PgPosition(0x1_0000_0000L, 3), "pg-east", new Counts(1, 2, 3, 4, 5), 1_700_000_000_123_456L)),
        Arguments.of("v1", new SnapshotCompleted(new PgPosition(0x1_0000_0000L, 0), 1_000_000, 1_700_000_000_000_001L)),
        Arguments.of("v1", new SnapshotRestarted("replication slot recreated", 1_700_000_000_000_002L)),
        Arguments.of("v1", new SnapshotChunkCompleted(50_000L, 100_000L, new PgPosition(0x1_0000_0000L, 0), 50_000,
            1_700_000_000_000_003L)),
        // v2: SourceIdentityRecorded added; the other events unchanged
        Arguments.of("v2", new PositionCommitted(
            new PgPosition(0x1_0000_0000L, 3), "pg-east", new Counts(1, 2, 3, 4, 5), 1_700_000_000_123_456L)),
        Arguments.of("v2", new SnapshotCompleted(new PgPosition(0x1_0000_0000L, 0), 1_000_000, 1_700_000_000_000_001L)),
        Arguments.of("v2", new SnapshotRestarted("replication slot recreated", 1_700_000_000_000_002L)),
        Arguments.of("v2", new SnapshotChunkCompleted(50_000L, 100_000L, new PgPosition(0x1_0000_0000L, 0), 50_000,
            1_700_000_000_000_003L)),
        Arguments.of("v2", new SourceIdentityRecorded("pg system_identifier=7312345678901234567 timeline=2",
            1_700_000_000_000_004L)),
        // v3: StrategySet added; the other events unchanged
        Arguments.of("v3", new PositionCommitted(
            new PgPosition(0x1_0000_0000L, 3), "pg-east", new Counts(1, 2, 3, 4, 5), 1_700_000_000_123_456L)),
        Arguments.of("v3", new SnapshotCompleted(new PgPosition(0x1_0000_0000L, 0), 1_000_000, 1_700_000_000_000_001L)),
        Arguments.of("v3", new SnapshotRestarted("replication slot recreated", 1_700_000_000_000_002L)),
        Arguments.of("v3", new SnapshotChunkCompleted(50_000L, 100_000L, new PgPosition(0x1_0000_0000L, 0), 50_000,
            1_700_000_000_000_003L)),
        Arguments.of("v3", new SourceIdentityRecorded("pg system_identifier=7312345678901234567 timeline=2",
            1_700_000_000_000_004L)),
        Arguments.of("v3", new StrategySet(TableStrategy.microBatch(java.time.Duration.ofMinutes(5)),
            "configuration: syncline.tables[1] (match = \"shop.public.customers\")", 1_700_000_000_000_005L)));
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("fixtures")
  void shouldStillReadEveryStoredPayload(String version, Event expected) throws IOException {
    byte[] stored = fixture(version, expected.getClass());

    Object read = json.fromBinary(stored, json.manifest(expected));

    assertThat(read).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("fixtures")
  void shouldWriteTheLatestFormat(String version, Event event) throws IOException {
    if (!version.equals(LATEST)) {
      return;
    }
    JsonNode written = plain.readTree(json.toBinary(event));

    assertThat(written)
        .as("format of %s changed: add new fixtures instead of editing %s", event.getClass().getSimpleName(), LATEST)
        .isEqualTo(plain.readTree(fixture(LATEST, event.getClass())));
  }

  @Test
  void shouldHaveALatestFixtureForEveryEventType() {
    Set<String> covered =
        fixtures()
            .filter(arguments -> arguments.get()[0].equals(LATEST))
            .map(arguments -> arguments.get()[1].getClass().getSimpleName())
            .collect(Collectors.toSet());
    List<String> all =
        Stream.of(Event.class.getPermittedSubclasses()).map(Class::getSimpleName).toList();

    assertThat(covered).containsExactlyInAnyOrderElementsOf(all);
  }

  @Test
  void shouldKeepTheClassNamesThatAreTheSerialisationManifests() {
    assertThat(fixtures().filter(arguments -> arguments.get()[0].equals(LATEST)).map(arguments -> json.manifest(arguments.get()[1])))
        .containsExactlyInAnyOrder(
            "io.syncline.actors.table.TableEntity$PositionCommitted",
            "io.syncline.actors.table.TableEntity$SnapshotCompleted",
            "io.syncline.actors.table.TableEntity$SnapshotRestarted",
            "io.syncline.actors.table.TableEntity$SnapshotChunkCompleted",
            "io.syncline.actors.table.TableEntity$SourceIdentityRecorded",
            "io.syncline.actors.table.TableEntity$StrategySet");
  }

  private static byte[] fixture(String version, Class<?> type) throws IOException {
    String path = "/fixtures/table-entity/" + version + "/" + type.getSimpleName() + ".json";
    try (InputStream in = TableEntityEventFormatTest.class.getResourceAsStream(path)) {
      assertThat(in).as("fixture %s", path).isNotNull();
      return in.readAllBytes();
    }
  }
}
