package io.syncline.node;

import io.syncline.actors.source.SourceReader;
import io.syncline.actors.snapshot.IncrementalSnapshotEntity;
import io.syncline.actors.table.TableEntity;
import io.syncline.persistence.JournalSchema;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.transport.Transport;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * The node's root actor: joins the cluster (itself, in single-node mode), makes sure the journal
 * tables exist, starts table-entity sharding and one source reader per configured source (a
 * sharded daemon process: exactly one reader per source in the whole cluster).
 */
public final class Guardian {

  /** The guardian's messages. Local only. */
  public sealed interface Command {}

  private record SchemaReady() implements Command {}

  private record SchemaFailed(Throwable cause) implements Command {}

  private Guardian() {}

  public static Behavior<Command> create(NodeSettings settings, Transport transport, Map<String, CaptureMetrics> metrics) {
    return Behaviors.setup(ctx -> {
      if (settings.joinSelf()) {
        Cluster cluster = Cluster.get(ctx.getSystem());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      ctx.pipeToSelf(JournalSchema.createIfMissing(ctx.getSystem()),
          (done, err) -> err == null ? new SchemaReady() : new SchemaFailed(err));
      return Behaviors.receive(Command.class)
          .onMessage(SchemaReady.class, r -> {
            TableEntity.init(ctx.getSystem());
            IncrementalSnapshotEntity.init(ctx.getSystem());
            List<CaptureSource> sources = settings.sources();
            if (sources.isEmpty()) {
              ctx.getLog().warn("no sources configured (syncline.sources is empty): nothing to capture");
            } else {
              ShardedDaemonProcess.get(ctx.getSystem()).init(SourceReader.Command.class, "syncline-source-readers",
                  sources.size(),
                  i -> SourceReader.create(sources.get(i), transport, metrics.get(sources.get(i).name()), settings.reader()),
                  ShardedDaemonProcessSettings.create(ctx.getSystem()),
                  java.util.Optional.of(SourceReader.Stop.INSTANCE));
              ctx.getLog().info("started {} source reader(s), delivering to {}", sources.size(), transport.name());
            }
            return Behaviors.empty();
          })
          .onMessage(SchemaFailed.class, f -> {
            ctx.getLog().error("journal tables could not be created: {}", f.cause().getMessage());
            throw new IllegalStateException("journal tables could not be created", f.cause());
          })
          .build();
    });
  }
}
