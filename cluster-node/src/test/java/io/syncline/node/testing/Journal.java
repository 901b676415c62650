package io.syncline.node.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.actors.table.TableEntity;
import io.syncline.persistence.JournalSettings;
import io.syncline.persistence.SourcePosition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The journal a node wrote, read back after the node stopped (the H2 file is locked while it runs):
 * the table entities' events, for the check every fault test ends with, "positions never went
 * backwards". Reads whichever journal the node's config file names (H2 under its data-dir, or
 * PostgreSQL).
 */
public final class Journal {

  private Journal() {}

  /** The events of the table entity {@code entityId} ({@code <source>/<schema>.<table>}), in order. */
  public static List<Object> tableEvents(Path nodeConfig, String entityId) throws Exception {
    // overrides must take part in resolution: the H2 URL is ${syncline.data-dir}/journal
    Config cfg = JournalSettings.applyTo(ConfigFactory.load(ConfigFactory.parseString(
            "pekko.actor.provider = local\npekko.remote.artery.canonical.port = 0")
        .withFallback(ConfigFactory.parseFile(nodeConfig.toFile()))));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "journal-reader", cfg);
    try {
      JdbcReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class,
          JdbcReadJournal.Identifier());
      String pid = TableEntity.ENTITY_KEY.name() + "|" + entityId;
      List<EventEnvelope> events = journal.currentEventsByPersistenceId(pid, 0L, Long.MAX_VALUE)
          .runWith(Sink.seq(), system).toCompletableFuture().get(30, TimeUnit.SECONDS);
      List<Object> out = new ArrayList<>(events.size());
      events.forEach(e -> out.add(e.event()));
      return out;
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Each table's {@code PositionCommitted} events only move forward (strictly: an entity does not
   * persist a position it already has), except right after a {@code SnapshotRestarted}, where
   * positions start over. Each table must have committed at least {@code minCommits} positions.
   */
  public static void assertPositionsNeverWentBackwards(Path nodeConfig, int minCommits, String... entityIds)
      throws Exception {
    for (String entityId : entityIds) {
      assertPositionsNeverWentBackwards(entityId, tableEvents(nodeConfig, entityId), minCommits);
    }
  }

  /** The same check on events already read (see {@link #tableEvents}). */
  public static void assertPositionsNeverWentBackwards(String entityId, List<Object> events, int minCommits) {
    SourcePosition last = null;
    int commits = 0;
    int i = 0;
    for (Object e : events) {
      i++;
      if (e instanceof TableEntity.SnapshotRestarted) {
        last = null;
      } else if (e instanceof TableEntity.PositionCommitted pc) {
        commits++;
        if (last != null) {
          SourcePosition before = last;
          assertThat(pc.position().isAfter(before))
              .as("%s: event %d commits %s, not after the position before it, %s", entityId, i,
                  pc.position().display(), before.display())
              .isTrue();
        }
        last = pc.position();
      }
    }
    assertThat(commits).as("positions committed by " + entityId).isGreaterThanOrEqualTo(minCommits);
  }
}
