package io.syncline.actors.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.syncline.actors.snapshot.IncrementalSnapshotEntity.ProgressRecorded;
import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.IncrementalSnapshotState.TableJob;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.jackson.JacksonJsonSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The persisted format of {@link IncrementalSnapshotEntity}'s event only grows: the JSON of each
 * version is kept under {@code fixtures/incremental-snapshot/v<N>/} (the same Jackson mapping as the
 * journal's CBOR) and must keep reading as the event it was written from. Never edit an older file.
 */
class IncrementalSnapshotEventFormatTest {

  private static final ActorTestKit testKit = ActorTestKit.create("IncrementalSnapshotEventFormatTest",
      ConfigFactory.load());
  private static final JacksonJsonSerializer json =
      new JacksonJsonSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()), "jackson-json");

  static final ProgressRecorded V1 = new ProgressRecorded(new IncrementalSnapshotState(List.of(
      new TableJob("7f1c", "public.orders", List.of("1000"), List.of("1999"), List.of("1511"), 512),
      new TableJob("7f1c", "public.customers", null, null, null, 0)), List.of("0a2b")), 1_700_000_000_000_003L);

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void shouldStillReadTheStoredV1Payload() throws IOException {
    byte[] stored;
    try (InputStream in = getClass().getResourceAsStream("/fixtures/incremental-snapshot/v1/ProgressRecorded.json")) {
      assertThat(in).as("fixture").isNotNull();
      stored = in.readAllBytes();
    }
    assertThat(json.fromBinary(stored, json.manifest(V1))).isEqualTo(V1);
  }

  @Test
  void shouldWriteTheLatestFormat() throws IOException {
    ObjectMapper plain = new ObjectMapper();
    try (InputStream in = getClass().getResourceAsStream("/fixtures/incremental-snapshot/v1/ProgressRecorded.json")) {
      assertThat(plain.readTree(json.toBinary(V1))).isEqualTo(plain.readTree(in));
    }
  }
}
