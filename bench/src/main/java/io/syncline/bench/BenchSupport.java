package io.syncline.bench;

import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.DeliveryPipeline;
import io.syncline.streams.capture.Progress;
import io.syncline.streams.transport.NoopTransport;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the catch-up benchmarks share: CPU accounting and the statistics of their runs. */
final class BenchSupport {

  private BenchSupport() {}

  /** "0m1.234s 0m0.456s" (user, system, as bash's {@code times} prints them) → seconds. */
  static double parseTimes(String line) {
    double total = 0;
    for (String part : line.trim().split("\\s+")) {
      int m = part.indexOf('m');
      total += Double.parseDouble(part.substring(0, m)) * 60 + Double.parseDouble(part.substring(m + 1, part.length() - 1));
    }
    return total;
  }

  /** CPU seconds this JVM has used (all threads). */
  static double processCpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime() / 1e9;
  }

  /**
   * CPU seconds (user + system) from /proc/&lt;pid&gt;/stat: of the process itself ({@code children}
   * false), or of its exited and reaped children ({@code children} true).
   */
  static double procCpuSeconds(long pid, boolean children) throws Exception {
    String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // after the command name: field 3 is f[0]; utime, stime are fields 14, 15; cutime, cstime 16, 17
    int first = children ? 13 : 11;
    long ticks = Long.parseLong(f[first]) + Long.parseLong(f[first + 1]);
    return ticks / 100.0;
  }

  static List<Double> ratios(List<Double> a, List<Double> b) {
    List<Double> r = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      r.add(a.get(i) / b.get(i));
    }
    return r;
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(Double::compare);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  /**
   * Runs a pre-materialized capture source through the delivery pipeline into the no-op transport,
   * acknowledging like the source reader, until {@code changes} events are delivered. Runs
   * {@code atEnd} at that moment (CPU readings), then stops the stream.
   *
   * @return {@link System#nanoTime()} when the last event was delivered
   */
  static long deliverNoop(ActorSystem system, Pair<CaptureControl, Source<List<CaptureRecord>, NotUsed>> pre,
      int maxBatchSize, long changes, Runnable atEnd) throws Exception {
    CaptureControl control = pre.first();
    AtomicLong delivered = new AtomicLong();
    CompletableFuture<Long> finished = new CompletableFuture<>();
    Pair<UniqueKillSwitch, java.util.concurrent.CompletionStage<Done>> run = pre.second()
        .viaMat(KillSwitches.single(), Keep.right())
        .via(DeliveryPipeline.flow(new NoopTransport(), Map.of(), new CaptureMetrics(), maxBatchSize))
        .map((Progress p) -> {
          if (p.ack() != null) {
            control.acknowledge(p.ack());
          }
          if (delivered.addAndGet(p.events()) >= changes) {
            finished.complete(System.nanoTime());
          }
          return p;
        })
        .toMat(Sink.ignore(), Keep.both())
        .run(system);
    run.second().whenComplete((d, e) -> {
      if (e != null) {
        finished.completeExceptionally(e);
      }
    });
    long end = finished.get(10, TimeUnit.MINUTES);
    atEnd.run();
    run.first().shutdown();
    run.second().toCompletableFuture().get(1, TimeUnit.MINUTES);
    if (delivered.get() != changes) {
      throw new IllegalStateException("Syncline delivered " + delivered.get() + " events, expected " + changes);
    }
    return end;
  }
}
