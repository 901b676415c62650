package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.NodeProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting a node as a new user would, with the mistakes a new user makes: each ends the process
 * with a non-zero status and one clear line naming the fix, without a stack trace at the default
 * log level (the shipped logback.xml). Most need no database.
 */
class NodeStartIT {

  private static final Duration EXIT_BOUND = Duration.ofSeconds(30);
  /** The shipped logging configuration, as a user gets it (the test one logs Pekko at INFO). */
  private static final String DEFAULT_LOGGING = "-Dlogback.configurationFile=logback.xml";
  /** A source that never connects: the node runs, trying again. */
  private static final String UNREACHABLE_SOURCE =
      "syncline.sources = [{ kind = postgres, name = s, host = localhost, port = 1, database = d, include-tables = [\"public.t\"] }]";

  @TempDir
  Path dir;

  @Test
  void shouldExitWithOneLineWhenKafkaHasNoBrokers() throws Exception {
    NodeProcess node = start("kafka", UNREACHABLE_SOURCE, "syncline.transport.sinks = [kafka]");
    assertThat(node.awaitExit(EXIT_BOUND)).as("exit status").isEqualTo(2);
    assertOneClearLine(node, "syncline: ", "syncline.transport.kafka.bootstrap-servers", "SYNCLINE_KAFKA_BOOTSTRAP_SERVERS");
  }

  @Test
  void shouldExitWithOneLineWhenTheKafkaProducerCannotBeMadeFromItsProperties() throws Exception {
    NodeProcess node = start("producer", UNREACHABLE_SOURCE, "syncline.transport.sinks = [kafka]",
        "syncline.transport.kafka { bootstrap-servers = \"127.0.0.1:9\", producer.compression.type = zip }");
    assertThat(node.awaitExit(EXIT_BOUND)).as("exit status").isEqualTo(2);
    assertOneClearLine(node, " ERROR ", "cannot start: Kafka transport: the producer could not be created from"
        + " syncline.transport.kafka", "compression.type");
  }

  @Test
  void shouldRefuseToRunWithoutSources() throws Exception {
    NodeProcess node = start("nosources", "");
    assertThat(node.awaitExit(EXIT_BOUND)).as("exit status").isEqualTo(2);
    assertOneClearLine(node, "syncline: syncline.sources is empty", "add a source");
  }

  @Test
  void shouldNameTheNearestKnownKeyOfEachUnknownKey() throws Exception {
    NodeProcess node = start("typos",
        "syncline.sources = [{ kind = postgres, name = s, database = d, include-tables = [\"public.t\"],",
        "  slot-nmae = x,",
        "  snapshot-mod = never }]",
        "syncline.transprt.sinks = [jsonl]",
        "syncline.reader.idle-table-comit = 5s");
    assertThat(node.awaitExit(EXIT_BOUND)).as("exit status").isEqualTo(2);
    assertOneClearLine(node, "unknown configuration key 'syncline.sources[0].slot-nmae' (typos.conf:2): did you mean 'slot-name'?");
    assertOneClearLine(node, "unknown configuration key 'syncline.sources[0].snapshot-mod' (typos.conf:3): did you mean 'snapshot-mode'?");
    assertOneClearLine(node, "unknown configuration key 'syncline.transprt' (typos.conf:4): did you mean 'transport'?");
    assertOneClearLine(node, "unknown configuration key 'syncline.reader.idle-table-comit' (typos.conf:5): did you mean 'idle-table-commit'?");
    assertThat(Files.exists(dir.resolve("typos-data"))).as("nothing started: no data-dir created").isFalse();
  }

  @Test
  void shouldSayWhereTheConfigurationIsMalformed() throws Exception {
    NodeProcess node = start("malformed", UNREACHABLE_SOURCE, "syncline.reader {", "  min-backoff = 1s");
    assertThat(node.awaitExit(EXIT_BOUND)).as("exit status").isEqualTo(2);
    assertOneClearLine(node, "syncline: cannot read the configuration: ", "malformed.conf, line 6: ", "end of file");
  }

  @Test
  void shouldSayWhyTheDataDirectoryCannotBeCreated() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
    NodeProcess node = start("datadir", UNREACHABLE_SOURCE, "syncline.data-dir = \"" + file.resolve("data") + "\"");
    assertThat(node.awaitExit(EXIT_BOUND)).as("exit status").isEqualTo(1);
    assertOneClearLine(node, "syncline: cannot create data-dir " + file.resolve("data"), file + " is not a directory",
        "syncline.data-dir");
  }

  @Test
  void shouldRefuseASecondNodeOnTheSameDataDirectoryOrPort() throws Exception {
    int port = freePort();
    Path data = dir.resolve("shared-data");
    try (NodeProcess first = start("first", UNREACHABLE_SOURCE, "syncline.data-dir = \"" + data + "\"",
        "pekko.remote.artery.canonical.port = " + port)) {
      first.awaitLog("started 1 source reader(s)", Duration.ofSeconds(60));
      // the data directory and the journal are the owner's only
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("journal.mv.db"))))
          .isEqualTo("rw-------");

      NodeProcess sameDir = start("same-dir", UNREACHABLE_SOURCE, "syncline.data-dir = \"" + data + "\"");
      assertThat(sameDir.awaitExit(EXIT_BOUND)).as("exit status of a second node on the data-dir").isEqualTo(1);
      assertOneClearLine(sameDir, "syncline: data-dir " + data + " is in use by another Syncline node (pid "
          + first.process().pid() + ")", "syncline.data-dir");

      NodeProcess samePort = start("same-port", UNREACHABLE_SOURCE, "pekko.remote.artery.canonical.port = " + port);
      assertThat(samePort.awaitExit(EXIT_BOUND)).as("exit status of a second node on the port").isEqualTo(1);
      assertOneClearLine(samePort, "syncline: cannot listen on 127.0.0.1:" + port, "in use", "SYNCLINE_REMOTE_PORT");
      assertThat(first.isAlive()).as("the first node runs on").isTrue();
    }
  }

  @Test
  void shouldTryAnUnreachableJournalAgainThenGiveUpWithStatus1() throws Exception {
    int closed = freePort(); // nothing listens there: a journal server that is down
    NodeProcess node = start("journal-down", UNREACHABLE_SOURCE,
        "syncline.journal { kind = postgres, url = \"jdbc:postgresql://127.0.0.1:" + closed + "/syncline\","
            + " user = syncline, start-timeout = 3s, start-min-backoff = 500ms, start-max-backoff = 1s }");
    assertThat(node.awaitExit(EXIT_BOUND)).as("exit status").isEqualTo(1);
    String log = node.logText();
    assertThat(log).contains("the journal (postgres at jdbc:postgresql://127.0.0.1:" + closed
        + "/syncline) is not reachable (attempt 1)").contains("(attempt 2)").contains("trying again in");
    assertOneClearLine(node, " ERROR ", "cannot start: the journal (postgres at jdbc:postgresql://127.0.0.1:" + closed
        + "/syncline) is still not reachable after ", "Connection to 127.0.0.1:" + closed + " refused",
        "syncline.journal.url");
  }

  @Test
  void shouldStartOnceTheJournalBecomesReachable() throws Exception {
    PgServer pg = PgServer.shared();
    String database = "journal_late_" + ProcessHandle.current().pid();
    try (NodeProcess node = start("journal-late", UNREACHABLE_SOURCE,
        "syncline.journal { kind = postgres, url = \"jdbc:postgresql://localhost:" + pg.port() + "/" + database + "\","
            + " user = postgres, start-timeout = 60s, start-min-backoff = 500ms, start-max-backoff = 1s }")) {
      node.awaitLog("(attempt 1)", Duration.ofSeconds(60));
      pg.createDatabase(database); // the journal comes up
      node.awaitLog("started 1 source reader(s)", Duration.ofSeconds(30));
      assertThat(node.logText()).contains("the journal is reachable (after ");
      assertThat(node.stop(Duration.ofSeconds(30))).as("exit status after SIGTERM").isZero();
    }
  }

  @Test
  void shouldNameTheMissingPasswordAndTheUnknownHostOfEachSource() throws Exception {
    PgServer pg = PgServer.shared();
    pg.execute("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'node_nopass') THEN"
        + " CREATE ROLE node_nopass LOGIN REPLICATION PASSWORD 'Secret-123'; END IF; END $$");
    MariaDbServer maria = MariaDbServer.shared();
    maria.createUser("node_nopass", "Secret-123", "REPLICATION SLAVE, REPLICATION CLIENT ON *.*");
    try (NodeProcess node = start("source-errors", "syncline.sources = [",
        "  { kind = postgres, name = pg_nopass, port = " + pg.port() + ", database = postgres, user = node_nopass,"
            + " include-tables = [\"public.t\"] },",
        "  { kind = postgres, name = pg_nohost, host = no-such-host.invalid, database = postgres,"
            + " include-tables = [\"public.t\"] },",
        "  { kind = mariadb, name = maria_nopass, port = " + maria.port() + ", user = node_nopass,"
            + " include-tables = [\"shop.t\"] },",
        "  { kind = mariadb, name = maria_nohost, host = no-such-host.invalid, include-tables = [\"shop.t\"] } ]")) {
      node.awaitLog("PostgreSQL asks for the password of user 'node_nopass' and the source sets none",
          Duration.ofSeconds(60));
      node.awaitLog("the server asks for the password of user 'node_nopass' and the source sets none",
          Duration.ofSeconds(60));
      node.await(() -> node.logText().lines().filter(l -> l.contains("host 'no-such-host.invalid' is not known")
          && (l.contains("source 'pg_nohost'") || l.contains("source 'maria_nohost'"))).map(l -> l.contains("pg_nohost"))
          .distinct().count() == 2, "an unknown-host line of both sources", Duration.ofSeconds(60));
      assertThat(node.logText()).doesNotContain("check 'host'/'port'").doesNotContain("connection attempt failed");
      assertThat(node.stop(Duration.ofSeconds(30))).as("exit status after SIGTERM").isZero();
      assertOneClearLine(node, "source 'pg_nopass'", "'password' setting");
    }
  }

  /**
   * Writes {@code <name>.conf}: the lines, then a data-dir and a free port unless they set them (after
   * them, so that line numbers in messages are theirs), and starts a node on it.
   */
  private NodeProcess start(String name, String... lines) throws IOException {
    List<String> conf = new java.util.ArrayList<>(List.of(lines));
    String all = String.join("\n", lines);
    if (!all.contains("syncline.data-dir")) {
      conf.add("syncline.data-dir = \"" + dir.resolve(name + "-data") + "\"");
    }
    if (!all.contains("canonical.port")) {
      conf.add("pekko.remote.artery.canonical.port = 0");
    }
    Path file = dir.resolve(name + ".conf");
    Files.writeString(file, String.join("\n", conf) + "\n");
    return NodeProcess.start(file, dir.resolve(name + ".log"), DEFAULT_LOGGING);
  }

  /**
   * The log holds a line with every fragment, and no stack trace (a line starting with an exception's
   * class name, "at ..." frames, "Caused by", "Exception in thread").
   */
  private static void assertOneClearLine(NodeProcess node, String... fragments) {
    String log = node.logText();
    assertThat(log.lines().filter(l -> java.util.Arrays.stream(fragments).allMatch(l::contains)))
        .as("a line with %s in %s:%n%s", List.of(fragments), node.log().getFileName(), log).isNotEmpty();
    assertThat(log.lines().filter(l -> l.startsWith("\tat ") || l.startsWith("Caused by")
        || l.startsWith("Exception in thread") || l.matches("^[a-z][\\w.$]*\\.[A-Z][\\w$]*(Exception|Error)\\b.*")).toList())
        .as("stack traces in %s:%n%s", node.log().getFileName(), log).isEmpty();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
