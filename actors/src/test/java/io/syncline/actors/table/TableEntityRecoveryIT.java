package io.syncline.actors.table;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.actors.table.TableEntity.CommitPosition;
import io.syncline.actors.table.TableEntity.CompleteSnapshot;
import io.syncline.actors.table.TableEntity.Counts;
import io.syncline.actors.table.TableEntity.GetState;
import io.syncline.actors.table.TableEntity.State;
import io.syncline.persistence.JournalSchema;
import io.syncline.persistence.JournalSettings;
import io.syncline.persistence.PgPosition;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stop-and-respawn recovery on the real journal: pekko-persistence-jdbc on an H2 file in a temp
 * directory, the table entity reached through cluster sharding, the whole ActorSystem terminated
 * and a new one started on the same file.
 */
class TableEntityRecoveryIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String ORDERS = "inventory/public.orders";
  private static final String BUSY = "inventory/public.events";

  @TempDir Path dataDir;

  private final List<ActorSystem<?>> systems = new ArrayList<>();

  @AfterEach
  void terminateAll() throws Exception {
    for (ActorSystem<?> system : systems) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void shouldRecoverTheSameStateFromTheJournalFileAfterTheActorSystemIsReplaced() throws Exception {
    ActorSystem<Void> first = start("first");
    ack(entity(first, ORDERS).ask(r -> new CommitPosition(pos(0x100, 1), "pg-east", new Counts(2, 1, 0, 0, 0), 1_000, r), TIMEOUT));
    ack(entity(first, ORDERS).ask(r -> new CompleteSnapshot(pos(0x180, 0), 5, 1_500, r), TIMEOUT));
    ack(entity(first, ORDERS).ask(r -> new CommitPosition(pos(0x200, PgPosition.COMPLETE), "pg-west", new Counts(0, 0, 1, 0, 1), 2_000, r), TIMEOUT));
    for (int i = 1; i <= 120; i++) { // past the first snapshot (every 100 events)
      final long lsn = i;
      ack(entity(first, BUSY).ask(r -> new CommitPosition(pos(lsn, PgPosition.COMPLETE), "pg-east", new Counts(1, 0, 0, 0, 0), lsn, r), TIMEOUT));
    }
    State ordersBefore = state(first, ORDERS);
    State busyBefore = state(first, BUSY);
    assertThat(ordersBefore.committed()).isEqualTo(pos(0x200, PgPosition.COMPLETE));
    assertThat(ordersBefore.versionVector()).isEqualTo(Map.of("pg-east", 3L, "pg-west", 2L));
    stop(first);
    assertThat(snapshotSequenceNumbers("SynclineTable|" + BUSY)).containsExactly(100L);

    ActorSystem<Void> second = start("second");
    assertThat(state(second, ORDERS)).isEqualTo(ordersBefore);
    assertThat(state(second, BUSY)).isEqualTo(busyBefore);
    assertThat(state(second, BUSY).counters().inserts()).isEqualTo(120);

    // a redelivered commit after the restart is acknowledged and changes nothing
    ack(entity(second, ORDERS).ask(r -> new CommitPosition(pos(0x100, 1), "pg-east", new Counts(2, 1, 0, 0, 0), 3_000, r), TIMEOUT));
    assertThat(state(second, ORDERS)).isEqualTo(ordersBefore);
    ack(entity(second, ORDERS).ask(r -> new CommitPosition(pos(0x300, 2), "pg-east", new Counts(1, 0, 0, 0, 0), 4_000, r), TIMEOUT));
    State ordersAfter = state(second, ORDERS);
    assertThat(ordersAfter.committed()).isEqualTo(pos(0x300, 2));
    stop(second);

    ActorSystem<Void> third = start("third");
    assertThat(state(third, ORDERS)).isEqualTo(ordersAfter);
  }

  private ActorSystem<Void> start(String name) throws Exception {
    Config config =
        JournalSettings.applyTo(
            ConfigFactory.load(
                ConfigFactory.parseString(
                    "syncline.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"\n"
                        + "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
                        // commands and replies go through jackson-cbor even on one node
                        + "pekko.actor.serialize-messages = on\n"
                        + "pekko.actor.warn-about-java-serializer-usage = off\n")));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config);
    systems.add(system);
    JournalSchema.createIfMissing(system).toCompletableFuture().get(30, TimeUnit.SECONDS);
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    TableEntity.init(system);
    return system;
  }

  private void stop(ActorSystem<?> system) throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    systems.remove(system);
  }

  private static EntityRef<TableEntity.Command> entity(ActorSystem<?> system, String id) {
    return ClusterSharding.get(system).entityRefFor(TableEntity.ENTITY_KEY, id);
  }

  private static State state(ActorSystem<?> system, String id) throws Exception {
    return entity(system, id).<State>ask(GetState::new, TIMEOUT).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static void ack(java.util.concurrent.CompletionStage<StatusReply<Done>> reply) throws Exception {
    StatusReply<Done> status = reply.toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(status.isSuccess()).as("reply %s", status).isTrue();
  }

  private List<Long> snapshotSequenceNumbers(String persistenceId) throws Exception {
    JournalSettings settings =
        JournalSettings.create(
            ConfigFactory.load(ConfigFactory.parseString("syncline.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"")));
    List<Long> seqNrs = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
        PreparedStatement s =
            c.prepareStatement("SELECT \"sequence_number\" FROM \"snapshot\" WHERE \"persistence_id\" = ? ORDER BY 1")) {
      s.setString(1, persistenceId);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          seqNrs.add(rs.getLong(1));
        }
      }
    }
    return seqNrs;
  }

  private static PgPosition pos(long lsn, long index) {
    return new PgPosition(lsn, index);
  }
}
