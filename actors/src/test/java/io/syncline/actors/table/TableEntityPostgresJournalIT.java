package io.syncline.actors.table;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.actors.table.TableEntity.CommitPosition;
import io.syncline.actors.table.TableEntity.CompleteSnapshot;
import io.syncline.actors.table.TableEntity.Counts;
import io.syncline.actors.table.TableEntity.GetState;
import io.syncline.actors.table.TableEntity.State;
import io.syncline.embedded.PgServer;
import io.syncline.persistence.JournalSchema;
import io.syncline.persistence.JournalSettings;
import io.syncline.persistence.PgPosition;
import java.time.Duration;
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
import org.junit.jupiter.api.Test;

/** The journal on PostgreSQL (syncline.journal.kind = postgres): tables created, state recovered after a restart. */
class TableEntityPostgresJournalIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String ID = "shop/public.orders";

  @Test
  void shouldPersistAndRecoverTableStateInAPostgresJournal() throws Exception {
    PgServer pg = PgServer.shared();
    pg.createDatabase("journal_it");
    pg.execute("journal_it", "DROP TABLE IF EXISTS event_journal, event_tag, snapshot, schema_history CASCADE");

    ActorSystem<Void> first = start(pg, "pg-journal-1");
    State before;
    try {
      ack(entity(first).ask(r -> new CompleteSnapshot(new PgPosition(0x100, 0), 7, 1_000, r), TIMEOUT));
      ack(entity(first).ask(r -> new CommitPosition(new PgPosition(0x200, PgPosition.COMPLETE), "shop",
          new Counts(3, 2, 1, 0, 0), 2_000, r), TIMEOUT));
      before = state(first);
      assertThat(before.committed()).isEqualTo(new PgPosition(0x200, PgPosition.COMPLETE));
      assertThat(before.counters()).isEqualTo(new Counts(3, 2, 1, 7, 0));
      assertThat(before.versionVector()).isEqualTo(Map.of("shop", 6L));
    } finally {
      stop(first);
    }

    ActorSystem<Void> second = start(pg, "pg-journal-2");
    try {
      assertThat(state(second)).isEqualTo(before);
      // the MySQL schema history lives in the same database: written and read back on PostgreSQL
      io.syncline.persistence.JdbcSchemaHistoryStore history = new io.syncline.persistence.JdbcSchemaHistoryStore(
          io.syncline.persistence.JournalSettings.create(second.settings().config()));
      io.syncline.persistence.SchemaHistoryEntry ddl = new io.syncline.persistence.SchemaHistoryEntry("shop", 1,
          new io.syncline.persistence.BinlogPosition("mariadb-bin.000003", 4711, io.syncline.persistence.BinlogPosition.COMPLETE,
              "0-1-42", "0-1-41"), "shop", "ALTER TABLE orders ADD note VARCHAR(20) -- 'é'");
      history.append(ddl);
      assertThat(history.load("shop")).containsExactly(ddl);
    } finally {
      stop(second);
    }
  }

  private static ActorSystem<Void> start(PgServer pg, String name) throws Exception {
    Config config = JournalSettings.applyTo(ConfigFactory.load(ConfigFactory.parseString(String.join("\n",
        "syncline.journal.kind = postgres",
        "syncline.journal.url = \"" + pg.jdbcUrl("journal_it") + "\"",
        "syncline.journal.user = postgres",
        "syncline.journal.password = \"\"",
        "pekko.actor.provider = cluster",
        "pekko.remote.artery.canonical.hostname = 127.0.0.1",
        "pekko.remote.artery.canonical.port = 0",
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"))));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config);
    JournalSchema.createIfMissing(system).toCompletableFuture().get(30, TimeUnit.SECONDS);
    JournalSchema.createIfMissing(system).toCompletableFuture().get(30, TimeUnit.SECONDS); // idempotent
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    TableEntity.init(system);
    return system;
  }

  private static void stop(ActorSystem<?> system) throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static EntityRef<TableEntity.Command> entity(ActorSystem<?> system) {
    return ClusterSharding.get(system).entityRefFor(TableEntity.ENTITY_KEY, ID);
  }

  private static State state(ActorSystem<?> system) throws Exception {
    return entity(system).<State>ask(GetState::new, TIMEOUT).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static void ack(java.util.concurrent.CompletionStage<StatusReply<Done>> reply) throws Exception {
    StatusReply<Done> status = reply.toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(status.isSuccess()).as("reply %s", status).isTrue();
  }
}
