package io.syncline.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
 * waits for its {@code READY} and {@code DONE} lines on stdout, and reads its result. The child's
 * logs (stderr) go to the parent's stderr. JVM options of the child: {@code SYNCLINE_BENCH_READER_OPTS}
 * (default {@value #DEFAULT_OPTS}).
 */
final class ReaderProcess implements AutoCloseable {

  static final String DEFAULT_OPTS = "-Xmx1g";

  /**
   * What a reader measured.
   *
   * @param seconds from preparing the source to the last event delivered
   * @param events events delivered
   * @param bytes key + envelope bytes handed to the sink
   * @param cpuSeconds CPU of the reader's JVM (all threads: GC and JIT included) over those seconds
   * @param peakRssKb the reader JVM's peak resident set (VmHWM), start-up included
   * @param p50Millis lag from source commit to sink acknowledgement, median, of streamed events
   * @param p99Millis the same, 99th percentile
   * @param endEpochMillis wall-clock time once the stream has stopped (a few ms after the last delivery;
   *     the live figures count from the first commit to this)
   */
  record Result(double seconds, long events, long bytes, double cpuSeconds, long peakRssKb, long p50Millis,
      long p99Millis, long endEpochMillis) {

    String line() {
      return String.format(Locale.ROOT, "DONE seconds=%.6f events=%d bytes=%d cpu=%.3f rss_kb=%d p50_ms=%d p99_ms=%d end_ms=%d",
          seconds, events, bytes, cpuSeconds, peakRssKb, p50Millis, p99Millis, endEpochMillis);
    }

    static Result parse(String line) {
      Map<String, String> f = new HashMap<>();
      for (String part : line.substring("DONE ".length()).trim().split(" ")) {
        int eq = part.indexOf('=');
        f.put(part.substring(0, eq), part.substring(eq + 1));
      }
      return new Result(Double.parseDouble(f.get("seconds")), Long.parseLong(f.get("events")),
          Long.parseLong(f.get("bytes")), Double.parseDouble(f.get("cpu")), Long.parseLong(f.get("rss_kb")),
          Long.parseLong(f.get("p50_ms")), Long.parseLong(f.get("p99_ms")), Long.parseLong(f.get("end_ms")));
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

  private ReaderProcess(Process process) {
    this.process = process;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  /** Starts a reader with these {@code key=value} arguments. */
  static ReaderProcess start(List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String opts = System.getenv().getOrDefault("SYNCLINE_BENCH_READER_OPTS", DEFAULT_OPTS).trim();
    if (!opts.isEmpty()) {
      cmd.addAll(List.of(opts.split("\\s+")));
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SynclineReader.class.getName()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
    return new ReaderProcess(pb.start());
  }

  /** Waits until the reader's stream runs. */
  void awaitReady() throws IOException, InterruptedException {
    expect("READY");
  }

  /** Waits for the reader's result (it exits right after). */
  Result awaitDone() throws IOException, InterruptedException {
    Result r = Result.parse(expect("DONE "));
    process.waitFor(1, TimeUnit.MINUTES);
    return r;
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

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
    }
  }
}
