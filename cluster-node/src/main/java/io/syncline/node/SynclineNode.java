package io.syncline.node;

import com.typesafe.config.Config;
import io.syncline.persistence.JournalSettings;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.transport.DeadLetters;
import io.syncline.streams.transport.FanOutTransport;
import io.syncline.streams.transport.JsonLinesTransport;
import io.syncline.streams.transport.KafkaSettings;
import io.syncline.streams.transport.KafkaTransport;
import io.syncline.streams.transport.NoopTransport;
import io.syncline.streams.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;

/** A running Syncline node: the actor system, its transport and the metrics of each source. */
public final class SynclineNode implements AutoCloseable {

  private final ActorSystem<Guardian.Command> system;
  private final Map<String, CaptureMetrics> metrics;

  private SynclineNode(ActorSystem<Guardian.Command> system, Map<String, CaptureMetrics> metrics) {
    this.system = system;
    this.metrics = metrics;
  }

  /** Starts a node from a fully resolved config (application config with reference defaults). */
  public static SynclineNode start(Config loaded) {
    // the journal keys are set again on top: Pekko's own reference.conf files must not win over ours
    Config config = JournalSettings.applyTo(loaded);
    NodeSettings settings = NodeSettings.create(config);
    Map<String, CaptureMetrics> metrics = new LinkedHashMap<>();
    for (CaptureSource s : settings.sources()) {
      metrics.put(s.name(), new CaptureMetrics());
    }
    TransportHolder holder = new TransportHolder();
    ActorSystem<Guardian.Command> system = ActorSystem.create(
        org.apache.pekko.actor.typed.javadsl.Behaviors.setup(ctx -> {
          holder.transport = transport(settings, config, ctx.getSystem());
          return Guardian.create(settings, holder.transport, metrics);
        }),
        "syncline", config);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-transport",
        () -> {
          if (holder.transport != null) {
            holder.transport.close();
          }
          return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
        });
    return new SynclineNode(system, metrics);
  }

  private static final class TransportHolder {
    volatile Transport transport;
  }

  private static Transport transport(NodeSettings settings, Config config, ActorSystem<?> system) {
    List<Transport> list = new ArrayList<>();
    for (String sink : settings.sinks()) {
      list.add(switch (sink) {
        case "jsonl" -> JsonLinesTransport.create(system,
            JsonLinesTransport.Settings.create(config.getConfig(JsonLinesTransport.Settings.CONFIG_PATH)));
        case "kafka" -> KafkaTransport.create(system, KafkaSettings.create(config.getConfig(KafkaSettings.CONFIG_PATH)),
            DeadLetters.Settings.create(config.getConfig(DeadLetters.Settings.CONFIG_PATH)));
        case "noop" -> new NoopTransport();
        default -> throw new IllegalArgumentException("unknown sink " + sink);
      });
    }
    return list.size() == 1 ? list.get(0) : new FanOutTransport(list);
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

  /** Stops the node (coordinated shutdown: readers stop, transport closes). */
  public CompletionStage<Done> stop() {
    system.terminate();
    return system.getWhenTerminated();
  }

  @Override
  public void close() {
    stop().toCompletableFuture().orTimeout(Duration.ofSeconds(30).toSeconds(), java.util.concurrent.TimeUnit.SECONDS).join();
  }
}
