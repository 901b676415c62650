package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.embedded.PgServer;
import io.syncline.node.testing.NodeProcess;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, item 9: configuration and permission errors stop the source with their message and are
 * not retried (retrying only hides them, and holds a slot's WAL meanwhile); transient ones (the
 * server not there, a broken connection) are retried with backoff. Node processes, as a user runs them.
 */
class FailureClassificationIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  private Path config(String sourceEntry) throws Exception {
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.reader.min-backoff = 200ms",
        "syncline.sources = [" + sourceEntry + "]",
        "pekko.remote.artery.canonical.port = 0"));
    return config;
  }

  @Test
  void shouldStopWithoutRetryingWhenThePasswordIsWrong() throws Exception {
    PgServer pg = PgServer.shared();
    pg.createDatabase("classify");
    pg.execute("classify", "DROP TABLE IF EXISTS t", "CREATE TABLE t (id int PRIMARY KEY)");
    pg.execute("postgres", "DROP ROLE IF EXISTS classify_user",
        "CREATE ROLE classify_user LOGIN REPLICATION PASSWORD 'right-password'");
    Path config = config("{ kind = postgres, name = cls, host = localhost, port = " + pg.port() + ", database = classify,"
        + " user = classify_user, password = \"wrong-password\", include-tables = [\"public.t\"] }");
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"))) {
      node.awaitLog("stopped, not retried", WAIT);
      String log = node.logText();
      assertThat(log).contains("rejected the password of user 'classify_user'");
      assertThat(log).as("a wrong password is not retried").doesNotContain("retrying in");
      assertThat(log).as("the password is never printed").doesNotContain("wrong-password");
      assertThat(node.awaitExit(WAIT)).as("the node's only source stopped for good: it ends, non-zero").isEqualTo(1);
      assertThat(node.logText()).contains("every source stopped for good (cls)");
    }
  }

  @Test
  void shouldRetryWithBackoffWhileTheServerIsNotThere() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort(); // nothing listens there once closed
    }
    Path config = config("{ kind = postgres, name = gone, host = localhost, port = " + port + ", database = d,"
        + " user = u, include-tables = [\"public.t\"], connect-timeout = 2s }");
    try (NodeProcess node = NodeProcess.start(config, dir.resolve("node.log"))) {
      node.await(() -> node.logText().split("retrying in", -1).length > 3, "three retries", WAIT);
      assertThat(node.logText()).doesNotContain("stopped, not retried");
    }
  }
}
