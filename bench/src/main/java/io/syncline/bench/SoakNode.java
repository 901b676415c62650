package io.syncline.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The soak's node: {@code io.syncline.node.Main run --config FILE} from cluster-node's jars in a
 * JVM of its own, as bin/syncline runs it (-Xmx256m); each start logs into {@code node-<n>.log}.
 */
final class SoakNode {

  private final String classpath;
  private final Path work;
  private final Path config;
  private Process process;
  private Path log;
  private int starts;

  SoakNode(String classpath, Path work, Path config) {
    this.classpath = classpath;
    this.work = work;
    this.config = config;
  }

  Path config() {
    return config;
  }

  void start() throws IOException {
    starts++;
    log = work.resolve("node-" + starts + ".log");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", classpath, "io.syncline.node.Main", "run", "--config", config.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    process = pb.start();
    Soak.log("  node started (pid %d, log %s)", process.pid(), log.getFileName());
  }

  /** SIGKILL; waits until the process is gone. */
  void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** SIGTERM; the exit status (SIGKILL and -1 when it did not exit in time). */
  int stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      Soak.log("  node did not exit within %d s of SIGTERM: killed", timeout.toSeconds());
      kill();
      return -1;
    }
    return process.exitValue();
  }

  /** Fails when the node ended by itself (the last lines of its log say why). */
  void checkAlive() throws IOException {
    if (!process.isAlive()) {
      throw new IllegalStateException("the node exited by itself (status " + process.exitValue() + "); last lines of "
          + log + ":\n" + tail(40));
    }
  }

  boolean alive() {
    return process.isAlive();
  }

  /** Waits for {@code text} in the current log. */
  void awaitLog(String text, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Files.readString(log).contains(text)) {
      checkAlive();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no '" + text + "' in " + log + " within " + timeout);
      }
      Soak.park(Duration.ofMillis(200));
    }
  }

  String tail(int lines) throws IOException {
    List<String> all = Files.readAllLines(log);
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }
}
