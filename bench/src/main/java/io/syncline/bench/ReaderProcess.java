package io.syncline.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The parent's side of a {@link SynclineReader} child JVM: starts it with the benchmark's class path,
 * hands it jobs (one line of {@code key=value} arguments on its stdin each), waits for each job's
 * {@code READY} and {@code DONE} lines on its stdout and reads the result. A reader used for one job
 * only ({@link BenchSuite}'s default) measures that job alone; one reused across jobs (the quick run)
 * carries JIT warm-up and resident memory from one job to the next. The child's logs (stderr) go to
 * the parent's stderr. JVM options of the child: {@code SYNCLINE_BENCH_READER_OPTS} (default
 * {@link #DEFAULT_OPTS}, the options {@code bin/syncline} gives the node).
 */
final class ReaderProcess implements AutoCloseable {

  /** The node's default JVM options ({@code SYNCLINE_JAVA_OPTS} of {@code bin/syncline}); keep them alike. */
  static final String DEFAULT_OPTS = "-Xmx256m";

  /**
   * What a reader measured in one job.
   *
   * @param seconds from preparing the source to the last event delivered
   * @param events events delivered
   * @param bytes key + envelope bytes handed to the sink
   * @param cpuSeconds CPU of the reader's JVM (all threads: GC and JIT included) over those seconds
   * @param peakRssKb the reader JVM's peak resident set (VmHWM): over the job when {@code rssReset}, else
   *     since the JVM started
   * @param rssReset whether the peak was reset at the job's start ({@code /proc/self/clear_refs})
   * @param p50Millis lag from source commit to sink acknowledgement, median, of streamed events
   *     (after the job's warm-up events, if it has any)
   * @param p99Millis the same, 99th percentile
   * @param maxMillis the same, largest
   * @param allP99Millis 99th percentile of the lag over the whole job, warm-up included
   * @param allMaxMillis largest lag over the whole job, warm-up included
   * @param endEpochMillis wall-clock time once the stream has stopped (a few ms after the last delivery;
   *     the live figures count from the first commit to this)
   */
  record Result(double seconds, long events, long bytes, double cpuSeconds, long peakRssKb, boolean rssReset,
      long p50Millis, long p99Millis, long maxMillis, long allP99Millis, long allMaxMillis, long endEpochMillis) {

    String line() {
      return String.format(Locale.ROOT, "DONE seconds=%.6f events=%d bytes=%d cpu=%.3f rss_kb=%d rss_reset=%b"
              + " p50_ms=%d p99_ms=%d max_ms=%d all_p99_ms=%d all_max_ms=%d end_ms=%d",
          seconds, events, bytes, cpuSeconds, peakRssKb, rssReset, p50Millis, p99Millis, maxMillis, allP99Millis,
          allMaxMillis, endEpochMillis);
    }

    static Result parse(String line) {
      Map<String, String> f = new HashMap<>();
      for (String part : line.substring("DONE ".length()).trim().split(" ")) {
        int eq = part.indexOf('=');
        f.put(part.substring(0, eq), part.substring(eq + 1));
      }
      return new Result(Double.parseDouble(f.get("seconds")), Long.parseLong(f.get("events")),
          Long.parseLong(f.get("bytes")), Double.parseDouble(f.get("cpu")), Long.parseLong(f.get("rss_kb")),
          Boolean.parseBoolean(f.get("rss_reset")), Long.parseLong(f.get("p50_ms")), Long.parseLong(f.get("p99_ms")),
          Long.parseLong(f.get("max_ms")), Long.parseLong(f.get("all_p99_ms")), Long.parseLong(f.get("all_max_ms")),
          Long.parseLong(f.get("end_ms")));
    }

    double eventsPerSecond() {
      return events / seconds;
    }

    double megabytesPerSecond() {
      return bytes / seconds / 1e6;
    }

    double peakRssMegabytes() {
      return peakRssKb / 1024.0;
    }
  }

  private final Process process;
  private final BufferedReader out;
  private final Writer in;
  private int jobs;
  private boolean busy;
  private boolean started;

  private ReaderProcess(Process process) {
    this.process = process;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  /** Starts a reader JVM waiting for jobs. */
  static ReaderProcess start() throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String opts = System.getenv().getOrDefault("SYNCLINE_BENCH_READER_OPTS", DEFAULT_OPTS).trim();
    if (!opts.isEmpty()) {
      cmd.addAll(List.of(opts.split("\\s+")));
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SynclineReader.class.getName()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
    return new ReaderProcess(pb.start());
  }

  /** Hands the reader a job with these {@code key=value} arguments (none may hold a space) and waits until its stream runs. */
  void begin(List<String> args) throws IOException, InterruptedException {
    for (String arg : args) {
      if (arg.contains(" ")) {
        throw new IllegalArgumentException("reader argument '" + arg + "' holds a space");
      }
    }
    awaitStarted();
    in.write(String.join(" ", args) + "\n");
    in.flush();
    jobs++;
    busy = true;
    expect("READY");
  }

  /** Waits until the reader JVM is up (its actor system started) and waits for jobs. */
  void awaitStarted() throws IOException, InterruptedException {
    if (!started) {
      expect("STARTED");
      started = true;
    }
  }

  /** Waits for the current job's result. */
  Result awaitDone() throws IOException, InterruptedException {
    Result r = Result.parse(expect("DONE "));
    busy = false;
    return r;
  }

  /** Jobs handed to this reader so far. */
  int jobs() {
    return jobs;
  }

  private String expect(String prefix) throws IOException, InterruptedException {
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith(prefix)) {
        return line;
      }
      System.err.println("reader: " + line);
    }
    process.waitFor(30, TimeUnit.SECONDS);
    throw new IllegalStateException("the Syncline reader exited (" + (process.isAlive() ? "still running" : "exit "
        + process.exitValue()) + ") before printing " + prefix.trim() + ": see its log above");
  }

  /**
   * Closes the reader's stdin and waits (up to 30 s) for it to exit; a reader still in a job (the
   * parent gave up on it) is killed at once.
   */
  @Override
  public void close() throws InterruptedException {
    if (busy) {
      process.destroy();
    }
    try {
      in.close();
    } catch (IOException e) {
      // the reader is gone already
    }
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroy();
    }
  }
}
