package io.syncline.actors.table;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.syncline.actors.table.TableEntity.CommitPosition;
import io.syncline.actors.table.TableEntity.CompleteSnapshot;
import io.syncline.actors.table.TableEntity.Counts;
import io.syncline.actors.table.TableEntity.Event;
import io.syncline.actors.table.TableEntity.GetState;
import io.syncline.actors.table.TableEntity.PositionCommitted;
import io.syncline.actors.table.TableEntity.CompleteSnapshotChunk;
import io.syncline.actors.table.TableEntity.RestartSnapshot;
import io.syncline.actors.table.TableEntity.SnapshotChunkCompleted;
import io.syncline.actors.table.TableEntity.SnapshotCompleted;
import io.syncline.actors.table.TableEntity.SnapshotRestarted;
import io.syncline.actors.table.TableEntity.State;
import io.syncline.persistence.PgPosition;
import io.syncline.persistence.SourcePosition;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import io.syncline.streams.strategy.TableStrategy;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Behaviour of {@link TableEntity} on the in-memory persistence testkit, with serialisation checks on. */
class TableEntityTest {

  private static final String ID = "inventory/public.orders";

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "TableEntityTest",
          EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));

  private EventSourcedBehaviorTestKit<TableEntity.Command, Event, State> entity;

  @BeforeEach
  void setUp() {
    entity =
        EventSourcedBehaviorTestKit.create(
            testKit.system(),
            TableEntity.create(ID),
            EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    entity.clear();
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void shouldMoveThePositionAndAddToCountersAndVersionVectorOnCommit() {
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> first =
        commit(pos(0x100, 2), "pg-east", new Counts(1, 1, 0, 0, 0), 1_000);
    assertThat(first.reply().isSuccess()).isTrue();
    assertThat(first.event())
        .isEqualTo(new PositionCommitted(pos(0x100, 2), "pg-east", new Counts(1, 1, 0, 0, 0), 1_000));

    commit(pos(0x100, PgPosition.COMPLETE), "pg-east", new Counts(0, 0, 1, 0, 0), 2_000);
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> third =
        commit(pos(0x200, 1), "pg-west", new Counts(3, 0, 0, 0, 1), 3_000);

    State state = third.state();
    assertThat(state.committed()).isEqualTo(pos(0x200, 1));
    assertThat(state.counters()).isEqualTo(new Counts(4, 1, 1, 0, 1));
    assertThat(state.versionVector()).isEqualTo(Map.of("pg-east", 3L, "pg-west", 4L));
    assertThat(state.lastCommitMicros()).isEqualTo(3_000);
    assertThat(state.snapshotCompleted()).isFalse();
  }

  @Test
  void shouldRecordTheSourceIdentityOnceAndKeepItThroughARestartOfTheSnapshot() {
    commit(pos(0x100, 2), "pg-east", new Counts(1, 0, 0, 0, 0), 1_000);
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> first =
        entity.runCommand(reply -> new TableEntity.RecordSourceIdentity("pg system_identifier=1 timeline=1", reply));
    assertThat(first.reply().isSuccess()).isTrue();
    assertThat(first.eventOfType(TableEntity.SourceIdentityRecorded.class).identity())
        .isEqualTo("pg system_identifier=1 timeline=1");
    assertThat(first.state().committed()).as("the position stays").isEqualTo(pos(0x100, 2));

    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> again =
        entity.runCommand(reply -> new TableEntity.RecordSourceIdentity("pg system_identifier=1 timeline=1", reply));
    assertThat(again.hasNoEvents()).as("the same identity again persists nothing").isTrue();

    entity.<StatusReply<Done>>runCommand(reply -> new RestartSnapshot("slot gone", reply));
    entity.restart();
    State state = entity.runCommand(GetState::new).reply();
    assertThat(state.committed()).isNull();
    assertThat(state.sourceIdentity()).isEqualTo("pg system_identifier=1 timeline=1");
  }

  @Test
  void shouldStreamUntilAStrategyIsSetThenKeepItThroughRestartsAndPersistOnlyChanges() {
    assertThat(entity.runCommand(GetState::new).reply().strategy()).isEqualTo(TableStrategy.STREAMING);
    commit(pos(0x100, 2), "pg-east", new Counts(1, 0, 0, 0, 0), 1_000);
    TableStrategy microBatch = TableStrategy.microBatch(java.time.Duration.ofSeconds(10));
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> set =
        entity.runCommand(reply -> new TableEntity.SetStrategy(microBatch, "configuration", reply));
    assertThat(set.reply().isSuccess()).isTrue();
    assertThat(set.eventOfType(TableEntity.StrategySet.class).strategy()).isEqualTo(microBatch);
    assertThat(set.state().committed()).as("the position stays").isEqualTo(pos(0x100, 2));

    assertThat(entity.<StatusReply<Done>>runCommand(reply -> new TableEntity.SetStrategy(microBatch, "again", reply))
        .hasNoEvents()).as("the same strategy again persists nothing").isTrue();

    entity.<StatusReply<Done>>runCommand(reply -> new RestartSnapshot("slot gone", reply));
    State recovered = entity.restart().state();
    assertThat(recovered.strategy()).isEqualTo(microBatch);

    TableStrategy batch = TableStrategy.batch("0 * * * *");
    assertThat(entity.<StatusReply<Done>>runCommand(reply -> new TableEntity.SetStrategy(batch, "configuration", reply))
        .state().strategy()).isEqualTo(batch);
  }

  @Test
  void shouldAcknowledgeAnEqualOrOlderPositionWithoutPersistingOrMovingBack() {
    commit(pos(0x500, 5), "pg-east", new Counts(5, 0, 0, 0, 0), 1_000);
    State before = state();

    for (SourcePosition stale : new SourcePosition[] {pos(0x500, 5), pos(0x500, 4), pos(0x4FF, PgPosition.COMPLETE)}) {
      CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> result =
          commit(stale, "pg-east", new Counts(5, 0, 0, 0, 0), 9_000);
      assertThat(result.reply().isSuccess()).as("duplicate %s is acknowledged", stale.display()).isTrue();
      assertThat(result.hasNoEvents()).as("duplicate %s persists nothing", stale.display()).isTrue();
      assertThat(result.state()).isEqualTo(before);
    }
  }

  @Test
  void shouldRejectACommitWithoutPositionOrSourceWithoutPersisting() {
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> noPosition =
        commit(null, "pg-east", Counts.ZERO, 1);
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> noSource =
        commit(pos(1, 1), " ", Counts.ZERO, 1);

    assertThat(noPosition.reply().isError()).isTrue();
    assertThat(noPosition.hasNoEvents()).isTrue();
    assertThat(noSource.reply().isError()).isTrue();
    assertThat(noSource.hasNoEvents()).isTrue();
    assertThat(state()).isEqualTo(State.empty(ID));
  }

  @Test
  void shouldCompleteTheSnapshotAndMoveThePositionToAtLeastTheConsistentPoint() {
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> completed =
        entity.runCommand(replyTo -> new CompleteSnapshot(pos(0x300, 0), 42, 5_000, replyTo));

    assertThat(completed.reply().isSuccess()).isTrue();
    assertThat(completed.event()).isEqualTo(new SnapshotCompleted(pos(0x300, 0), 42, 5_000));
    assertThat(completed.state().snapshotCompleted()).isTrue();
    assertThat(completed.state().committed()).isEqualTo(pos(0x300, 0));
    assertThat(completed.state().counters()).as("snapshot rows count as reads").isEqualTo(new Counts(0, 0, 0, 42, 0));

    commit(pos(0x400, 1), "pg-east", new Counts(1, 0, 0, 0, 0), 6_000);
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> redelivered =
        entity.runCommand(replyTo -> new CompleteSnapshot(pos(0x300, 0), 42, 7_000, replyTo));
    assertThat(redelivered.reply().isSuccess()).isTrue();
    assertThat(redelivered.hasNoEvents()).isTrue();
    assertThat(redelivered.state().committed()).isEqualTo(pos(0x400, 1));
  }

  @Test
  void shouldRecordSnapshotChunksOnceAndForgetThemWhenTheSnapshotCompletes() {
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> first =
        entity.<StatusReply<Done>>runCommand(replyTo -> new CompleteSnapshotChunk(null, 100L, pos(0x300, 0), 100, 1_000,
            replyTo));
    assertThat(first.reply().isSuccess()).isTrue();
    assertThat(first.event()).isEqualTo(new SnapshotChunkCompleted(null, 100L, pos(0x300, 0), 100, 1_000));
    entity.<StatusReply<Done>>runCommand(replyTo -> new CompleteSnapshotChunk(100L, null, pos(0x500, 0), 7, 2_000,
        replyTo));

    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> again =
        entity.<StatusReply<Done>>runCommand(replyTo -> new CompleteSnapshotChunk(null, 100L, pos(0x300, 0), 100, 3_000,
            replyTo));
    assertThat(again.reply().isSuccess()).isTrue();
    assertThat(again.hasNoEvents()).as("a redelivered chunk mark").isTrue();
    assertThat(again.state().snapshotChunks()).containsExactly(
        new TableEntity.Chunk(null, 100L, pos(0x300, 0), 100), new TableEntity.Chunk(100L, null, pos(0x500, 0), 7));
    assertThat(again.state().committed()).as("chunks move no position").isNull();

    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> empty =
        entity.<StatusReply<Done>>runCommand(replyTo -> new CompleteSnapshotChunk(5L, 5L, pos(0x300, 0), 0, 3_000,
            replyTo));
    assertThat(empty.reply().isError()).isTrue();

    completeSnapshot(pos(0x300, 0), 107, 4_000);
    assertThat(state().snapshotChunks()).isEmpty();
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> late =
        entity.<StatusReply<Done>>runCommand(replyTo -> new CompleteSnapshotChunk(200L, 300L, pos(0x500, 0), 1, 5_000,
            replyTo));
    assertThat(late.hasNoEvents()).as("a chunk after completion").isTrue();
  }

  @Test
  void shouldNotMoveThePositionBackWhenTheSnapshotCompletesBehindIt() {
    commit(pos(0x900, 1), "pg-east", new Counts(0, 0, 0, 7, 0), 1_000);

    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> completed =
        entity.runCommand(replyTo -> new CompleteSnapshot(pos(0x800, 0), 7, 2_000, replyTo));

    assertThat(completed.state().snapshotCompleted()).isTrue();
    assertThat(completed.state().committed()).isEqualTo(pos(0x900, 1));
  }

  @Test
  void shouldClearSnapshotAndPositionOnRestartSoThatTheNewSnapshotIsAccepted() {
    completeSnapshot(pos(0x300, 0), 10, 1_000);
    commit(pos(0x700, 3), "pg-east", new Counts(2, 0, 0, 0, 0), 2_000);

    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> restarted =
        entity.runCommand(replyTo -> new RestartSnapshot("slot recreated", replyTo));

    assertThat(restarted.reply().isSuccess()).isTrue();
    assertThat(restarted.eventOfType(SnapshotRestarted.class).reason()).isEqualTo("slot recreated");
    assertThat(restarted.state().committed()).isNull();
    assertThat(restarted.state().snapshotCompleted()).isFalse();
    assertThat(restarted.state().counters()).isEqualTo(new Counts(2, 0, 0, 10, 0));

    // the recreated slot starts at a lower LSN: accepted
    CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> afterRestart =
        commit(pos(0x10, 1), "pg-east", new Counts(0, 0, 0, 1, 0), 3_000);
    assertThat(afterRestart.events()).hasSize(1);
    assertThat(afterRestart.state().committed()).isEqualTo(pos(0x10, 1));
    assertThat(afterRestart.state().versionVector()).isEqualTo(Map.of("pg-east", 3L));
  }

  @Test
  void shouldRecoverTheSameStateAfterRestart() {
    commit(pos(0x100, 1), "pg-east", new Counts(1, 0, 0, 0, 0), 1_000);
    completeSnapshot(pos(0x150, 0), 3, 1_500);
    commit(pos(0x200, PgPosition.COMPLETE), "pg-west", new Counts(0, 2, 1, 0, 0), 2_000);
    State before = state();

    State recovered = entity.restart().state();

    assertThat(recovered).isEqualTo(before);
    assertThat(recovered.committed()).isEqualTo(pos(0x200, PgPosition.COMPLETE));
    assertThat(recovered.snapshotCompleted()).isTrue();
    // and it still refuses to go back after recovery
    assertThat(commit(pos(0x100, 1), "pg-east", new Counts(1, 0, 0, 0, 0), 3_000).hasNoEvents()).isTrue();
  }

  @Test
  void shouldSnapshotEveryHundredEventsAndRecoverFromTheSnapshot() {
    for (int i = 1; i <= 250; i++) {
      commit(pos(i, PgPosition.COMPLETE), "pg-east", new Counts(1, 0, 0, 0, 0), i);
    }
    State before = state();
    List<Long> snapshotSeqNrs =
        entity.snapshotTestKit().orElseThrow().persistedInStorage("SynclineTable|" + ID).stream()
            .map(snapshot -> snapshot.first().sequenceNr())
            .toList();
    assertThat(snapshotSeqNrs).containsExactly(100L, 200L);

    State recovered = entity.restart().state();

    assertThat(recovered).isEqualTo(before);
    assertThat(recovered.counters().inserts()).isEqualTo(250);
    assertThat(recovered.versionVector()).isEqualTo(Map.of("pg-east", 250L));
  }

  @Test
  void shouldSumCountsFieldWise() {
    Counts sum = new Counts(1, 2, 3, 4, 5).plus(new Counts(10, 20, 30, 40, 50));
    assertThat(sum).isEqualTo(new Counts(11, 22, 33, 44, 55));
    assertThat(sum.total()).isEqualTo(165);
    assertThat(Counts.ZERO.total()).isZero();
  }

  private CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> commit(
      SourcePosition position, String source, Counts delta, long atMicros) {
    return entity.runCommand(replyTo -> new CommitPosition(position, source, delta, atMicros, replyTo));
  }

  private CommandResultWithReply<TableEntity.Command, Event, State, StatusReply<Done>> completeSnapshot(
      SourcePosition position, long rows, long atMicros) {
    return entity.runCommand(replyTo -> new CompleteSnapshot(position, rows, atMicros, replyTo));
  }

  private State state() {
    return entity.<State>runCommand(GetState::new).reply();
  }

  private static PgPosition pos(long lsn, long index) {
    return new PgPosition(lsn, index);
  }
}
