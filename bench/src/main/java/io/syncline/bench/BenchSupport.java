package io.syncline.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the benchmarks share: timed reference commands, CPU and memory accounting, statistics of runs. */
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

  /** Wall-clock and CPU seconds (user + system) of a reference command. */
  record Timed(double seconds, double cpuSeconds) {}

  /**
   * Runs a shell command (its output redirected by the command itself, e.g. to /dev/null) and
   * times it; its CPU comes from bash's {@code times} (the shell's finished children).
   *
   * @throws IllegalStateException naming the command when it fails or takes over 10 minutes
   */
  static Timed timed(String command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", command + " && times");
    pb.redirectErrorStream(true);
    long t0 = System.nanoTime();
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("reference command failed (exit " + (p.isAlive() ? "timeout" : p.exitValue())
          + "): " + command + ": " + out);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    String[] lines = out.strip().split("\n");
    return new Timed(seconds, parseTimes(lines[lines.length - 1]));
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

  /** This JVM's peak resident set size in kB ({@code VmHWM} of /proc/self/status). */
  static long peakRssKb() throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalStateException("no VmHWM in /proc/self/status");
  }

  /** What differs by dialect in the standard workload (../shared/BENCHMARK.md): the two statements. */
  interface WorkloadSql {
    /** Inserts ids {@code from..to} with the standard values. */
    String insert(long from, long to);

    /** Updates category and ts of ids {@code from..to}. */
    String update(long from, long to);
  }

  /** The changes: 25 rounds x 4 transactions (insert, insert, update, delete) of {@code rowsPerTxn} rows. */
  static void writeChanges(String name, java.sql.Connection c, int rowsPerTxn, WorkloadSql sql) throws Exception {
    writeChanges(name, c, rowsPerTxn, 25, sql);
  }

  /** The changes: {@code rounds} rounds x 4 transactions (insert, insert, update, delete) of {@code rowsPerTxn} rows. */
  static void writeChanges(String name, java.sql.Connection c, int rowsPerTxn, int rounds, WorkloadSql sql)
      throws Exception {
    long t0 = System.nanoTime();
    try (c; java.sql.Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (int r = 0; r < rounds; r++) {
        long base = (long) r * 2 * rowsPerTxn;
        s.execute(sql.insert(base + 1, base + rowsPerTxn));
        c.commit();
        s.execute(sql.insert(base + rowsPerTxn + 1, base + 2L * rowsPerTxn));
        c.commit();
        s.execute(sql.update(base + 1, base + rowsPerTxn));
        c.commit();
        s.execute("DELETE FROM t WHERE id BETWEEN " + (base + rowsPerTxn + 1) + " AND " + (base + 2L * rowsPerTxn));
        c.commit();
      }
    }
    System.out.printf("%s workload written in %d ms%n", name, (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * What a rate-limited writer achieved.
   *
   * @param changes row changes committed
   * @param seconds from the first transaction's start to the last one's commit
   * @param maxBehindMillis how far behind its schedule the writer fell at worst
   */
  record Paced(long changes, double seconds, long maxBehindMillis) {
    double rate() {
      return changes / seconds;
    }
  }

  /**
   * The latency workload: {@code txnPerSecond} transactions of {@code rowsPerTxn} rows a second for
   * {@code seconds} seconds, on a fixed schedule (transaction k starts at k / txnPerSecond s; a
   * writer behind its schedule goes on at once and the achieved rate says so). Transactions
   * alternate: insert {@code rowsPerTxn} new rows, then update those rows ({@code ts} set again).
   * No deletes: every change's row carries the writer's timestamp of its statement.
   */
  static Paced writePaced(java.sql.Connection c, int rowsPerTxn, int txnPerSecond, int seconds, WorkloadSql sql)
      throws Exception {
    long transactions = (long) txnPerSecond * seconds;
    long periodNanos = 1_000_000_000L / txnPerSecond;
    long maxBehind = 0;
    long t0 = System.nanoTime();
    try (c; java.sql.Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (long k = 0; k < transactions; k++) {
        long due = t0 + k * periodNanos;
        long now = System.nanoTime();
        if (now < due) {
          java.util.concurrent.locks.LockSupport.parkNanos(due - now);
        } else {
          maxBehind = Math.max(maxBehind, now - due);
        }
        long base = (k / 2) * rowsPerTxn;
        s.execute(k % 2 == 0 ? sql.insert(base + 1, base + rowsPerTxn) : sql.update(base + 1, base + rowsPerTxn));
        c.commit();
      }
    }
    return new Paced(transactions * rowsPerTxn, (System.nanoTime() - t0) / 1e9, maxBehind / 1_000_000);
  }

  /**
   * Resets this JVM's peak resident set (VmHWM) to its current resident set (Linux:
   * {@code /proc/self/clear_refs}, value 5).
   *
   * @return false where the kernel does not allow it (the peak then counts from the JVM's start)
   */
  static boolean resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (java.io.IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** The snapshot's existing rows: ids 1..{@code rows} in 10 transactions. */
  static void loadRows(java.sql.Connection c, long rows, WorkloadSql sql) throws Exception {
    try (c; java.sql.Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      long per = rows / 10;
      for (int i = 0; i < 10; i++) {
        s.execute(sql.insert(i * per + 1, i == 9 ? rows : (i + 1) * per));
        c.commit();
      }
    }
  }

  /** The rows of a 4-column query (id first), id → the other three as text; closes the connection. */
  static java.util.Map<Long, List<String>> tableState(java.sql.Connection c, String query) throws Exception {
    java.util.Map<Long, List<String>> rows = new java.util.HashMap<>();
    try (c; java.sql.Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(query)) {
      while (rs.next()) {
        rows.put(rs.getLong(1), java.util.Arrays.asList(rs.getString(2), rs.getString(3), rs.getString(4)));
      }
    }
    return rows;
  }
}
