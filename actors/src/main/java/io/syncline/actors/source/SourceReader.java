package io.syncline.actors.source;

import io.syncline.actors.snapshot.IncrementalSnapshotEntity;
import io.syncline.actors.table.TableEntity;
import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.CborSerializable;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.capture.DeliveryPipeline;
import io.syncline.streams.capture.Failures;
import io.syncline.streams.capture.OpCounts;
import io.syncline.streams.capture.PositionCheck;
import io.syncline.streams.capture.Progress;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.strategy.TableStrategies;
import io.syncline.streams.strategy.TableStrategy;
import io.syncline.streams.snapshot.KeyRange;
import io.syncline.streams.snapshot.SnapshotChunk;
import io.syncline.streams.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;

/**
 * Runs one source database: prepares it (checks, publication), asks every table entity what it
 * recorded, then runs the capture graph
 * {@code reader → DeliveryPipeline → record progress in table entities → acknowledge source}.
 * The source is acknowledged only after the transport delivered and the entities persisted, so
 * nothing is released before the sink has it. On any failure it restarts from what the entities
 * recorded, with exponential backoff. One per source in the cluster (sharded daemon process).
 */
public final class SourceReader {

  /** Messages of the reader. Local only (the daemon process sends Stop): not serialised. */
  public sealed interface Command {}

  /** Stop capturing and stop the actor. */
  public enum Stop implements Command, CborSerializable { INSTANCE }

  private record Prepared(List<TableRef> tables) implements Command {}

  private record Loaded(Map<TableRef, TableStart> recorded, IncrementalSnapshotState incremental) implements Command {}

  private record Checked(Loaded loaded, PositionCheck check) implements Command {}

  private record Ready(Loaded loaded) implements Command {}

  private record Failed(String phase, Throwable cause) implements Command {}

  private record StreamEnded(Throwable failure) implements Command {}

  private enum Retry implements Command { INSTANCE }

  private enum StopTimedOut implements Command { INSTANCE }

  /**
   * Tunables of the reader.
   *
   * @param idleTableCommit how long a table may go without a change before the source's last delivered
   *     boundary is committed for it too: a restart then starts from there rather than from the table's
   *     last change, which an idle table may have made long ago (a MySQL binlog since purged)
   * @param stopTimeout on stop, how long in-flight batches may take to be delivered and recorded before
   *     they are abandoned (they come again after the restart: at-least-once)
   */
  public record Settings(Duration askTimeout, Duration minBackoff, Duration maxBackoff, int maxProgressMerge,
      Duration idleTableCommit, Duration stopTimeout, TableStrategies strategies) {
    public static final Settings DEFAULT = new Settings(Duration.ofSeconds(30), Duration.ofSeconds(1),
        Duration.ofSeconds(30), 64, Duration.ofSeconds(30), Duration.ofSeconds(10), TableStrategies.NONE);

    public Settings {
      strategies = strategies == null ? TableStrategies.NONE : strategies;
    }

    public Settings(Duration askTimeout, Duration minBackoff, Duration maxBackoff, int maxProgressMerge,
        Duration idleTableCommit, Duration stopTimeout) {
      this(askTimeout, minBackoff, maxBackoff, maxProgressMerge, idleTableCommit, stopTimeout, TableStrategies.NONE);
    }

    public Settings(Duration askTimeout, Duration minBackoff, Duration maxBackoff, int maxProgressMerge,
        Duration idleTableCommit) {
      this(askTimeout, minBackoff, maxBackoff, maxProgressMerge, idleTableCommit, DEFAULT.stopTimeout());
    }
  }

  /**
   * Published on the system's event stream when a source stops for good: its failure is not worth
   * retrying (configuration, permission, a record no sink takes); {@code message} names the fix.
   */
  public record SourceStopped(String source, String message) {}

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final CaptureSource source;
  private final Transport transport;
  private final CaptureMetrics metrics;
  private final Settings settings;
  private final ClusterSharding sharding;
  private final Executor blocking;
  private final Logger log;
  private int failures;
  private long runningSinceNanos;
  private boolean resnapshotted; // this actor already reset the positions once: a second invalid check fails

  private SourceReader(ActorContext<Command> ctx, TimerScheduler<Command> timers, CaptureSource source,
      Transport transport, CaptureMetrics metrics, Settings settings) {
    this.ctx = ctx;
    this.timers = timers;
    this.source = source;
    this.transport = transport;
    this.metrics = metrics;
    this.settings = settings;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    this.log = ctx.getLog();
  }

  public static Behavior<Command> create(CaptureSource source, Transport transport, CaptureMetrics metrics,
      Settings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      SourceReader r = new SourceReader(ctx, timers, source, transport, metrics, settings);
      return r.prepare();
    }));
  }

  // ------------------------------------------------------------------ preparing

  private Behavior<Command> prepare() {
    ctx.pipeToSelf(CompletableFuture.supplyAsync(source::prepare, blocking), (tables, err) ->
        err != null ? new Failed("prepare", unwrap(err)) : new Prepared(tables));
    return Behaviors.receive(Command.class)
        .onMessage(Prepared.class, this::onPrepared)
        .onMessage(Failed.class, this::onFailed)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  private Behavior<Command> onPrepared(Prepared p) {
    log.info("source '{}': prepared {} tables; loading their recorded positions", source.name(), p.tables().size());
    List<CompletableFuture<Pair<TableRef, TableEntity.State>>> asks = new ArrayList<>();
    for (TableRef t : p.tables()) {
      CompletionStage<TableEntity.State> state = sharding.entityRefFor(TableEntity.ENTITY_KEY, t.entityId())
          .ask(TableEntity.GetState::new, settings.askTimeout());
      asks.add(state.thenApply(s -> Pair.create(t, s)).toCompletableFuture());
    }
    // destinations first (e.g. Kafka topics), then what every table recorded
    CompletableFuture<Map<TableRef, TableStart>> all = transport.prepare(p.tables()).toCompletableFuture()
        .thenCompose(ready -> CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)))
        .thenApply(v -> {
          Map<TableRef, TableStart> recorded = new HashMap<>();
          for (var f : asks) {
            Pair<TableRef, TableEntity.State> pair = f.join();
            TableEntity.State s = pair.second();
            recorded.put(pair.first(), new TableStart(s.committed(), s.snapshotCompleted(), s.snapshotChunks().stream()
                .map(c -> new SnapshotChunk(new KeyRange(c.lo(), c.hi()), c.view(), c.rows())).toList(),
                s.sourceIdentity()));
          }
          return recorded;
        });
    // and where the source's incremental snapshots stand
    CompletableFuture<Loaded> loaded = all.thenCombine(sharding.entityRefFor(IncrementalSnapshotEntity.ENTITY_KEY,
        source.name()).ask(IncrementalSnapshotEntity.GetState::new, settings.askTimeout()).toCompletableFuture(),
        Loaded::new);
    ctx.pipeToSelf(loaded, (l, err) -> err != null ? new Failed("load positions", unwrap(err)) : l);
    return Behaviors.receive(Command.class)
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(Failed.class, this::onFailed)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  // ------------------------------------------------------------------ running

  /** Compares the recorded positions with the server before anything is read from them. */
  private Behavior<Command> onLoaded(Loaded l) {
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> source.checkPositions(l.recorded()), blocking), (c, err) ->
        err != null ? new Failed("check positions", unwrap(err)) : new Checked(l, c));
    return Behaviors.receive(Command.class)
        .onMessage(Checked.class, this::onChecked)
        .onMessage(Failed.class, this::onFailed)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  private Behavior<Command> onChecked(Checked c) {
    Loaded l = c.loaded();
    if (c.check() instanceof PositionCheck.Invalid invalid) {
      if (source.onPositionLost() == PositionCheck.OnPositionLost.FAIL || resnapshotted) {
        return onFailed(new Failed("check positions", new Failures.Permanent(invalid.reason() + ". Nothing was read"
            + " from those positions. Fix: set on-position-lost = resnapshot on source '" + source.name() + "' to"
            + " forget them and read every table again with a new snapshot (changes the server's log no longer holds"
            + " are lost), or point the source back at the server and history it was reading")));
      }
      resnapshotted = true;
      log.warn("source '{}': {}. on-position-lost = resnapshot: forgetting the positions of {} tables and reading them"
          + " again with a new snapshot", source.name(), invalid.reason(), l.recorded().size());
      List<CompletableFuture<Done>> asks = new ArrayList<>();
      for (TableRef t : l.recorded().keySet()) {
        asks.add(sharding.entityRefFor(TableEntity.ENTITY_KEY, t.entityId())
            .<Done>askWithStatus(reply -> new TableEntity.RestartSnapshot(invalid.reason(), reply), settings.askTimeout())
            .toCompletableFuture());
      }
      ctx.pipeToSelf(CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)), (v, err) ->
          err != null ? new Failed("restart positions", unwrap(err)) : new Prepared(List.copyOf(l.recorded().keySet())));
      return Behaviors.receive(Command.class)
          .onMessage(Prepared.class, this::onPrepared)
          .onMessage(Failed.class, this::onFailed)
          .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
          .build();
    }
    String identity = ((PositionCheck.Valid) c.check()).identity();
    List<CompletableFuture<Done>> asks = new ArrayList<>();
    // each table's configured strategy (syncline.tables); the entity persists only a change
    for (TableRef t : l.recorded().keySet()) {
      TableStrategy strategy = settings.strategies().strategyOf(t);
      asks.add(sharding.entityRefFor(TableEntity.ENTITY_KEY, t.entityId())
          .<Done>askWithStatus(reply -> new TableEntity.SetStrategy(strategy, "configuration (syncline.tables)", reply),
              settings.askTimeout())
          .toCompletableFuture());
    }
    if (identity != null) {
      l.recorded().forEach((t, s) -> {
        if (!identity.equals(s.sourceIdentity())) {
          asks.add(sharding.entityRefFor(TableEntity.ENTITY_KEY, t.entityId())
              .<Done>askWithStatus(reply -> new TableEntity.RecordSourceIdentity(identity, reply), settings.askTimeout())
              .toCompletableFuture());
        }
      });
    }
    ctx.pipeToSelf(CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)), (v, err) ->
        err != null ? new Failed("record source identity and strategies", unwrap(err)) : new Ready(l));
    return Behaviors.receive(Command.class)
        .onMessage(Ready.class, r -> run(r.loaded()))
        .onMessage(Failed.class, this::onFailed)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  private Behavior<Command> run(Loaded l) {
    Map<TableRef, io.syncline.persistence.SourcePosition> committed = new HashMap<>();
    l.recorded().forEach((t, s) -> {
      if (s.committed() != null) {
        committed.put(t, s.committed());
      }
    });
    ActorSystem<?> system = ctx.getSystem();
    Pair<CaptureControl, Source<List<CaptureRecord>, org.apache.pekko.NotUsed>> pre;
    Pair<UniqueKillSwitch, CompletionStage<Done>> running;
    try {
      pre = DeliveryPipeline.preMaterialize(source.open(l.recorded(), l.incremental()), system);
      CaptureControl control = pre.first();
      running = pre.second()
          .viaMat(KillSwitches.single(), Keep.right())
          .via(DeliveryPipeline.flow(transport, committed, metrics, source.maxBatchSize()))
          .via(recordAndAcknowledge(control, l.recorded()))
          .toMat(Sink.ignore(), Keep.both())
          .addAttributes(DeliveryPipeline.BATCH_BUFFERS)
          .run(system);
    } catch (RuntimeException e) {
      return onFailed(new Failed("start", e));
    }
    runningSinceNanos = System.nanoTime();
    ctx.pipeToSelf(running.second(), (done, err) -> new StreamEnded(err == null ? null : unwrap(err)));
    UniqueKillSwitch killSwitch = running.first();
    return Behaviors.receive(Command.class)
        .onMessage(StreamEnded.class, this::onStreamEnded)
        .onMessageEquals(Stop.INSTANCE, () -> {
          // no more reading; what is in flight is still delivered and recorded, then the stream completes
          killSwitch.shutdown();
          timers.startSingleTimer(StopTimedOut.INSTANCE, settings.stopTimeout());
          return stopping(killSwitch);
        })
        .build();
  }

  private Behavior<Command> stopping(UniqueKillSwitch killSwitch) {
    return Behaviors.receive(Command.class)
        .onMessage(StreamEnded.class, e -> {
          if (e.failure() != null) {
            log.warn("source '{}': stopped; in-flight batches were not all recorded ({}): they come again after the"
                + " restart", source.name(), describe(e.failure()));
          } else {
            log.info("source '{}': stopped; everything delivered is recorded", source.name());
          }
          return Behaviors.stopped();
        })
        .onMessageEquals(StopTimedOut.INSTANCE, () -> {
          killSwitch.abort(new java.util.concurrent.TimeoutException("in-flight batches not delivered within "
              + settings.stopTimeout().toSeconds() + " s of the stop"));
          return Behaviors.same();
        })
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  /** Records each delivered batch in the table entities, then acknowledges the source. In order. */
  private Flow<Progress, Progress, org.apache.pekko.NotUsed> recordAndAcknowledge(CaptureControl control,
      Map<TableRef, TableStart> recorded) {
    Commits commits = new Commits(recorded);
    return Flow.<Progress>create()
        .batch(settings.maxProgressMerge(), p -> p, Progress::merge)
        .mapAsync(1, p -> record(p, commits).thenApply(done -> {
          if (p.boundary() != null) {
            control.acknowledge(p.boundary());
            metrics.acknowledged(p.boundary());
          }
          return p;
        }));
  }

  /**
   * Which tables have a position and when each last committed one; used by {@link #record} only,
   * one batch at a time.
   */
  private final class Commits {
    private final Map<TableRef, Long> lastCommitNanos = new HashMap<>();
    private final java.util.Set<TableRef> unrecorded = new java.util.HashSet<>();
    private boolean started;

    Commits(Map<TableRef, TableStart> recorded) {
      long now = System.nanoTime();
      recorded.forEach((t, s) -> {
        lastCommitNanos.put(t, now);
        if (s.committed() == null) {
          unrecorded.add(t);
        }
      });
    }

    /** The tables the boundary is recorded for: those without a position yet, and those idle for long. */
    boolean due(TableRef table, long nowNanos) {
      Long last = lastCommitNanos.get(table);
      return unrecorded.contains(table) || last == null || nowNanos - last >= settings.idleTableCommit().toNanos();
    }

    void committed(TableRef table, long nowNanos) {
      lastCommitNanos.put(table, nowNanos);
      unrecorded.remove(table);
    }
  }

  /**
   * Records what {@code p} delivered: each table it changed commits its highest delivered position
   * (or the batch's boundary when that is later); the tables without a position yet, and those idle
   * for {@code idle-table-commit}, commit the boundary: every change before it was delivered, for
   * every table, and their next change is after it (docs/positions-and-recovery.md). A source
   * reading each table on a stream of its own gives per-table boundaries, used the same way.
   */
  private CompletionStage<Done> record(Progress p, Commits commits) {
    long now = nowMicros();
    long nowNanos = System.nanoTime();
    List<CompletableFuture<Done>> asks = new ArrayList<>();
    Map<TableRef, SourcePosition> positions = new HashMap<>();
    p.tables().forEach((table, tp) -> {
      if (tp.position() != null) {
        positions.put(table, later(tp.position(), later(p.boundary(), p.tableBoundaries().get(table))));
      }
    });
    if (p.boundary() != null) {
      for (TableRef table : commits.lastCommitNanos.keySet()) {
        if (!positions.containsKey(table) && commits.due(table, nowNanos)) {
          positions.put(table, later(p.boundary(), p.tableBoundaries().get(table)));
        }
      }
    }
    p.tableBoundaries().forEach((table, b) -> {
      if (!positions.containsKey(table) && commits.due(table, nowNanos)) {
        positions.put(table, b);
      }
    });
    List<String> boundaryOnly = log.isDebugEnabled() ? new ArrayList<>() : null;
    positions.forEach((table, position) -> {
      if (boundaryOnly != null && !p.tables().containsKey(table)) {
        boundaryOnly.add(table.qualifiedName() + " at " + position.display());
      }
      commits.committed(table, nowNanos);
      Progress.TableProgress tp = p.tables().get(table);
      OpCounts c = tp == null ? OpCounts.ZERO : tp.counts();
      TableEntity.Counts delta = new TableEntity.Counts(c.inserts(), c.updates(), c.deletes(), c.reads(), c.truncates());
      asks.add(sharding.entityRefFor(TableEntity.ENTITY_KEY, table.entityId())
          .<Done>askWithStatus(reply -> new TableEntity.CommitPosition(position, source.name(), delta, now, reply),
              settings.askTimeout())
          .toCompletableFuture());
    });
    if (p.incremental() != null) {
      asks.add(sharding.entityRefFor(IncrementalSnapshotEntity.ENTITY_KEY, source.name())
          .<Done>askWithStatus(reply -> new IncrementalSnapshotEntity.RecordProgress(p.incremental(), reply),
              settings.askTimeout())
          .toCompletableFuture());
    }
    for (CaptureRecord.SnapshotChunkDone c : p.chunksDone()) {
      asks.add(sharding.entityRefFor(TableEntity.ENTITY_KEY, c.table().entityId())
          .<Done>askWithStatus(reply -> new TableEntity.CompleteSnapshotChunk(c.range().lo(), c.range().hi(), c.view(),
              c.rows(), now, reply), settings.askTimeout())
          .toCompletableFuture());
    }
    for (CaptureRecord.SnapshotDone s : p.snapshotsDone()) {
      asks.add(sharding.entityRefFor(TableEntity.ENTITY_KEY, s.table().entityId())
          .<Done>askWithStatus(reply -> new TableEntity.CompleteSnapshot(s.position(), s.rows(), now, reply),
              settings.askTimeout())
          .toCompletableFuture());
    }
    // once every table has a position (recorded before, or with this batch), a stop loses nothing of the start
    boolean first = !commits.started && commits.unrecorded.isEmpty();
    if (first) {
      commits.started = true;
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(v -> {
      if (first) {
        log.info("source '{}': capturing {} tables; every table's position is recorded{}", source.name(),
            commits.lastCommitNanos.size(), p.boundary() == null ? "" : " (from " + p.boundary().display() + ")");
      }
      if (boundaryOnly != null && !boundaryOnly.isEmpty()) {
        log.debug("source '{}': recorded the boundary for tables without changes: {}", source.name(), boundaryOnly);
      }
      return Done.getInstance();
    });
  }

  /** The later of two positions of one source (null: the other). */
  private static SourcePosition later(SourcePosition a, SourcePosition b) {
    return a == null ? b : b == null ? a : b.isAfter(a) ? b : a;
  }

  private Behavior<Command> onStreamEnded(StreamEnded e) {
    if (System.nanoTime() - runningSinceNanos > 2 * settings.maxBackoff().toNanos()) {
      failures = 0; // it ran well for a while: the next failure starts the backoff over
    }
    // a capture stream has no end: one that completes lost its source (e.g. a binlog connection killed at
    // the server ends the client's reading without an error), so it is retried with backoff like a failure
    return onFailed(new Failed("capture", e.failure() != null ? e.failure()
        : new java.io.EOFException("the capture stream ended: the source closed its connection")));
  }

  private Behavior<Command> onFailed(Failed f) {
    if (!Failures.retryable(f.cause())) {
      // someone must act: retrying would only hide it (and hold the source's log meanwhile)
      String message = f.cause().getMessage() == null ? describe(f.cause()) : f.cause().getMessage();
      log.error("source '{}': stopped, not retried: {} failed: {}", source.name(), f.phase(), message);
      log.debug("source '{}': failure detail", source.name(), f.cause());
      ctx.getSystem().eventStream().tell(new org.apache.pekko.actor.typed.eventstream.EventStream.Publish<>(
          new SourceStopped(source.name(), message)));
      return Behaviors.receive(Command.class)
          .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
          .onAnyMessage(m -> Behaviors.same())
          .build();
    }
    failures++;
    Duration backoff = backoff();
    log.error("source '{}': {} failed ({}); retrying in {} s", source.name(), f.phase(), describe(f.cause()),
        backoff.toSeconds());
    log.debug("source '{}': failure detail", source.name(), f.cause());
    return retryLater();
  }

  private Behavior<Command> retryLater() {
    timers.startSingleTimer(Retry.INSTANCE, backoff());
    return Behaviors.receive(Command.class)
        .onMessageEquals(Retry.INSTANCE, this::prepare)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Duration backoff() {
    long ms = settings.minBackoff().toMillis() << Math.min(10, Math.max(0, failures - 1));
    return Duration.ofMillis(Math.min(ms, settings.maxBackoff().toMillis()));
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private static Throwable unwrap(Throwable t) {
    return Failures.unwrap(t);
  }

  private static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }
}
