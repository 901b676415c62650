package io.syncline.node;

import io.syncline.actors.source.SourceReader;
import io.syncline.actors.snapshot.IncrementalSnapshotEntity;
import io.syncline.actors.table.TableEntity;
import io.syncline.persistence.JournalSchema;
import io.syncline.persistence.JournalSettings;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.capture.Failures;
import io.syncline.streams.transport.Transport;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;

/**
 * The node's root actor: joins the cluster (itself, in single-node mode), makes sure the journal
 * tables exist (trying again with backoff while the journal is unreachable, and stopping the node
 * with one clear line once {@code syncline.journal.start-timeout} has passed), then starts
 * table-entity sharding, one source reader per configured source (a sharded daemon process: exactly
 * one reader per source in the whole cluster) and the periodic progress line.
 *
 * <p>On stop, the readers go first ({@link CoordinatedShutdown#PhaseServiceStop()}): their shard
 * region is shut down gracefully, which hands every reader its {@link SourceReader.Stop}, while the
 * table entities they record positions in still run; the table entities are handed off after
 * them (cluster-sharding-shutdown-region), the transport closes before the actor system terminates,
 * and the journal's connection pool closes last, when the actor system has terminated.
 */
public final class Guardian {

  /** How long one attempt to connect to a journal server may take. */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How much longer than {@code syncline.reader.stop-timeout} the node waits for its readers: a
   * reader gives up on its batches in flight at the stop timeout, then still has to stop.
   */
  static final Duration STOP_GRACE = Duration.ofSeconds(5);

  /** Name of the sharded daemon process of the source readers. */
  static final String READERS = "syncline-source-readers";

  /** The guardian's messages. Local only. */
  public sealed interface Command {}

  private record SchemaReady() implements Command {}

  private record SchemaFailed(Throwable cause) implements Command {}

  private enum RetrySchema implements Command { INSTANCE }

  /** A source stopped for good (see {@link SourceReader.SourceStopped}). */
  private record SourceStopped(SourceReader.SourceStopped stopped) implements Command {}

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final NodeSettings settings;
  private final Transport transport;
  private final Map<String, CaptureMetrics> metrics;
  private final DataDirectory dataDir;
  private final Logger log;
  private final long startNanos = System.nanoTime();
  private int attempts;

  private Guardian(ActorContext<Command> ctx, TimerScheduler<Command> timers, NodeSettings settings, Transport transport,
      Map<String, CaptureMetrics> metrics, DataDirectory dataDir) {
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.transport = transport;
    this.metrics = metrics;
    this.dataDir = dataDir;
    this.log = ctx.getLog();
  }

  public static Behavior<Command> create(NodeSettings settings, Transport transport, Map<String, CaptureMetrics> metrics,
      DataDirectory dataDir) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      if (settings.joinSelf()) {
        Cluster cluster = Cluster.get(ctx.getSystem());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      return new Guardian(ctx, timers, settings, transport, metrics, dataDir).startJournal();
    }));
  }

  // ------------------------------------------------------------------ journal

  private Behavior<Command> startJournal() {
    attempts++;
    ActorSystem<Void> system = ctx.getSystem();
    JournalSettings journal = JournalSettings.create(system.settings().config());
    // one plain connection first: the pool would wait its whole connection timeout on a database
    // that is down (or an H2 file it cannot open); the driver says at once why it cannot connect
    CompletableFuture<Done> reachable = CompletableFuture.supplyAsync(() -> {
      try {
        JournalSchema.connectOnce(journal, PROBE_TIMEOUT);
        return Done.getInstance();
      } catch (SQLException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, system.dispatchers().lookup(DispatcherSelector.blocking()));
    ctx.pipeToSelf(reachable.thenCompose(ok -> JournalSchema.createIfMissing(system)),
        (done, err) -> err == null ? new SchemaReady() : new SchemaFailed(Failures.unwrap(err)));
    return Behaviors.receive(Command.class)
        .onMessage(SchemaReady.class, r -> onJournalReady())
        .onMessage(SchemaFailed.class, this::onJournalFailed)
        .onMessageEquals(RetrySchema.INSTANCE, this::startJournal)
        .build();
  }

  private Behavior<Command> onJournalFailed(SchemaFailed f) {
    JournalSettings journal = JournalSettings.create(ctx.getSystem().settings().config());
    String what = "the journal (" + journal.kind().name().toLowerCase(java.util.Locale.ROOT) + " at "
        + journal.displayUrl() + ")";
    String reason = reason(f.cause());
    Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
    Duration backoff = settings.journalStart().backoff(attempts);
    boolean retryable = Failures.retryable(f.cause());
    log.debug("journal failure detail", f.cause());
    if (retryable && elapsed.plus(backoff).compareTo(settings.journalStart().timeout()) <= 0) {
      log.warn("{} is not reachable (attempt {}): {}; trying again in {} s (giving up after syncline.journal.start-timeout"
          + " = {} s)", what, attempts, reason, seconds(backoff), seconds(settings.journalStart().timeout()));
      timers.startSingleTimer(RetrySchema.INSTANCE, backoff);
      return Behaviors.same();
    }
    String message = "cannot start: " + what + (retryable
        ? " is still not reachable after " + attempts + " attempt" + (attempts == 1 ? "" : "s") + " in "
            + seconds(elapsed) + " s: " + reason + ". Fix: start the journal database, or correct"
            + " syncline.journal.url (SYNCLINE_JOURNAL_URL); syncline.journal.start-timeout sets how long to wait"
        : " refused: " + reason + ". Fix: correct syncline.journal.url, .user and SYNCLINE_JOURNAL_PASSWORD");
    log.error("{}", message);
    CoordinatedShutdown.get(ctx.getSystem()).run(new NodeExit.Fatal(message, 1));
    return Behaviors.ignore();
  }

  private Behavior<Command> onJournalReady() {
    if (attempts > 1) {
      log.info("the journal is reachable (after {} attempts)", attempts);
    }
    dataDir.protectJournalFiles();
    ActorSystem<Void> system = ctx.getSystem();
    TableEntity.init(system);
    IncrementalSnapshotEntity.init(system);
    List<CaptureSource> sources = settings.sources();
    ShardedDaemonProcess.get(system).init(SourceReader.Command.class, READERS, sources.size(),
        i -> SourceReader.create(sources.get(i), transport, metrics.get(sources.get(i).name()), settings.reader()),
        ShardedDaemonProcessSettings.create(system), java.util.Optional.of(SourceReader.Stop.INSTANCE));
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "stop-source-readers",
        () -> stopReaders(system, settings.stopTimeout().plus(STOP_GRACE), log));
    if (!settings.logInterval().isZero()) {
      ctx.spawn(ProgressReporter.create(settings.logInterval(), metrics), "progress");
    }
    log.info("started {} source reader(s), delivering to {}", sources.size(), transport.name());
    ctx.getSystem().eventStream().tell(new org.apache.pekko.actor.typed.eventstream.EventStream.Subscribe<>(
        SourceReader.SourceStopped.class, ctx.messageAdapter(SourceReader.SourceStopped.class, SourceStopped::new)));
    java.util.Set<String> stopped = new java.util.TreeSet<>();
    return Behaviors.receive(Command.class)
        .onMessage(SourceStopped.class, s -> {
          stopped.add(s.stopped().source());
          if (stopped.size() < sources.size()) {
            log.warn("{} of {} sources stopped for good ({}); the others go on", stopped.size(), sources.size(), stopped);
            return Behaviors.same();
          }
          // nothing left to capture: a node that runs on doing nothing hides the failure from its supervisor
          String message = "cannot go on: every source stopped for good (" + String.join(", ", stopped)
              + "); the reasons and fixes are in the lines above";
          log.error("{}", message);
          CoordinatedShutdown.get(ctx.getSystem()).run(new NodeExit.Fatal(message, 1));
          return Behaviors.ignore();
        })
        .build();
  }

  /**
   * Stops this node's source readers before anything else stops: a graceful shutdown of their shard
   * region hands each its {@link SourceReader.Stop} and completes when they all stopped (their
   * batches in flight delivered and recorded, the table entities still running). After
   * {@code timeout} the stop goes on without them: what they still had in flight is abandoned, not
   * recorded, and delivered again after a restart.
   */
  static CompletionStage<Done> stopReaders(ActorSystem<?> system, Duration timeout, Logger log) {
    long t0 = System.nanoTime();
    org.apache.pekko.actor.ActorRef region;
    try {
      region = org.apache.pekko.cluster.sharding.ClusterSharding.get(Adapter.toClassic(system))
          .shardRegion("sharded-daemon-process-" + READERS);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(Done.getInstance()); // never started
    }
    return Patterns.gracefulStop(region, timeout, ShardRegion.gracefulShutdownInstance())
        .handle((stopped, err) -> {
          if (err != null) {
            log.warn("the source readers did not stop within {} s: the node stops without them (what they had in flight"
                + " is not recorded: delivered again after a restart)", seconds(timeout));
          } else {
            log.info("source readers stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
          }
          return Done.getInstance();
        });
  }

  /** The most telling message of a journal failure: the deepest SQL error's, else the root cause's. */
  static String reason(Throwable failure) {
    String sql = null;
    Throwable root = failure;
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLException && t.getMessage() != null && !t.getMessage().contains("Connection is not available")) {
        sql = t.getMessage();
      }
      root = t;
    }
    String m = sql != null ? sql : root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    return m.strip().replaceAll("\\.+$", ""); // the message goes on after it
  }

  private static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.format(java.util.Locale.ROOT, "%.1f", ms / 1000.0);
  }
}
