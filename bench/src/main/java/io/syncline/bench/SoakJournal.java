package io.syncline.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.actors.table.TableEntity;
import io.syncline.persistence.JournalSettings;
import io.syncline.persistence.SourcePosition;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The soak's last check, as the fault suite's (cluster-node's {@code testing.Journal}): read back
 * from the node's journal, each table entity's {@code PositionCommitted} events only move forward,
 * except right after a {@code SnapshotRestarted}.
 */
final class SoakJournal {

  private SoakJournal() {}

  /** Null when every table's positions only moved forward, else what went backwards. */
  static String positionsWentBackwards(Path nodeConfig, String... entityIds) throws Exception {
    Config cfg = JournalSettings.applyTo(ConfigFactory.load(ConfigFactory.parseString(
            "pekko.actor.provider = local\npekko.remote.artery.canonical.port = 0\npekko.loglevel = WARNING")
        .withFallback(ConfigFactory.parseFile(nodeConfig.toFile()))));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "soak-journal-reader", cfg);
    try {
      JdbcReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class,
          JdbcReadJournal.Identifier());
      for (String entityId : entityIds) {
        List<EventEnvelope> events = journal.currentEventsByPersistenceId(TableEntity.ENTITY_KEY.name() + "|" + entityId,
            0L, Long.MAX_VALUE).runWith(Sink.seq(), system).toCompletableFuture().get(120, TimeUnit.SECONDS);
        SourcePosition last = null;
        int commits = 0;
        for (EventEnvelope e : events) {
          if (e.event() instanceof TableEntity.SnapshotRestarted) {
            last = null;
          } else if (e.event() instanceof TableEntity.PositionCommitted pc) {
            commits++;
            if (last != null && !pc.position().isAfter(last)) {
              return entityId + ": event " + e.sequenceNr() + " commits " + pc.position().display()
                  + ", not after " + last.display();
            }
            last = pc.position();
          }
        }
        Soak.log("%s: %d positions committed, each after the one before", entityId, commits);
      }
      return null;
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
