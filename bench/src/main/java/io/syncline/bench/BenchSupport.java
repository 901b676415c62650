package io.syncline.bench;

import java.lang.management.ManagementFactory;
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
}
