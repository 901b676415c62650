package io.syncline.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.persistence.JournalSettings;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.transport.DeadLetters;
import io.syncline.streams.transport.FanOutTransport;
import io.syncline.streams.transport.JsonLinesTransport;
import io.syncline.streams.transport.KafkaSettings;
import io.syncline.streams.transport.KafkaTransport;
import io.syncline.streams.transport.NoopTransport;
import io.syncline.streams.transport.SqsSettings;
import io.syncline.streams.transport.SqsTransport;
import io.syncline.streams.transport.Transport;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Syncline node: the actor system, its transport and the metrics of each source.
 *
 * <p>{@link #start} checks what it can before the actor system exists, so that each way a start
 * can fail ends with one line naming the fix: the configuration ({@link IllegalArgumentException}:
 * unknown keys, missing Kafka brokers, no sources), the data directory (missing rights, in use by
 * another node) and the cluster port ({@link StartFailure}).
 */
public final class SynclineNode implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SynclineNode.class);

  private final ActorSystem<Guardian.Command> system;
  private final Map<String, CaptureMetrics> metrics;
  private final CompletableFuture<Done> terminated;

  private SynclineNode(ActorSystem<Guardian.Command> system, Map<String, CaptureMetrics> metrics,
      CompletableFuture<Done> terminated) {
    this.system = system;
    this.metrics = metrics;
    this.terminated = terminated;
  }

  /** Starts a node from a fully resolved config (application config with reference defaults). */
  public static SynclineNode start(Config loaded) {
    // the journal keys are set again on top: Pekko's own reference.conf files must not win over ours
    Config config = JournalSettings.applyTo(loaded);
    NodeSettings settings = NodeSettings.create(config);
    if (settings.sources().isEmpty()) {
      throw new IllegalArgumentException("syncline.sources is empty: nothing to capture. Fix: add a source entry"
          + " (kind, name, host, ...; see conf/application.conf)");
    }
    List<Function<ActorSystem<?>, Transport>> sinks = sinks(settings, config);
    Map<String, CaptureMetrics> metrics = new LinkedHashMap<>();
    for (CaptureSource s : settings.sources()) {
      metrics.put(s.name(), new CaptureMetrics());
    }
    DataDirectory dataDir = DataDirectory.open(settings.dataDir(), JournalSettings.create(config));
    ActorSystem<Guardian.Command> system;
    TransportHolder holder = new TransportHolder();
    try {
      checkPortIsFree(config);
      system = ActorSystem.create(
          Behaviors.setup(ctx -> {
            try {
              holder.transport = transport(sinks, ctx.getSystem());
            } catch (RuntimeException e) {
              // a producer that cannot be made from its properties: the message names the setting
              String message = "cannot start: " + e.getMessage();
              ctx.getLog().error("{}", message);
              ctx.getLog().debug("transport failure detail", e);
              CoordinatedShutdown.get(ctx.getSystem()).run(new NodeExit.Fatal(message, 2));
              return Behaviors.ignore();
            }
            return Guardian.create(settings, holder.transport, metrics, dataDir);
          }),
          "syncline", withShutdownTimeouts(config, settings));
    } catch (RuntimeException e) {
      dataDir.close();
      throw bindFailure(e, config).orElseThrow(() -> e);
    }
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-transport",
        () -> holder.transport == null ? CompletableFuture.completedFuture(Done.getInstance())
            : CompletableFuture.supplyAsync(() -> {
              holder.transport.close(); // the readers stopped: nothing is delivered any more
              return Done.getInstance();
            }, system.dispatchers().lookup(DispatcherSelector.blocking())));
    // the journal's pool closes when the actor system has terminated (pekko-persistence-jdbc), last
    CompletableFuture<Done> terminated = system.getWhenTerminated().toCompletableFuture()
        .handle((t, e) -> {
          dataDir.close();
          return Done.getInstance();
        });
    return new SynclineNode(system, metrics, terminated);
  }

  private static final class TransportHolder {
    volatile Transport transport;
  }

  /** The sinks' settings read (and checked) now; the transports are made once the actor system runs. */
  private static List<Function<ActorSystem<?>, Transport>> sinks(NodeSettings settings, Config config) {
    List<Function<ActorSystem<?>, Transport>> list = new ArrayList<>();
    for (String sink : settings.sinks()) {
      list.add(switch (sink) {
        case "jsonl" -> {
          JsonLinesTransport.Settings s =
              JsonLinesTransport.Settings.create(config.getConfig(JsonLinesTransport.Settings.CONFIG_PATH));
          yield system -> JsonLinesTransport.create(system, s);
        }
        case "kafka" -> {
          KafkaSettings s = KafkaSettings.create(config.getConfig(KafkaSettings.CONFIG_PATH));
          DeadLetters.Settings dead = DeadLetters.Settings.create(config.getConfig(DeadLetters.Settings.CONFIG_PATH));
          yield system -> KafkaTransport.create(system, s, dead);
        }
        case "sqs" -> {
          SqsSettings s = SqsSettings.create(config.getConfig(SqsSettings.CONFIG_PATH));
          DeadLetters.Settings dead = DeadLetters.Settings.create(config.getConfig(DeadLetters.Settings.CONFIG_PATH));
          yield system -> SqsTransport.create(system, s, dead);
        }
        case "noop" -> system -> new NoopTransport();
        default -> throw new IllegalArgumentException("unknown sink " + sink);
      });
    }
    return list;
  }

  private static Transport transport(List<Function<ActorSystem<?>, Transport>> sinks, ActorSystem<?> system) {
    List<Transport> list = sinks.stream().map(f -> f.apply(system)).toList();
    return list.size() == 1 ? list.get(0) : new FanOutTransport(list);
  }

  /**
   * The readers' stop phase lasts as long as they may take ({@code syncline.reader.stop-timeout}, and
   * the grace to stop after it); Pekko's default for the phase is 5 s.
   */
  private static Config withShutdownTimeouts(Config config, NodeSettings settings) {
    return ConfigFactory.parseMap(Map.of("pekko.coordinated-shutdown.phases.service-stop.timeout",
            settings.stopTimeout().plus(Guardian.STOP_GRACE).plusSeconds(1).toMillis() + "ms"),
            "syncline.reader.stop-timeout (SynclineNode)")
        .withFallback(config);
  }

  /**
   * Fails with one line when the cluster port is taken (another node on it): Pekko would log the
   * {@code BindException} with its stack trace first.
   */
  private static void checkPortIsFree(Config config) {
    if (!config.getString("pekko.actor.provider").equals("cluster")
        || !config.getString("pekko.remote.artery.transport").equals("tcp")) {
      return;
    }
    String host = bindHost(config);
    int port = bindPort(config);
    if (port == 0) {
      return;
    }
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw portInUse(host, port, e);
    }
  }

  private static java.util.Optional<StartFailure> bindFailure(RuntimeException e, Config config) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof BindException b) {
        return java.util.Optional.of(portInUse(bindHost(config), bindPort(config), b));
      }
    }
    return java.util.Optional.empty();
  }

  private static StartFailure portInUse(String host, int port, IOException e) {
    return new StartFailure("cannot listen on " + host + ":" + port + " (pekko.remote.artery.canonical.port): "
        + (e instanceof BindException ? "the address is in use (by another node?)" : e.getMessage())
        + ". Fix: stop that node, or give this one another port (SYNCLINE_REMOTE_PORT; 0 picks a free one)", e);
  }

  private static String bindHost(Config config) {
    String bind = config.getString("pekko.remote.artery.bind.hostname");
    return bind.isEmpty() ? config.getString("pekko.remote.artery.canonical.hostname") : bind;
  }

  private static int bindPort(Config config) {
    String bind = config.getString("pekko.remote.artery.bind.port");
    return bind.isEmpty() ? config.getInt("pekko.remote.artery.canonical.port") : Integer.parseInt(bind);
  }

  public ActorSystem<Guardian.Command> system() {
    return system;
  }

  /** Live metrics of a source by name. */
  public CaptureMetrics metrics(String source) {
    CaptureMetrics m = metrics.get(source);
    if (m == null) {
      throw new IllegalArgumentException("no source named '" + source + "'");
    }
    return m;
  }

  public Map<String, CaptureMetrics> allMetrics() {
    return metrics;
  }

  /**
   * Stops the node on SIGTERM and SIGINT by its coordinated shutdown (readers first, the journal
   * last) instead of by the JVM's shutdown hooks, which run all at once (H2's, for one, closed the
   * journal under the entities' last writes) and end the process with status 143. Where the JVM
   * does not let us handle a signal, its shutdown hook still runs the coordinated shutdown.
   */
  public void stopOnSignals() {
    for (String name : List.of("TERM", "INT")) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
          log.info("SIG{}: stopping (source readers first, the journal last)", name);
          CoordinatedShutdown.get(system).run(new NodeExit.Signal("SIG" + name));
        });
      } catch (IllegalArgumentException e) {
        log.debug("cannot handle SIG{} ({}); the JVM's shutdown hook stops the node", name, e.getMessage());
      }
    }
  }

  /**
   * Waits until the node stopped and its data directory is released; returns the exit status: 0
   * when stopped by a signal, 1 after a fatal error or an unexpected end.
   */
  public int awaitExitStatus() {
    terminated.join();
    int status = NodeExit.status(CoordinatedShutdown.get(system).getShutdownReason());
    if (status != 0 && !(CoordinatedShutdown.get(system).getShutdownReason().orElse(null) instanceof NodeExit.Fatal)) {
      log.error("the node stopped unexpectedly ({}); see the lines above",
          CoordinatedShutdown.get(system).getShutdownReason().map(Object::toString).orElse("no reason given"));
    }
    return status;
  }

  /** Stops the node (coordinated shutdown: readers stop, transport closes, the journal closes last). */
  public CompletionStage<Done> stop() {
    system.terminate();
    return terminated;
  }

  @Override
  public void close() {
    stop().toCompletableFuture().orTimeout(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS).join();
  }
}
