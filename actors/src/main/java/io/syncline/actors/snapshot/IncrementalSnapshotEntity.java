package io.syncline.actors.snapshot;

import io.syncline.persistence.CborSerializable;
import io.syncline.persistence.IncrementalSnapshotState;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The sharded, event-sourced record of one source's incremental snapshots
 * (docs/incremental-snapshots.md): the tables still to read, in order, and the key of the last
 * row delivered of the one being read. The source reader records a new state once the batch that
 * carried it was delivered, and hands the state to the source when capture (re)starts.
 *
 * <p>Entity id: the source name; persistence id {@code SynclineIncrementalSnapshot|<source>}. Its
 * own entity, beside the table entities: a state that spans tables (a queue) belongs to the source.
 */
public final class IncrementalSnapshotEntity extends EventSourcedBehaviorWithEnforcedReplies<
    IncrementalSnapshotEntity.Command, IncrementalSnapshotEntity.Event, IncrementalSnapshotState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class,
      "SynclineIncrementalSnapshot");

  /** Registers the entity type with cluster sharding on this node. */
  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, context -> create(context.getEntityId())).withStopMessage(new Stop()));
  }

  public static Behavior<Command> create(String sourceName) {
    return new IncrementalSnapshotEntity(sourceName);
  }

  private IncrementalSnapshotEntity(String sourceName) {
    super(PersistenceId.of(ENTITY_KEY.name(), sourceName));
  }

  /** Messages the entity accepts. */
  public sealed interface Command extends CborSerializable permits RecordProgress, GetState, Stop {}

  /** Records that everything up to {@code state} was delivered. */
  public record RecordProgress(IncrementalSnapshotState state, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Asks for the recorded state. */
  public record GetState(ActorRef<IncrementalSnapshotState> replyTo) implements Command {}

  /** Stops the entity (passivation, rebalance). */
  public record Stop() implements Command {}

  /**
   * Persisted events: never remove or rename one or its fields (the class name is the manifest).
   */
  public sealed interface Event extends CborSerializable permits ProgressRecorded {}

  /** The source's incremental snapshots reached {@code state}, delivered. */
  public record ProgressRecorded(IncrementalSnapshotState state, long atMicros) implements Event {}

  @Override
  public IncrementalSnapshotState emptyState() {
    return IncrementalSnapshotState.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2); // one event per chunk: keep recovery short
  }

  @Override
  public CommandHandlerWithReply<Command, Event, IncrementalSnapshotState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(RecordProgress.class, this::onRecordProgress)
        .onCommand(GetState.class, (state, c) -> Effect().reply(c.replyTo(), state))
        .onCommand(Stop.class, (state, c) -> Effect().stop().thenNoReply())
        .build();
  }

  private ReplyEffect<Event, IncrementalSnapshotState> onRecordProgress(IncrementalSnapshotState state,
      RecordProgress c) {
    if (c.state() == null) {
      return Effect().reply(c.replyTo(), StatusReply.error("state is missing"));
    }
    if (c.state().equals(state)) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect()
        .persist(new ProgressRecorded(c.state(), ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now())))
        .thenReply(c.replyTo(), s -> StatusReply.ack());
  }

  @Override
  public EventHandler<IncrementalSnapshotState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(ProgressRecorded.class, (state, e) -> e.state())
        .build();
  }
}
