package io.syncline.node.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A Syncline node as a user runs it: {@code Main run --config FILE} in a JVM of its own (the test
 * classpath, so logging goes to its log file at INFO). Stopped with SIGTERM ({@link #stop()}) or
 * SIGKILL ({@link #kill()}), started again on the same config and data directory by
 * {@link #start(Path, Path)} with another log file. Shared by every node-level test.
 */
public final class NodeProcess implements AutoCloseable {

  private final Process process;
  private final Path log;

  private NodeProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code syncline run --config config}, stdout and stderr into {@code log}. */
  public static NodeProcess start(Path config, Path log, String... jvmOptions) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.addAll(List.of(jvmOptions));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.syncline.node.Main", "run", "--config",
        config.toString()));
    return run(cmd, log);
  }

  /** Starts {@code syncline <args>} (any command), stdout and stderr into {@code log}. */
  public static NodeProcess command(Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.syncline.node.Main"));
    cmd.addAll(List.of(args));
    return run(cmd, log);
  }

  private static NodeProcess run(List<String> cmd, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    return new NodeProcess(pb.start(), log);
  }

  public Process process() {
    return process;
  }

  public Path log() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Sets the node's soft limit on the size of files it writes ({@code RLIMIT_FSIZE}, Linux's
   * {@code prlimit}): a write that would grow a file past it writes what fits and then fails with
   * EFBIG ("File too large"), as a full disk does. {@code "unlimited"} lifts it again.
   */
  public void limitFileSize(String bytes) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(process.pid()), "--fsize=" + bytes + ":")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("prlimit --fsize=" + bytes + " on the node failed: " + out);
    }
  }

  /** SIGKILL: no shutdown hook, no flush. Waits until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM and wait up to {@code timeout} for the exit; returns the exit status (fails if it did not exit). */
  public int stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      throw new AssertionError("node did not exit within " + timeout + " of SIGTERM; last lines of its log:\n" + tail(40));
    }
    return process.exitValue();
  }

  /** Waits for the process to end by itself; returns its exit status. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("node still running after " + timeout + "; last lines of its log:\n" + tail(40));
    }
    return process.exitValue();
  }

  /** Waits until the log holds {@code text}; fails when the process ends first or after {@code timeout}. */
  public void awaitLog(String text, Duration timeout) {
    await(() -> logText().contains(text), "'" + text + "' in the log", timeout);
  }

  /**
   * Waits for {@code condition} while the node runs; fails naming {@code what} with the log's tail
   * when the node dies or the time is up.
   */
  public void await(BooleanSupplier condition, String what, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return;
      }
      if (!process.isAlive()) {
        throw new AssertionError("node exited (status " + process.exitValue() + ") while waiting for " + what
            + "; " + keepLog() + "; last lines of its log:\n" + tail(60));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no " + what + " within " + timeout + "; " + keepLog()
            + "; last lines of the node's log:\n" + tail(60));
      }
      LockSupport.parkNanos(100_000_000L);
    }
  }

  /** The log's length now: a mark for {@link #awaitLogSince}. */
  public int logMark() {
    return logText().length();
  }

  /**
   * Waits until the log written after {@code mark} ({@link #logMark()}) holds {@code text} at
   * least {@code times} times (e.g. a failure, then a failed retry).
   */
  public void awaitLogSince(int mark, String text, int times, Duration timeout) {
    await(() -> {
      String since = logText().substring(Math.min(mark, logText().length()));
      int n = 0;
      for (int i = since.indexOf(text); i >= 0 && n < times; i = since.indexOf(text, i + 1)) {
        n++;
      }
      return n >= times;
    }, times + " x '" + text + "' in the log", timeout);
  }

  /**
   * Copies the log to {@code target/node-logs/} (the test's temporary directory goes with the
   * test) and says where: for a failure's message.
   */
  public String keepLog() {
    try {
      Path kept = Files.createDirectories(Path.of("target", "node-logs"))
          .resolve(process.pid() + "-" + log.getFileName());
      Files.copy(log, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      return "whole log kept in " + kept.toAbsolutePath();
    } catch (IOException e) {
      return "log not kept: " + e.getMessage();
    }
  }

  /** The node's thread dump ({@code jstack}), to see where a node that stopped making progress waits. */
  public String threadDump() {
    try {
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstack").toString(),
          String.valueOf(process.pid())).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      p.waitFor(30, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      return "(no thread dump: " + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted)";
    }
  }

  /** The whole log so far. */
  public String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** The last {@code lines} lines of the log. */
  public String tail(int lines) {
    List<String> all = logText().lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** SIGKILL if still running. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
