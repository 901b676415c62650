package io.syncline.actors.source;

import io.syncline.actors.snapshot.IncrementalSnapshotEntity;
import io.syncline.actors.table.TableEntity;
import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.CborSerializable;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.capture.DeliveryPipeline;
import io.syncline.streams.capture.OpCounts;
import io.syncline.streams.capture.Progress;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
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

  private record Failed(String phase, Throwable cause) implements Command {}

  private record StreamEnded(Throwable failure) implements Command {}

  private enum Retry implements Command { INSTANCE }

  /**
   * Tunables of the reader.
   *
   * @param idleTableCommit how long a table may go without a change before the source's acknowledged
   *     position is committed for it too: a restart then starts from there rather than from the table's
   *     last change, which an idle table may have made long ago (a MySQL binlog since purged)
   */
  public record Settings(Duration askTimeout, Duration minBackoff, Duration maxBackoff, int maxProgressMerge,
      Duration idleTableCommit) {
    public static final Settings DEFAULT = new Settings(Duration.ofSeconds(30), Duration.ofSeconds(1),
        Duration.ofSeconds(30), 64, Duration.ofSeconds(30));
  }

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
    log.info("source '{}': capturing {} tables", source.name(), p.tables().size());
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
                .map(c -> new SnapshotChunk(new KeyRange(c.lo(), c.hi()), c.view(), c.rows())).toList()));
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

  private Behavior<Command> onLoaded(Loaded l) {
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
          .via(recordAndAcknowledge(control, l.recorded().keySet()))
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
          killSwitch.shutdown();
          return stopping();
        })
        .build();
  }

  private Behavior<Command> stopping() {
    return Behaviors.receive(Command.class)
        .onMessage(StreamEnded.class, e -> Behaviors.stopped())
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  /** Records each delivered batch in the table entities, then acknowledges the source. In order. */
  private Flow<Progress, Progress, org.apache.pekko.NotUsed> recordAndAcknowledge(CaptureControl control,
      java.util.Set<TableRef> tables) {
    // when each table last had a position committed; used by record() only, one batch at a time
    Map<TableRef, Long> lastCommitNanos = new HashMap<>();
    long start = System.nanoTime();
    tables.forEach(t -> lastCommitNanos.put(t, start));
    return Flow.<Progress>create()
        .batch(settings.maxProgressMerge(), p -> p, Progress::merge)
        .mapAsync(1, p -> record(p, lastCommitNanos).thenApply(done -> {
          if (p.ack() != null) {
            control.acknowledge(p.ack());
          }
          return p;
        }));
  }

  private CompletionStage<Done> record(Progress p, Map<TableRef, Long> lastCommitNanos) {
    long now = nowMicros();
    long nowNanos = System.nanoTime();
    List<CompletableFuture<Done>> asks = new ArrayList<>();
    p.tables().forEach((table, tp) -> {
      if (tp.position() != null) {
        lastCommitNanos.put(table, nowNanos);
        OpCounts c = tp.counts();
        TableEntity.Counts delta = new TableEntity.Counts(c.inserts(), c.updates(), c.deletes(), c.reads(), c.truncates());
        asks.add(sharding.entityRefFor(TableEntity.ENTITY_KEY, table.entityId())
            .<Done>askWithStatus(reply -> new TableEntity.CommitPosition(tp.position(), source.name(), delta, now, reply),
                settings.askTimeout())
            .toCompletableFuture());
      }
    });
    if (p.ack() != null) {
      // everything before the acknowledged position is delivered, for every table: tables that were
      // idle for a while record it too (without counts), so their position keeps up with the source
      long idle = settings.idleTableCommit().toNanos();
      for (Map.Entry<TableRef, Long> e : lastCommitNanos.entrySet()) {
        if (nowNanos - e.getValue() >= idle && !p.tables().containsKey(e.getKey())) {
          e.setValue(nowNanos);
          asks.add(sharding.entityRefFor(TableEntity.ENTITY_KEY, e.getKey().entityId())
              .<Done>askWithStatus(reply -> new TableEntity.CommitPosition(p.ack(), source.name(),
                  TableEntity.Counts.ZERO, now, reply), settings.askTimeout())
              .toCompletableFuture());
        }
      }
    }
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
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance());
  }

  private Behavior<Command> onStreamEnded(StreamEnded e) {
    if (System.nanoTime() - runningSinceNanos > 2 * settings.maxBackoff().toNanos()) {
      failures = 0; // it ran well for a while: the next failure starts the backoff over
    }
    if (e.failure() == null) {
      log.info("source '{}': capture stream completed", source.name());
      return retryLater();
    }
    return onFailed(new Failed("capture", e.failure()));
  }

  private Behavior<Command> onFailed(Failed f) {
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
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }
}
