package io.syncline.actors.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.syncline.actors.snapshot.IncrementalSnapshotEntity.Event;
import io.syncline.actors.snapshot.IncrementalSnapshotEntity.ProgressRecorded;
import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.IncrementalSnapshotState.TableJob;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link IncrementalSnapshotEntity} on the in-memory persistence testkit, with serialisation checks on. */
class IncrementalSnapshotEntityTest {

  private static final ActorTestKit testKit = ActorTestKit.create("IncrementalSnapshotEntityTest",
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));

  private EventSourcedBehaviorTestKit<IncrementalSnapshotEntity.Command, Event, IncrementalSnapshotState> entity;

  @BeforeEach
  void setUp() {
    entity = EventSourcedBehaviorTestKit.create(testKit.system(), IncrementalSnapshotEntity.create("pg-east"),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    entity.clear();
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  private CommandResultWithReply<IncrementalSnapshotEntity.Command, Event, IncrementalSnapshotState, StatusReply<Done>>
      record(IncrementalSnapshotState state) {
    return entity.runCommand(reply -> new IncrementalSnapshotEntity.RecordProgress(state, reply));
  }

  @Test
  void shouldRecordProgressAndKeepItAcrossARestart() {
    IncrementalSnapshotState queued = IncrementalSnapshotState.EMPTY.enqueue(List.of(
        new TableJob("sig", "public.a", List.of("10"), null, null, 0), new TableJob("sig", "public.b", null, null, null, 0)));
    IncrementalSnapshotState advanced = queued.withCurrent(queued.current().advanced(List.of("1024"), 1015));
    assertThat(record(queued).reply().isSuccess()).isTrue();
    var second = record(advanced);
    assertThat(second.event()).isInstanceOfSatisfying(ProgressRecorded.class, e -> assertThat(e.state()).isEqualTo(advanced));
    assertThat(record(advanced).hasNoEvents()).as("the same state again persists nothing").isTrue();

    entity.restart();
    IncrementalSnapshotState recovered = entity.getState();
    assertThat(recovered).isEqualTo(advanced);
    assertThat(recovered.current().lastKey()).containsExactly("1024");
    assertThat(recovered.current().from()).containsExactly("10");
  }

  @Test
  void shouldStartEmpty() {
    assertThat(entity.getState().isEmpty()).isTrue();
  }
}
