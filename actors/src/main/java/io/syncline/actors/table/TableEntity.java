package io.syncline.actors.table;

import io.syncline.persistence.CborSerializable;
import io.syncline.persistence.SourcePosition;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
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
 * The sharded, event-sourced owner of one source table's replication progress: the last
 * committed {@link SourcePosition}, a version vector (logical source name → number of changes
 * from that source applied to this table), change counters, whether the initial snapshot
 * completed, and when the last commit happened.
 *
 * <p>Entity id: {@code <source>/<schema>.<table>} ({@code TableRef.entityId()}); persistence id
 * {@code SynclineTable|<entity id>}.
 *
 * <p>Positions only move forward: a {@link CommitPosition} at or before the committed position
 * (a redelivery after a restart) is acknowledged without persisting anything. The only way back is
 * an explicit {@link RestartSnapshot}, used when the replication slot had to be recreated, which
 * clears the position so that the new snapshot's positions are accepted.
 *
 * <p>Commands, events and state are serialised with Jackson CBOR; the Jackson manifest is the
 * class name, so the nested event records are part of the journal format (see {@link Event}).
 */
public final class TableEntity
    extends EventSourcedBehaviorWithEnforcedReplies<TableEntity.Command, TableEntity.Event, TableEntity.State> {

  /** Sharding type key; also the prefix of every table entity's persistence id. */
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "SynclineTable");

  private final String entityId;

  /** Registers the table entity type with cluster sharding on this node (passivated with {@link Stop}). */
  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, context -> create(context.getEntityId())).withStopMessage(new Stop()));
  }

  /** The behavior of the entity {@code entityId} ({@code <source>/<schema>.<table>}). */
  public static Behavior<Command> create(String entityId) {
    return new TableEntity(entityId);
  }

  private TableEntity(String entityId) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId));
    this.entityId = entityId;
  }

  // ---------------------------------------------------------------------------------------------
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TableEntity.class);

  // Protocol

  /** Messages the table entity accepts. */
  public sealed interface Command extends CborSerializable
      permits CommitPosition, CompleteSnapshot, CompleteSnapshotChunk, RestartSnapshot, RecordSourceIdentity, SetStrategy,
      GetState, Stop {}

  /**
   * Records that every change of this table up to {@code position} has been durably delivered.
   * Acknowledged once persisted, or at once when {@code position} is not after the committed one.
   *
   * @param sourceName logical source the changes came from (key of the version vector)
   * @param delta changes delivered since the previous commit of this source
   * @param atMicros commit time, microseconds since the epoch
   */
  public record CommitPosition(
      SourcePosition position, String sourceName, Counts delta, long atMicros, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * Records that the initial snapshot of this table completed; the committed position moves to at
   * least {@code position} (the snapshot's consistent point).
   *
   * @param rows rows the snapshot read
   * @param atMicros completion time, microseconds since the epoch
   */
  public record CompleteSnapshot(SourcePosition position, long rows, long atMicros, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * Records that every row of one chunk of the initial snapshot was delivered: a restart does not
   * read it again. Ignored once the snapshot completed, and when the chunk is already recorded.
   *
   * @param lo exclusive lower key bound (null: unbounded), @param hi inclusive upper key bound (null: unbounded)
   * @param view the position of the consistent view the chunk was read at
   */
  public record CompleteSnapshotChunk(Long lo, Long hi, SourcePosition view, long rows, long atMicros,
      ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Forgets the snapshot and the committed position because the table must be read again from
   * scratch (the replication slot had to be recreated). Counters and version vector are kept.
   */
  public record RestartSnapshot(String reason, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Records which history of the source the positions belong to ({@code identity}: e.g. a PostgreSQL
   * system identifier and timeline), so that a restart can tell the source's log went back or is
   * another server's (docs/positions-and-recovery.md). Nothing is persisted when it is already recorded.
   */
  public record RecordSourceIdentity(String identity, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Asks for the current {@link State}. */
  /**
   * Sets the table's sync strategy (docs/strategies.md), with why (configuration, later the strategy
   * supervisor). Nothing is persisted when it is already the table's strategy.
   */
  public record SetStrategy(io.syncline.streams.strategy.TableStrategy strategy, String reason,
      ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record GetState(ActorRef<State> replyTo) implements Command {}

  /** Stops the entity; sent by sharding on passivation and rebalance. */
  public record Stop() implements Command {}

  /**
   * Persisted events. The journal holds them forever: never remove or rename an event record or
   * one of its fields (the class name is the serialisation manifest), only add fields that old
   * payloads may lack. The JSON of each version is kept as a test fixture under
   * {@code src/test/resources/fixtures/table-entity/}.
   */
  public sealed interface Event extends CborSerializable
      permits PositionCommitted, SnapshotCompleted, SnapshotRestarted, SnapshotChunkCompleted, SourceIdentityRecorded,
      StrategySet {}

  /** Changes up to {@code position} were delivered; {@code delta} counts them per operation. */
  public record PositionCommitted(SourcePosition position, String sourceName, Counts delta, long atMicros)
      implements Event {}

  /** The initial snapshot completed at {@code position} after reading {@code rows} rows. */
  public record SnapshotCompleted(SourcePosition position, long rows, long atMicros) implements Event {}

  /** The snapshot must be taken again; the committed position was cleared. */
  public record SnapshotRestarted(String reason, long atMicros) implements Event {}

  /**
   * Every row of the snapshot chunk {@code (lo, hi]} (key bounds, null: unbounded), read at the
   * consistent view {@code view}, was delivered ({@code rows} rows).
   */
  public record SnapshotChunkCompleted(Long lo, Long hi, SourcePosition view, long rows, long atMicros)
      implements Event {}

  /** The positions from here on belong to the source history {@code identity}. */
  public record SourceIdentityRecorded(String identity, long atMicros) implements Event {}

  /** The table's sync strategy became {@code strategy}, because of {@code reason}. */
  public record StrategySet(io.syncline.streams.strategy.TableStrategy strategy, String reason, long atMicros)
      implements Event {}

  /** A recorded chunk of an unfinished initial snapshot (see {@link SnapshotChunkCompleted}). */
  public record Chunk(Long lo, Long hi, SourcePosition view, long rows) implements CborSerializable {}

  /**
   * Numbers of changes per operation. Persisted inside {@link PositionCommitted}: fields are never
   * removed or renamed.
   *
   * @param reads rows read by a snapshot (Debezium op {@code r})
   */
  public record Counts(long inserts, long updates, long deletes, long reads, long truncates) {

    /** No changes. */
    public static final Counts ZERO = new Counts(0, 0, 0, 0, 0);

    /** Rejects negative counts. */
    public Counts {
      if (inserts < 0 || updates < 0 || deletes < 0 || reads < 0 || truncates < 0) {
        throw new IllegalArgumentException("counts must not be negative: " + inserts + "/" + updates + "/"
            + deletes + "/" + reads + "/" + truncates);
      }
    }

    /** Field-wise sum. */
    public Counts plus(Counts other) {
      return new Counts(
          inserts + other.inserts,
          updates + other.updates,
          deletes + other.deletes,
          reads + other.reads,
          truncates + other.truncates);
    }

    /** All changes together. */
    public long total() {
      return inserts + updates + deletes + reads + truncates;
    }
  }

  /**
   * The table's progress. Immutable: applying an event returns a new state. Sent across nodes as
   * the reply to {@link GetState} and stored in snapshots.
   *
   * @param committed last committed position, {@code null} when none yet (or after a snapshot restart)
   * @param versionVector logical source name → changes from that source applied to this table (sorted by name)
   * @param counters changes applied per operation since the table was first seen
   * @param lastCommitMicros time of the last {@link PositionCommitted}, microseconds since the epoch; 0 when none
   * @param snapshotChunks chunks of the unfinished initial snapshot already delivered (empty once it completed)
   * @param sourceIdentity the source history the positions belong to (null: not recorded, e.g. written before it was)
   * @param strategy the table's sync strategy (null in states stored before strategies existed: streaming)
   */
  public record State(
      String entityId,
      SourcePosition committed,
      Map<String, Long> versionVector,
      Counts counters,
      boolean snapshotCompleted,
      long lastCommitMicros,
      java.util.List<Chunk> snapshotChunks,
      String sourceIdentity,
      io.syncline.streams.strategy.TableStrategy strategy)
      implements CborSerializable {

    /** Copies the version vector into an unmodifiable sorted map. */
    public State {
      Objects.requireNonNull(entityId, "entityId");
      versionVector = Collections.unmodifiableMap(new TreeMap<>(versionVector == null ? Map.of() : versionVector));
      counters = counters == null ? Counts.ZERO : counters;
      snapshotChunks = snapshotChunks == null ? java.util.List.of() : java.util.List.copyOf(snapshotChunks);
      strategy = strategy == null ? io.syncline.streams.strategy.TableStrategy.STREAMING : strategy;
    }

    /** A state without a strategy of its own (streaming). */
    public State(String entityId, SourcePosition committed, Map<String, Long> versionVector, Counts counters,
        boolean snapshotCompleted, long lastCommitMicros, java.util.List<Chunk> snapshotChunks, String sourceIdentity) {
      this(entityId, committed, versionVector, counters, snapshotCompleted, lastCommitMicros, snapshotChunks,
          sourceIdentity, null);
    }

    /** A state without recorded snapshot chunks nor source identity. */
    public State(String entityId, SourcePosition committed, Map<String, Long> versionVector, Counts counters,
        boolean snapshotCompleted, long lastCommitMicros) {
      this(entityId, committed, versionVector, counters, snapshotCompleted, lastCommitMicros, java.util.List.of(), null);
    }

    /** The state of a table nothing is known about yet. */
    public static State empty(String entityId) {
      return new State(entityId, null, Map.of(), Counts.ZERO, false, 0L);
    }

    /** True when {@code position} is after the committed position (always, when none is committed). */
    public boolean accepts(SourcePosition position) {
      return committed == null || position.isAfter(committed);
    }

    State apply(PositionCommitted event) {
      Map<String, Long> vector = new TreeMap<>(versionVector);
      vector.merge(event.sourceName(), event.delta().total(), Long::sum);
      return new State(entityId, event.position(), vector, counters.plus(event.delta()), snapshotCompleted,
          event.atMicros(), snapshotChunks, sourceIdentity, strategy);
    }

    State apply(SnapshotCompleted event) {
      SourcePosition position = accepts(event.position()) ? event.position() : committed;
      // the snapshot's rows are counted here, once: snapshot batches carry no position to commit
      Counts read = new Counts(0, 0, 0, event.rows(), 0);
      return new State(entityId, position, versionVector, counters.plus(read), true, lastCommitMicros,
          java.util.List.of(), sourceIdentity, strategy);
    }

    State apply(SnapshotRestarted event) {
      return new State(entityId, null, versionVector, counters, false, lastCommitMicros, java.util.List.of(),
          sourceIdentity, strategy);
    }

    State apply(SourceIdentityRecorded event) {
      return new State(entityId, committed, versionVector, counters, snapshotCompleted, lastCommitMicros,
          snapshotChunks, event.identity(), strategy);
    }

    State apply(SnapshotChunkCompleted event) {
      java.util.List<Chunk> chunks = new java.util.ArrayList<>(snapshotChunks);
      chunks.add(new Chunk(event.lo(), event.hi(), event.view(), event.rows()));
      return new State(entityId, committed, versionVector, counters, snapshotCompleted, lastCommitMicros, chunks,
          sourceIdentity, strategy);
    }

    State apply(StrategySet event) {
      return new State(entityId, committed, versionVector, counters, snapshotCompleted, lastCommitMicros, snapshotChunks,
          sourceIdentity, event.strategy());
    }

    /** True when the chunk {@code (lo, hi]} is recorded. */
    boolean hasChunk(Long lo, Long hi) {
      return snapshotChunks.stream().anyMatch(c -> Objects.equals(c.lo(), lo) && Objects.equals(c.hi(), hi));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Behavior

  @Override
  public State emptyState() {
    return State.empty(entityId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(CommitPosition.class, this::onCommitPosition)
        .onCommand(CompleteSnapshot.class, this::onCompleteSnapshot)
        .onCommand(CompleteSnapshotChunk.class, this::onCompleteSnapshotChunk)
        .onCommand(RestartSnapshot.class, this::onRestartSnapshot)
        .onCommand(RecordSourceIdentity.class, this::onRecordSourceIdentity)
        .onCommand(SetStrategy.class, this::onSetStrategy)
        .onCommand(GetState.class, (state, command) -> Effect().reply(command.replyTo(), state))
        .onCommand(Stop.class, (state, command) -> Effect().stop().thenNoReply())
        .build();
  }

  private ReplyEffect<Event, State> onCommitPosition(State state, CommitPosition command) {
    String invalid = invalidPosition(state, command.position());
    if (invalid == null && (command.sourceName() == null || command.sourceName().isBlank())) {
      invalid = "sourceName is missing";
    }
    if (invalid == null && command.delta() == null) {
      invalid = "delta is missing";
    }
    if (invalid != null) {
      return Effect().reply(command.replyTo(), StatusReply.error(invalid));
    }
    if (!state.accepts(command.position())) {
      // already committed (redelivered after a restart): acknowledge, never move backwards
      return Effect().reply(command.replyTo(), StatusReply.ack());
    }
    return Effect()
        .persist(new PositionCommitted(command.position(), command.sourceName(), command.delta(), command.atMicros()))
        .thenReply(command.replyTo(), updated -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onCompleteSnapshot(State state, CompleteSnapshot command) {
    String invalid = invalidPosition(state, command.position());
    if (invalid == null && command.rows() < 0) {
      invalid = "rows must not be negative: " + command.rows();
    }
    if (invalid != null) {
      return Effect().reply(command.replyTo(), StatusReply.error(invalid));
    }
    if (state.snapshotCompleted() && !state.accepts(command.position())) {
      // the same completion redelivered: nothing changes
      return Effect().reply(command.replyTo(), StatusReply.ack());
    }
    return Effect()
        .persist(new SnapshotCompleted(command.position(), command.rows(), command.atMicros()))
        .thenReply(command.replyTo(), updated -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onCompleteSnapshotChunk(State state, CompleteSnapshotChunk command) {
    String invalid = command.view() == null ? "view is missing"
        : command.rows() < 0 ? "rows must not be negative: " + command.rows()
        : command.lo() != null && command.hi() != null && command.lo() >= command.hi()
            ? "empty key range (" + command.lo() + ", " + command.hi() + "]" : null;
    if (invalid != null) {
      return Effect().reply(command.replyTo(), StatusReply.error(invalid));
    }
    if (state.snapshotCompleted() || state.hasChunk(command.lo(), command.hi())) {
      return Effect().reply(command.replyTo(), StatusReply.ack()); // late or redelivered: nothing to record
    }
    return Effect()
        .persist(new SnapshotChunkCompleted(command.lo(), command.hi(), command.view(), command.rows(), command.atMicros()))
        .thenReply(command.replyTo(), updated -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onRestartSnapshot(State state, RestartSnapshot command) {
    String reason = command.reason() == null ? "" : command.reason();
    return Effect()
        .persist(new SnapshotRestarted(reason, nowMicros()))
        .thenReply(command.replyTo(), updated -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onSetStrategy(State state, SetStrategy command) {
    if (command.strategy() == null) {
      return Effect().reply(command.replyTo(), StatusReply.error("strategy is missing"));
    }
    if (command.strategy().equals(state.strategy())) {
      return Effect().reply(command.replyTo(), StatusReply.ack());
    }
    return Effect()
        .persist(new StrategySet(command.strategy(), command.reason(), nowMicros()))
        .thenRun(s -> LOG.info("table {}: strategy {} (was {}): {}", entityId, command.strategy(), state.strategy(),
            command.reason()))
        .thenReply(command.replyTo(), s -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onRecordSourceIdentity(State state, RecordSourceIdentity command) {
    if (command.identity() == null || command.identity().isBlank()) {
      return Effect().reply(command.replyTo(), StatusReply.error("identity is missing"));
    }
    if (command.identity().equals(state.sourceIdentity())) {
      return Effect().reply(command.replyTo(), StatusReply.ack());
    }
    return Effect()
        .persist(new SourceIdentityRecorded(command.identity(), nowMicros()))
        .thenReply(command.replyTo(), updated -> StatusReply.ack());
  }

  /** Why {@code position} cannot be compared with the committed one, or {@code null} when it can. */
  private static String invalidPosition(State state, SourcePosition position) {
    if (position == null) {
      return "position is missing";
    }
    if (state.committed() != null && state.committed().getClass() != position.getClass()) {
      return "position " + position.display() + " is of another source kind than the committed "
          + state.committed().display();
    }
    return null;
  }

  private static long nowMicros() {
    return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(PositionCommitted.class, State::apply)
        .onEvent(SnapshotCompleted.class, State::apply)
        .onEvent(SnapshotRestarted.class, State::apply)
        .onEvent(SnapshotChunkCompleted.class, State::apply)
        .onEvent(SourceIdentityRecorded.class, State::apply)
        .onEvent(StrategySet.class, State::apply)
        .build();
  }
}
