package io.syncline.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded H2 file journal: schema creation is idempotent and events survive a restart. */
class JournalSchemaTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @TempDir Path dataDir;

  @Test
  void shouldRecoverEventsFromTheH2FileAfterTheActorSystemRestarts() throws Exception {
    ActorSystem<Void> first = start("first");
    try {
      createSchema(first);
      createSchema(first); // idempotent within one run
      ActorRef<Command> log = first.systemActorOf(Log.create("log-1"), "log-1", Props.empty());
      add(first, log, "a");
      add(first, log, "b");
      assertThat(items(first, log)).containsExactly("a", "b");
    } finally {
      stop(first);
    }
    assertThat(dataDir.resolve("journal.mv.db")).exists();

    ActorSystem<Void> second = start("second");
    try {
      createSchema(second); // idempotent across restarts: tables already exist
      ActorRef<Command> log = second.systemActorOf(Log.create("log-1"), "log-1", Props.empty());
      assertThat(items(second, log)).containsExactly("a", "b");
      add(second, log, "c");
      assertThat(items(second, log)).containsExactly("a", "b", "c");
    } finally {
      stop(second);
    }
  }

  @Test
  void shouldRefuseAPostgresJournalWhenTheConfigWasNotPassedThroughJournalSettings() throws Exception {
    Config config =
        ConfigFactory.load(
            ConfigFactory.parseString(
                "syncline.journal.kind = postgres\n"
                    + "syncline.journal.url = \"jdbc:postgresql://localhost:1/none\"\n"
                    + "pekko.loglevel = WARNING"));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "unapplied", config);
    try {
      assertThatThrownBy(() -> JournalSchema.createIfMissing(system).toCompletableFuture().get(20, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasRootCauseInstanceOf(IllegalStateException.class)
          .hasMessageContaining("JournalSettings.applyTo");
    } finally {
      stop(system);
    }
  }

  @Test
  void shouldKeepH2OpenUntilTheNodeClosesItAndShowUrlsWithoutTheirParameters() {
    // H2's own JVM shutdown hook would close the journal under the entities' last writes
    assertThat(new JournalSettings(JournalSettings.Kind.H2, "jdbc:h2:mem:j", "sa", "").url())
        .isEqualTo("jdbc:h2:mem:j;DB_CLOSE_ON_EXIT=FALSE");
    assertThat(new JournalSettings(JournalSettings.Kind.H2, "jdbc:h2:mem:j;db_close_on_exit=true", "sa", "").url())
        .as("an explicit choice is kept").isEqualTo("jdbc:h2:mem:j;db_close_on_exit=true");
    JournalSettings pg = new JournalSettings(JournalSettings.Kind.POSTGRES,
        "jdbc:postgresql://db:5432/syncline?user=u&password=inline-secret", "u", "");
    assertThat(pg.url()).doesNotContain("DB_CLOSE_ON_EXIT");
    assertThat(pg.displayUrl()).isEqualTo("jdbc:postgresql://db:5432/syncline");
    assertThat(pg.h2File()).isEmpty();
  }

  @Test
  void shouldSplitTheShippedScriptsIntoStatements() {
    assertThat(JournalSchema.statements(JournalSettings.Kind.H2))
        .hasSize(4)
        .allSatisfy(sql -> assertThat(sql).startsWith("CREATE TABLE IF NOT EXISTS").doesNotContain(";"));
    assertThat(JournalSchema.statements(JournalSettings.Kind.POSTGRES))
        .hasSize(5)
        .allSatisfy(sql -> assertThat(sql).contains("IF NOT EXISTS").doesNotContain(";"));
  }

  @Test
  void shouldSelectTheJdbcPluginsWhateverReferenceConfWinsOnTheClasspath() {
    // what the config looks like when pekko's own reference.conf files come first on the classpath
    Config pluginDefaultsFirst =
        ConfigFactory.parseString(
                "pekko.persistence.journal.plugin = \"\"\n"
                    + "pekko.persistence.snapshot-store.plugin = \"\"\n"
                    + "jdbc-journal.use-shared-db = null\n"
                    + "jdbc-snapshot-store.use-shared-db = null\n"
                    + "jdbc-read-journal.use-shared-db = null")
            .withFallback(ConfigFactory.load());

    Config applied = JournalSettings.applyTo(pluginDefaultsFirst);

    assertThat(applied.getString("pekko.persistence.journal.plugin")).isEqualTo("jdbc-journal");
    assertThat(applied.getString("pekko.persistence.snapshot-store.plugin")).isEqualTo("jdbc-snapshot-store");
    assertThat(applied.getString("jdbc-journal.use-shared-db")).isEqualTo("syncline");
    assertThat(applied.getString("jdbc-snapshot-store.use-shared-db")).isEqualTo("syncline");
    assertThat(applied.getString("jdbc-read-journal.use-shared-db")).isEqualTo("syncline");
  }

  @Test
  void shouldPickProfileAndDriverPerKindAndMakeRelativeH2PathsAbsolute() {
    JournalSettings h2 = new JournalSettings(JournalSettings.Kind.H2, "jdbc:h2:file:data/journal;DB_CLOSE_DELAY=0", "sa", "secret");
    assertThat(h2.url()).isEqualTo("jdbc:h2:file:" + Path.of("data/journal").toAbsolutePath().normalize()
        + ";DB_CLOSE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE");
    assertThat(h2.toString()).doesNotContain("secret");
    assertThat(h2.h2File()).contains(Path.of("data/journal").toAbsolutePath().normalize());
    assertThat(h2.displayUrl()).isEqualTo("jdbc:h2:file:" + Path.of("data/journal").toAbsolutePath().normalize());

    Config postgres =
        JournalSettings.applyTo(
            ConfigFactory.load(
                ConfigFactory.parseString(
                    "syncline.journal { kind = postgres, url = \"jdbc:postgresql://db:5432/syncline\", password = pw }")));
    assertThat(postgres.getString(JournalSettings.SHARED_DB_PATH + ".profile")).isEqualTo("slick.jdbc.PostgresProfile$");
    assertThat(postgres.getString(JournalSettings.SHARED_DB_PATH + ".db.driver")).isEqualTo("org.postgresql.Driver");
    assertThat(postgres.getString(JournalSettings.SHARED_DB_PATH + ".db.url")).isEqualTo("jdbc:postgresql://db:5432/syncline");
    assertThat(postgres.getString(JournalSettings.SHARED_DB_PATH + ".db.password")).isEqualTo("pw");

    assertThatThrownBy(() -> JournalSettings.create(
            ConfigFactory.load(ConfigFactory.parseString("syncline.journal.kind = postgres"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdbc:postgresql:");
  }

  private ActorSystem<Void> start(String name) {
    Config config =
        JournalSettings.applyTo(
            ConfigFactory.load(
                ConfigFactory.parseString(
                    "syncline.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"\n"
                        + "pekko.loglevel = WARNING")));
    return ActorSystem.create(Behaviors.empty(), name, config);
  }

  private static void createSchema(ActorSystem<?> system) throws Exception {
    assertThat(JournalSchema.createIfMissing(system).toCompletableFuture().get(20, TimeUnit.SECONDS))
        .isEqualTo(Done.getInstance());
  }

  private static void add(ActorSystem<?> system, ActorRef<Command> log, String item) throws Exception {
    AskPattern.<Command, Done>ask(log, replyTo -> new Add(item, replyTo), TIMEOUT, system.scheduler())
        .toCompletableFuture()
        .get(20, TimeUnit.SECONDS);
  }

  private static List<String> items(ActorSystem<?> system, ActorRef<Command> log) throws Exception {
    return AskPattern.<Command, List<String>>ask(log, Get::new, TIMEOUT, system.scheduler())
        .toCompletableFuture()
        .get(20, TimeUnit.SECONDS);
  }

  private static void stop(ActorSystem<?> system) throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(Files.exists(Path.of("data", "journal.mv.db"))).as("no journal in the working directory").isFalse();
  }

  sealed interface Command permits Add, Get {}

  record Add(String item, ActorRef<Done> replyTo) implements Command {}

  record Get(ActorRef<List<String>> replyTo) implements Command {}

  /** The persisted event: goes through the jackson-cbor binding of CborSerializable. */
  record Added(String item) implements CborSerializable {}

  /** A tiny event-sourced list of strings. */
  static final class Log extends EventSourcedBehavior<Command, Added, List<String>> {

    static Behavior<Command> create(String id) {
      return new Log(id);
    }

    private Log(String id) {
      super(PersistenceId.ofUniqueId(id));
    }

    @Override
    public List<String> emptyState() {
      return List.of();
    }

    @Override
    public CommandHandler<Command, Added, List<String>> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(Add.class, (state, add) -> Effect().persist(new Added(add.item())).thenRun(s -> add.replyTo().tell(Done.getInstance())))
          .onCommand(Get.class, (state, get) -> Effect().none().thenRun(s -> get.replyTo().tell(s)))
          .build();
    }

    @Override
    public EventHandler<List<String>, Added> eventHandler() {
      return newEventHandlerBuilder()
          .forAnyState()
          .onEvent(Added.class, (state, added) -> {
            List<String> next = new ArrayList<>(state);
            next.add(added.item());
            return List.copyOf(next);
          })
          .build();
    }
  }
}
