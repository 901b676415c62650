package io.syncline.bench;

import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.PgServer;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.postgres.PgCapture;
import io.syncline.streams.postgres.PgSourceSettings;
import io.syncline.streams.postgres.PgStart;
import io.syncline.streams.postgres.PgTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * PostgreSQL catch-up of the standard workload (../shared/BENCHMARK.md): the workload runs while
 * capture is stopped, then each reader is started and timed until the last change is delivered.
 * Readers, in the same run on the same WAL: {@code pg_recvlogical} (pgoutput to /dev/null, the
 * reference) and Syncline (decode → envelope JSON → no-op sink). Prints each run, then
 * {@code RESULT} lines with medians and the ratio to the reference.
 */
public final class PgCatchupBench {

  private static final String DB = "bench";

  private PgCatchupBench() {}

  public static void main(String[] args) throws Exception {
    List<String> a = Arrays.asList(args);
    boolean quick = a.contains("--quick");
    int runs = a.contains("--runs") ? Integer.parseInt(a.get(a.indexOf("--runs") + 1)) : 3;
    int rowsPerTxn = quick ? 1_000 : 10_000;
    long changes = 25L * 4 * rowsPerTxn;
    System.out.printf("PostgreSQL catch-up: %d changes (25 rounds x 4 transactions x %d rows), %d runs%n",
        changes, rowsPerTxn, runs);

    Path data = Files.createTempDirectory("syncline-bench-pg");
    ActorSystem system = ActorSystem.create("bench", ConfigFactory.parseString("pekko.loglevel = WARNING"));
    List<Double> reference = new ArrayList<>();
    List<Double> ours = new ArrayList<>();
    try (PgServer pg = PgServer.start(Map.of("max_wal_size", "4GB", "shared_buffers", "256MB"), data)) {
      pg.createDatabase(DB);
      System.out.printf("server: PostgreSQL %s (embedded), java %s%n", pg.version(), System.getProperty("java.version"));
      for (int run = 1; run <= runs; run++) {
        long endLsn = prepareRun(pg, rowsPerTxn);
        // alternate which reader goes first, so neither always gets the warmer caches
        double ref;
        double syn;
        double[] cpu = new double[4];
        if (run % 2 == 1) {
          ref = changes / recvlogicalSeconds(pg, data, endLsn);
          cpu[0] = lastClientCpu;
          cpu[1] = lastServerCpu;
          syn = changes / synclineSeconds(system, pg, data, changes);
          cpu[2] = lastClientCpu;
          cpu[3] = lastServerCpu;
        } else {
          syn = changes / synclineSeconds(system, pg, data, changes);
          cpu[2] = lastClientCpu;
          cpu[3] = lastServerCpu;
          ref = changes / recvlogicalSeconds(pg, data, endLsn);
          cpu[0] = lastClientCpu;
          cpu[1] = lastServerCpu;
        }
        System.out.printf("run %d cpu seconds: pg_recvlogical client %.1f + walsender %.1f; syncline jvm %.1f + walsender %.1f%n",
            run, cpu[0], cpu[1], cpu[2], cpu[3]);
        reference.add(ref);
        ours.add(syn);
        System.out.printf("run %d: pg_recvlogical %.0f rows/s, syncline noop %.0f events/s, ratio %.2f%n",
            run, ref, syn, syn / ref);
        dropSlots(pg);
      }
    } finally {
      system.terminate();
    }
    double refMedian = BenchSupport.median(reference);
    double synMedian = BenchSupport.median(ours);
    double ratioMedian = BenchSupport.median(BenchSupport.ratios(ours, reference));
    System.out.printf("RESULT name=pg_recvlogical_catchup value=%.0f unit=rows/s ratio=na reference=na%n", refMedian);
    System.out.printf("RESULT name=pg_catchup_noop value=%.0f unit=events/s ratio=%.2f reference=pg_recvlogical%n",
        synMedian, ratioMedian);
    System.exit(0);
  }

  /** Fresh table and slots, then the workload; returns an LSN at or after the workload's last change. */
  private static long prepareRun(PgServer pg, int rowsPerTxn) throws Exception {
    pg.execute(DB,
        "DROP TABLE IF EXISTS t",
        "CREATE TABLE t (id BIGINT PRIMARY KEY, category VARCHAR(32), domain VARCHAR(64), ts TIMESTAMP)",
        "CREATE INDEX t_domain ON t (domain)",
        "DROP PUBLICATION IF EXISTS bench_pub",
        "CREATE PUBLICATION bench_pub FOR TABLE t",
        "SELECT pg_create_logical_replication_slot('bench_ref', 'pgoutput')",
        "SELECT pg_create_logical_replication_slot('bench_syncline', 'pgoutput')");
    long t0 = System.nanoTime();
    try (Connection c = pg.connect(DB); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (int r = 0; r < 25; r++) {
        long base = (long) r * 2 * rowsPerTxn;
        String values = "'cat' || (g % 16), 'host' || g || '.d' || (g % 1000) || '.example.com', now()";
        s.execute("INSERT INTO t SELECT g, " + values + " FROM generate_series(" + (base + 1) + ", " + (base + rowsPerTxn) + ") g");
        c.commit();
        s.execute("INSERT INTO t SELECT g, " + values + " FROM generate_series(" + (base + rowsPerTxn + 1) + ", "
            + (base + 2L * rowsPerTxn) + ") g");
        c.commit();
        s.execute("UPDATE t SET category = 'cat' || ((id + 1) % 16), ts = now() WHERE id BETWEEN " + (base + 1) + " AND "
            + (base + rowsPerTxn));
        c.commit();
        s.execute("DELETE FROM t WHERE id BETWEEN " + (base + rowsPerTxn + 1) + " AND " + (base + 2L * rowsPerTxn));
        c.commit();
      }
      ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text");
      rs.next();
      long end = io.syncline.persistence.Lsn.parse(rs.getString(1)).value();
      // a record past the end, so pg_recvlogical sees --endpos reached without waiting for a keepalive
      s.execute("SELECT pg_logical_emit_message(false, 'bench-end', '')");
      c.commit();
      System.out.printf("workload written in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      return end;
    }
  }

  /** CPU seconds of the last measured reader itself, and of the server's walsender for it. */
  private static double lastClientCpu;
  private static double lastServerCpu;

  private static double recvlogicalSeconds(PgServer pg, Path data, long endLsn) throws Exception {
    String cmd = String.join(" ", "pg_recvlogical", "-h", "localhost", "-p", String.valueOf(pg.port()),
        "-U", "postgres", "-d", DB, "--slot", "bench_ref", "--start", "--no-loop",
        "-o", "proto_version=1", "-o", "publication_names=bench_pub", "-o", "messages=true",
        "-E", new io.syncline.persistence.Lsn(endLsn).toString(), "-f", "/dev/null");
    // `times` prints the CPU time of the shell's finished children: pg_recvlogical's own CPU
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", cmd + " && times");
    pb.redirectErrorStream(true);
    double serverBefore = serverChildrenCpuSeconds(data);
    long t0 = System.nanoTime();
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("pg_recvlogical failed (exit " + (p.isAlive() ? "timeout" : p.exitValue()) + "): " + out);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    String[] lines = out.strip().split("\n");
    lastClientCpu = BenchSupport.parseTimes(lines[lines.length - 1]);
    lastServerCpu = awaitServerChildrenCpu(pg, data, serverBefore);
    return seconds;
  }

  /**
   * CPU seconds of the server's exited backends (the postmaster's reaped children: a walsender's
   * CPU lands here once its connection ends), from /proc/&lt;postmaster pid&gt;/stat.
   */
  static double serverChildrenCpuSeconds(Path data) throws Exception {
    long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    return BenchSupport.procCpuSeconds(pid, true);
  }

  /** Waits (up to 30 s) until no bench slot is active (walsenders exited and reaped), then returns the server CPU used. */
  private static double awaitServerChildrenCpu(PgServer pg, Path data, double before) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (Connection c = pg.connect(DB); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'bench_%' AND active")) {
        rs.next();
        if (rs.getLong(1) == 0) {
          break;
        }
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    TimeUnit.MILLISECONDS.sleep(300); // the postmaster reaps the exited walsender
    return serverChildrenCpuSeconds(data) - before;
  }

  private static double synclineSeconds(ActorSystem system, PgServer pg, Path data, long changes) throws Exception {
    double serverBefore = serverChildrenCpuSeconds(data);
    double jvmBefore = BenchSupport.processCpuSeconds();
    PgSourceSettings settings = PgSourceSettings.create(ConfigFactory.parseMap(Map.of(
            "name", "bench", "host", "localhost", "port", pg.port(), "database", DB, "user", "postgres",
            "include-tables", List.of("public.t"), "slot-name", "bench_syncline", "publication-name", "bench_pub",
            "snapshot-mode", "never", "create-publication", false)),
        ConfigFactory.load().getConfig("syncline.source-defaults.postgres"));
    long t0 = System.nanoTime();
    List<PgTable> tables = PgCapture.prepare(settings);
    Pair<CaptureControl, Source<List<CaptureRecord>, NotUsed>> pre =
        PgCapture.source(settings, new PgStart(tables, Map.of())).preMaterialize(system);
    long end = BenchSupport.deliverNoop(system, pre, settings.maxBatchSize(), changes,
        () -> lastClientCpu = BenchSupport.processCpuSeconds() - jvmBefore);
    lastServerCpu = awaitServerChildrenCpu(pg, data, serverBefore);
    return (end - t0) / 1e9;
  }

  /** Drops both slots once their walsenders have let go of them (a moment after the readers stop). */
  private static void dropSlots(PgServer pg) {
    pg.dropSlotWhenReleased(DB, "bench_ref", java.time.Duration.ofSeconds(30));
    pg.dropSlotWhenReleased(DB, "bench_syncline", java.time.Duration.ofSeconds(30));
  }
}
