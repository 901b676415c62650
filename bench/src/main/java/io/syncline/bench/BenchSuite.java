package io.syncline.bench;

import io.syncline.embedded.KafkaServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;

/**
 * The benchmark suite of the standard workload (../shared/BENCHMARK.md), {@code bench/run}: on each
 * embedded database (PostgreSQL, MariaDB), per run,
 * <ul>
 *   <li><b>catch-up</b>: the workload written while nothing reads, then each reader timed draining
 *       it: the database's references and a Syncline reader per sink (no-op, JSON lines, Kafka),
 *       in an order that rotates from run to run;</li>
 *   <li><b>live</b>: a Syncline reader running while the workload is written (no-op and Kafka sinks):
 *       throughput against the rate the workload was written at, lag p50/p99 from source commit to
 *       sink acknowledgement;</li>
 *   <li><b>snapshot</b>: a table of 1M rows (quick: 100k) read by the database's own export and by
 *       Syncline's initial snapshot into the no-op sink;</li>
 *   <li><b>latency</b>: a paced writer (100 transactions of 100 rows a second for 10 s of warm-up
 *       and 60 s measured) while a reader streams into Kafka: lag p50/p99/max from source commit to
 *       Kafka acknowledgement;</li>
 *   <li><b>memory</b> (only when asked for): catch-up of 1M and of 10M changes (quick: 100k and 1M)
 *       per sink (no-op, Kafka), the reader's peak RSS at both sizes.</li>
 * </ul>
 * Every Syncline reader is a child JVM ({@link ReaderProcess}): in the full run one per reading, so
 * its peak RSS and CPU are that reading's own; in the quick run one for the whole session, reused by
 * every reading (warm after its first; its peak RSS reset per reading where the kernel allows, but
 * holding what earlier readings left resident). The servers (Kafka broker, PostgreSQL, MariaDB) start at once, in parallel, before
 * anything is measured. Ends with the run-by-run table and one {@code RESULT} line per figure
 * (medians over the runs).
 *
 * <p>Options: {@code --source postgres|mariadb|all} (default all), {@code --quick} (100k changes,
 * 100k snapshot rows, 1 run unless {@code --runs}), {@code --runs N} (default 3),
 * {@code --sinks noop,jsonl,kafka}, {@code --modes catchup,live,snapshot,latency,memory} (default
 * catchup,live,snapshot,latency; quick: catchup,live,snapshot), {@code --latency-seconds N} (default 60).
 */
public final class BenchSuite {

  private static final List<String> SINKS = List.of("noop", "jsonl", "kafka");
  private static final List<String> MODES = List.of("catchup", "live", "snapshot", "latency", "memory");

  /** The latency workload: this many transactions a second of {@link #LATENCY_ROWS_PER_TXN} rows each. */
  static final int LATENCY_TXN_PER_SECOND = 100;
  static final int LATENCY_ROWS_PER_TXN = 100;
  /**
   * Seconds written at the same rate before the measured ones: a fresh reader JVM's first seconds
   * (JIT, the producer's first metadata) are not the sustained rate's; their lag is reported
   * apart ({@code _with_warmup_p99}).
   */
  static final int LATENCY_WARMUP_SECONDS = 10;

  /** What to run. */
  record Options(List<String> sources, boolean quick, int runs, List<String> sinks, List<String> modes,
      int latencySeconds) {

    Options {
      if (runs < 1) {
        throw new IllegalArgumentException("--runs " + runs + ": at least 1");
      }
      if (latencySeconds < 1) {
        throw new IllegalArgumentException("--latency-seconds " + latencySeconds + ": at least 1");
      }
      for (String s : sinks) {
        if (!SINKS.contains(s)) {
          throw new IllegalArgumentException("--sinks: unknown sink '" + s + "', use " + String.join(",", SINKS));
        }
      }
      for (String m : modes) {
        if (!MODES.contains(m)) {
          throw new IllegalArgumentException("--modes: unknown mode '" + m + "', use " + String.join(",", MODES));
        }
      }
    }

    static Options parse(String[] args) {
      List<String> a = Arrays.asList(args);
      boolean quick = a.contains("--quick");
      String source = value(a, "--source", "all");
      List<String> sources = switch (source) {
        case "all" -> List.of("postgres", "mariadb");
        case "postgres", "postgresql" -> List.of("postgres");
        case "mariadb" -> List.of("mariadb");
        default -> throw new IllegalArgumentException("--source " + source + ": use postgres, mariadb or all");
      };
      return new Options(sources, quick, Integer.parseInt(value(a, "--runs", quick ? "1" : "3")),
          List.of(value(a, "--sinks", String.join(",", SINKS)).split(",")),
          List.of(value(a, "--modes", quick ? "catchup,live,snapshot" : "catchup,live,snapshot,latency").split(",")),
          Integer.parseInt(value(a, "--latency-seconds", "60")));
    }

    private static String value(List<String> a, String option, String otherwise) {
      int i = a.indexOf(option);
      if (i < 0) {
        return otherwise;
      }
      if (i + 1 >= a.size()) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return a.get(i + 1);
    }

    int rowsPerTxn() {
      return quick ? 1_000 : 10_000;
    }

    /** 25 rounds x 4 transactions. */
    long changes() {
      return 100L * rowsPerTxn();
    }

    long snapshotRows() {
      return quick ? 100_000 : 1_000_000;
    }

    /** Backlogs of the memory mode, in rounds of 4 transactions: 1M and 10M changes (quick: 100k and 1M). */
    List<Integer> memoryRounds() {
      return List.of(25, 250);
    }

    /** One reader JVM for the whole session, reused across databases, sinks and modes (the quick run), or one per reading. */
    boolean reuseReaders() {
      return quick;
    }
  }

  private final Options options;
  private final KafkaServer kafka;
  private final Figures figures = new Figures();

  private BenchSuite(Options options, KafkaServer kafka) {
    this.options = options;
    this.kafka = kafka;
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    long t0 = System.nanoTime();
    System.out.printf("Syncline benchmark: %s; %d changes (25 rounds x 4 transactions x %d rows), snapshot %d rows;"
            + " modes %s; sinks %s; %d run(s); reader JVMs %s (%s); java %s, %d cores%n", o.sources(), o.changes(),
        o.rowsPerTxn(), o.snapshotRows(), o.modes(), o.sinks(), o.runs(),
        o.reuseReaders() ? "one, reused by every reading" : "one per reading",
        System.getenv().getOrDefault("SYNCLINE_BENCH_READER_OPTS", ReaderProcess.DEFAULT_OPTS),
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
    // the servers (and the quick run's reader JVM) start at once (MariaDB's 10-15 s dominate), all
    // before anything is measured
    Readers readers = new Readers(o.reuseReaders());
    readers.startEarly();
    ExecutorService starting = Executors.newCachedThreadPool();
    boolean kafkaNeeded = o.sinks().contains("kafka") || o.modes().contains("latency");
    Future<KafkaServer> kafkaStart = kafkaNeeded ? starting.submit(() -> KafkaServer.start()) : null;
    Map<String, Future<BenchDatabase>> dbStarts = new LinkedHashMap<>();
    for (String source : o.sources()) {
      dbStarts.put(source, starting.submit(() -> source.equals("postgres") ? PgBench.start() : MariaDbBench.start()));
    }
    starting.shutdown();
    List<AutoCloseable> servers = new ArrayList<>();
    try (readers) {
      KafkaServer kafka = kafkaStart == null ? null : started(kafkaStart, servers);
      List<BenchDatabase> dbs = new ArrayList<>();
      for (Future<BenchDatabase> f : dbStarts.values()) {
        dbs.add(started(f, servers));
      }
      readers.awaitIdle();
      System.out.printf(Locale.ROOT, "servers started in %.1f s%n", (System.nanoTime() - t0) / 1e9);
      BenchSuite suite = new BenchSuite(o, kafka);
      for (BenchDatabase db : dbs) {
        servers.remove(db); // closed here, after its runs, not again at the end
        try (db) {
          System.out.println(db.describe());
          for (int run = 1; run <= o.runs(); run++) {
            suite.run(db, readers, run);
          }
          if (o.modes().contains("memory")) {
            for (int run = 1; run <= o.runs(); run++) {
              suite.memory(db); // each run appends its readings: the table shows the runs and their median
            }
          }
        }
      }
      System.out.printf("%nper run (ratio to the reference of the same run), medians:%n");
      suite.figures.table().forEach(System.out::println);
      System.out.printf("total %.0f s%n", (System.nanoTime() - t0) / 1e9);
      suite.figures.resultLines().forEach(System.out::println);
    } finally {
      for (Future<BenchDatabase> f : dbStarts.values()) {
        f.cancel(false);
      }
      for (AutoCloseable server : servers) {
        server.close();
      }
    }
    System.exit(0);
  }

  /** Waits for a server started in parallel, noting it for closing at the end (a database also closes after its runs). */
  private static <T extends AutoCloseable> T started(Future<T> f, List<AutoCloseable> servers) throws Exception {
    try {
      T server = f.get(5, TimeUnit.MINUTES);
      servers.add(server);
      return server;
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  /**
   * The reader JVMs: a fresh one per reading, closed after it; or, when reused (the quick run),
   * one for the whole session, started at once beside the servers and kept for every database,
   * sink and mode.
   */
  static final class Readers implements AutoCloseable {
    private final boolean reuse;
    private ReaderProcess shared;

    Readers(boolean reuse) {
      this.reuse = reuse;
    }

    /** Starts the shared reader now (reused readers only), so its start-up overlaps the servers'. */
    void startEarly() throws IOException {
      if (reuse && shared == null) {
        shared = ReaderProcess.start();
      }
    }

    /** Waits until the shared reader (if any) is up and idle, so nothing measured runs beside its start-up. */
    void awaitIdle() throws Exception {
      if (shared != null) {
        shared.awaitStarted();
      }
    }

    /**
     * Runs one reading: hands the reader its job, runs {@code whileRunning} once its stream runs
     * (the live modes write their workload there), returns its result.
     */
    ReaderProcess.Result read(List<String> args, Step whileRunning) throws Exception {
      startEarly();
      ReaderProcess reader = reuse ? shared : ReaderProcess.start();
      boolean done = false;
      try {
        reader.begin(args);
        whileRunning.run();
        ReaderProcess.Result r = reader.awaitDone();
        done = true;
        return r;
      } finally {
        if (!done || !reuse) {
          if (reader == shared) {
            shared = null;
          }
          reader.close();
        }
      }
    }

    @Override
    public void close() throws InterruptedException {
      if (shared != null) {
        shared.close();
        shared = null;
      }
    }
  }

  /** Work done while a reader streams. */
  @FunctionalInterface
  interface Step {
    void run() throws Exception;
  }

  private void run(BenchDatabase db, Readers readers, int run) throws Exception {
    if (options.modes().contains("catchup")) {
      catchup(db, readers, run);
    }
    if (options.modes().contains("live")) {
      for (String sink : List.of("noop", "kafka")) {
        if (options.sinks().contains(sink)) {
          live(db, readers, run, sink);
        }
      }
    }
    if (options.modes().contains("snapshot")) {
      snapshot(db, readers, run);
    }
    if (options.modes().contains("latency")) {
      latency(db, readers, run);
    }
  }

  /** The workload written while nothing reads; then each reader drains it, in a rotating order. */
  private void catchup(BenchDatabase db, Readers pool, int run) throws Exception {
    long changes = options.changes();
    db.prepareCatchup(options.sinks(), options.rowsPerTxn());
    List<String> references = db.catchupReferences();
    List<String> readers = new ArrayList<>(references);
    readers.addAll(options.sinks());
    String main = references.get(0);
    double[] rate = new double[readers.size()];
    ReaderProcess.Result[] results = new ReaderProcess.Result[readers.size()];
    String[] order = new String[readers.size()];
    for (int i = 0; i < readers.size(); i++) {
      int k = (i + run - 1) % readers.size();
      String reader = readers.get(k);
      order[i] = reader;
      db.beforeReader();
      if (k < references.size()) {
        BenchSupport.Timed t = db.runCatchupReference(reader, changes);
        rate[k] = changes / t.seconds();
        System.out.printf(Locale.ROOT, "%s run %d catch-up %s: %.0f rows/s, cpu %.1f s, %s%n", db.prefix(), run, reader,
            rate[k], t.cpuSeconds(), db.afterReader());
      } else {
        ReaderProcess.Result r = read(pool, db.catchupReaderArgs(reader), reader, db.prefix() + "-catchup-" + run);
        rate[k] = r.eventsPerSecond();
        results[k] = r;
        System.out.printf(Locale.ROOT, "%s run %d catch-up syncline %s: %s, %s%n", db.prefix(), run, reader, describe(r),
            db.afterReader());
      }
    }
    // the reference figures once all readers of the run are measured (their ratios need the main one)
    figures.add(figureName(main) + "_catchup", "rows/s", rate[0]);
    for (int k = 1; k < references.size(); k++) {
      figures.add(figureName(references.get(k)) + "_catchup", "rows/s", rate[k], main, rate[0]);
    }
    for (int k = references.size(); k < readers.size(); k++) {
      String name = db.prefix() + "_catchup_" + readers.get(k);
      figures.add(name, "events/s", rate[k], main, rate[0]);
      synclineFigures(name, results[k]);
    }
    System.out.printf("%s run %d catch-up order: %s%n", db.prefix(), run, String.join(", ", order));
    db.endMode();
  }

  /** A reader streaming while the workload is written: throughput against the write rate, and lag. */
  private void live(BenchDatabase db, Readers readers, int run, String sink) throws Exception {
    long changes = options.changes();
    List<String> args = db.prepareLive(sink);
    db.beforeReader();
    String tag = db.prefix() + "-live-" + run;
    Path dir = sink.equals("jsonl") ? Files.createTempDirectory("syncline-bench-jsonl") : null;
    ReaderProcess.Result r;
    long[] start = new long[1];
    long[] written = new long[1];
    try {
      r = readers.read(readerArgs(args, sink, "stream", tag, dir), () -> {
        db.awaitReaderConnected();
        start[0] = System.currentTimeMillis();
        db.writeWorkload(options.rowsPerTxn());
        written[0] = System.currentTimeMillis();
      });
    } finally {
      cleanUp(sink, tag, dir);
    }
    double writeRate = changes / ((written[0] - start[0]) / 1e3);
    double liveRate = changes / ((r.endEpochMillis() - start[0]) / 1e3);
    System.out.printf(Locale.ROOT, "%s run %d live %s: workload written at %.0f rows/s, delivered at %.0f events/s"
            + " (last %d ms after the last commit), lag p50 %d ms p99 %d ms, %s, %s%n", db.prefix(), run, sink, writeRate,
        liveRate, r.endEpochMillis() - written[0], r.p50Millis(), r.p99Millis(), describe(r), db.afterReader());
    String name = db.prefix() + "_live_" + sink;
    figures.add(name, "events/s", liveRate, "source_write_rate", writeRate);
    figures.add(name + "_p50", "ms", r.p50Millis());
    figures.add(name + "_p99", "ms", r.p99Millis());
    synclineFigures(name, r);
    db.endMode();
  }

  /** The table read whole by the database's own export and by Syncline's initial snapshot (no-op sink). */
  private void snapshot(BenchDatabase db, Readers readers, int run) throws Exception {
    long rows = options.snapshotRows();
    db.prepareSnapshot(rows);
    String reference = db.snapshotReference();
    double refRate = 0;
    ReaderProcess.Result ours = null;
    for (int i = 0; i < 2; i++) {
      db.beforeReader();
      if ((i + run) % 2 == 1) {
        BenchSupport.Timed t = db.runSnapshotReference();
        refRate = rows / t.seconds();
        System.out.printf(Locale.ROOT, "%s run %d snapshot %s: %.0f rows/s, cpu %.1f s, %s%n", db.prefix(), run, reference,
            refRate, t.cpuSeconds(), db.afterReader());
      } else {
        ours = read(readers, db.snapshotReaderArgs(), "noop", db.prefix() + "-snapshot-" + run, "snapshot", rows);
        System.out.printf(Locale.ROOT, "%s run %d snapshot syncline noop: %s, %s%n", db.prefix(), run, describe(ours),
            db.afterReader());
      }
    }
    figures.add(figureName(reference) + "_snapshot", "rows/s", refRate);
    figures.add(db.prefix() + "_snapshot_noop", "rows/s", ours.eventsPerSecond(), reference, refRate);
    synclineFigures(db.prefix() + "_snapshot_noop", ours);
    db.endMode();
  }

  /**
   * The latency scenario of the bar: a writer paced at {@link #LATENCY_TXN_PER_SECOND} transactions
   * of {@link #LATENCY_ROWS_PER_TXN} rows a second for {@code --latency-seconds}, a reader
   * streaming into Kafka (acks=all, idempotent) as it commits; lag of every event from source
   * commit to Kafka acknowledgement.
   */
  private void latency(BenchDatabase db, Readers readers, int run) throws Exception {
    List<String> args = db.prepareLatency();
    db.beforeReader();
    String tag = db.prefix() + "-latency-" + run;
    int seconds = LATENCY_WARMUP_SECONDS + options.latencySeconds();
    long warmup = (long) LATENCY_TXN_PER_SECOND * LATENCY_WARMUP_SECONDS * LATENCY_ROWS_PER_TXN;
    long changes = (long) LATENCY_TXN_PER_SECOND * seconds * LATENCY_ROWS_PER_TXN;
    List<String> jobArgs = new ArrayList<>(readerArgs(args, "kafka", "stream", tag, null));
    jobArgs.removeIf(a -> a.startsWith("changes="));
    jobArgs.add("changes=" + changes);
    jobArgs.add("warmup-events=" + warmup);
    BenchSupport.Paced[] paced = new BenchSupport.Paced[1];
    ReaderProcess.Result r;
    try {
      r = readers.read(jobArgs, () -> {
        db.awaitReaderConnected();
        paced[0] = db.writePaced(LATENCY_ROWS_PER_TXN, LATENCY_TXN_PER_SECOND, seconds);
      });
    } finally {
      cleanUp("kafka", tag, null);
    }
    double target = LATENCY_TXN_PER_SECOND * LATENCY_ROWS_PER_TXN;
    System.out.printf(Locale.ROOT, "%s run %d latency kafka: %d changes written at %.0f rows/s (target %.0f, at worst %d ms"
            + " behind schedule), lag to Kafka ack after the %d s warm-up p50 %d ms p99 %d ms max %d ms (whole run, warm-up"
            + " included: p99 %d ms max %d ms), cpu %.1f s, peak rss %.0f MB, %s%n",
        db.prefix(), run, paced[0].changes(), paced[0].rate(), target, paced[0].maxBehindMillis(),
        LATENCY_WARMUP_SECONDS, r.p50Millis(), r.p99Millis(), r.maxMillis(), r.allP99Millis(), r.allMaxMillis(),
        r.cpuSeconds(), r.peakRssMegabytes(), db.afterReader());
    String name = db.prefix() + "_latency_kafka";
    figures.add(name + "_rate", "events/s", paced[0].rate(), "target_rate", target);
    figures.add(name + "_p50", "ms", r.p50Millis());
    figures.add(name + "_p99", "ms", r.p99Millis());
    figures.add(name + "_max", "ms", r.maxMillis());
    figures.add(name + "_with_warmup_p99", "ms", r.allP99Millis());
    figures.add(name + "_cpu", "s", r.cpuSeconds());
    figures.add(name + "_rss", "MB", r.peakRssMegabytes());
    db.endMode();
  }

  /**
   * Memory as the backlog grows: catch-up of 1M and of 10M changes (quick: 100k and 1M) with the
   * no-op and the Kafka sinks, each reading in a fresh reader JVM with the default options, its
   * peak RSS; the larger backlog's RSS has the smaller one's as its reference (ratio 1.0 = flat).
   * PostgreSQL only: MariaDB's 10M changes do not fit one binlog file (1 GB at most).
   */
  private void memory(BenchDatabase db) throws Exception {
    if (!(db instanceof PgBench)) {
      System.out.printf("%s memory: not measured (PostgreSQL only: 10M changes span several binlog files)%n",
          db.prefix());
      return;
    }
    List<String> sinks = options.sinks().stream().filter(s -> s.equals("noop") || s.equals("kafka")).toList();
    Map<String, Double> smaller = new LinkedHashMap<>();
    for (int rounds : options.memoryRounds()) {
      long changes = 4L * rounds * options.rowsPerTxn();
      String size = changes >= 1_000_000 ? changes / 1_000_000 + "m" : changes / 1_000 + "k";
      db.prepareCatchup(sinks, options.rowsPerTxn(), rounds);
      for (String sink : sinks) {
        db.beforeReader();
        ReaderProcess.Result r;
        // always a fresh JVM: its peak RSS is this backlog's alone
        try (Readers fresh = new Readers(false)) {
          r = read(fresh, db.catchupReaderArgs(sink), sink, db.prefix() + "-memory-" + size, "stream", changes);
        }
        System.out.printf(Locale.ROOT, "%s memory %s changes syncline %s: %s, %s%n", db.prefix(), size, sink, describe(r),
            db.afterReader());
        String name = db.prefix() + "_memory_" + size + "_" + sink;
        figures.add(name, "events/s", r.eventsPerSecond());
        figures.add(name + "_cpu", "s", r.cpuSeconds());
        Double before = smaller.get(sink);
        if (before == null) {
          figures.add(name + "_rss", "MB", r.peakRssMegabytes());
          smaller.put(sink, r.peakRssMegabytes());
        } else {
          figures.add(name + "_rss", "MB", r.peakRssMegabytes(), "smaller_backlog_rss", before);
        }
      }
      db.endMode();
    }
  }

  private ReaderProcess.Result read(Readers readers, List<String> dbArgs, String sink, String tag) throws Exception {
    return read(readers, dbArgs, sink, tag, "stream", options.changes());
  }

  /** Runs a Syncline reading to the end; its JSON-lines files and Kafka topics are deleted after. */
  private ReaderProcess.Result read(Readers readers, List<String> dbArgs, String sink, String tag, String mode,
      long events) throws Exception {
    Path dir = sink.equals("jsonl") ? Files.createTempDirectory("syncline-bench-jsonl") : null;
    List<String> args = new ArrayList<>(readerArgs(dbArgs, sink, mode, tag, dir));
    args.removeIf(s -> s.startsWith("changes="));
    args.add("changes=" + events);
    try {
      return readers.read(args, () -> { });
    } finally {
      cleanUp(sink, tag, dir);
    }
  }

  private List<String> readerArgs(List<String> dbArgs, String sink, String mode, String tag, Path dir) {
    List<String> args = new ArrayList<>(dbArgs);
    args.addAll(List.of("mode=" + mode, "sink=" + sink, "changes=" + options.changes()));
    switch (sink) {
      case "jsonl" -> args.add("dir=" + dir);
      case "kafka" -> {
        args.addAll(List.of("bootstrap=" + kafka.bootstrapServers(), "topic-prefix=" + tag + "-" + sink));
        // producer overrides for A/B runs, e.g. SYNCLINE_BENCH_KAFKA_PRODUCER=compression.type=none,linger.ms=20
        for (String kv : System.getenv().getOrDefault("SYNCLINE_BENCH_KAFKA_PRODUCER", "").split(",")) {
          if (!kv.isBlank()) {
            args.add("producer." + kv.trim());
          }
        }
      }
      default -> { }
    }
    return args;
  }

  /** Deletes a reader's output: its JSON-lines directory, its Kafka topics (the broker's disk is not unbounded). */
  private void cleanUp(String sink, String tag, Path dir) throws Exception {
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    if (sink.equals("kafka")) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        Set<String> topics = admin.listTopics().names().get();
        List<String> ours = topics.stream().filter(t -> t.startsWith(tag + "-" + sink + ".")).toList();
        admin.deleteTopics(ours).all().get();
      }
    }
  }

  /** MB/s, CPU seconds and peak RSS of a Syncline reader (its rate is recorded by the caller, with its reference). */
  private void synclineFigures(String name, ReaderProcess.Result r) {
    figures.add(name + "_mbps", "MB/s", r.megabytesPerSecond());
    figures.add(name + "_cpu", "s", r.cpuSeconds());
    figures.add(name + "_rss", "MB", r.peakRssMegabytes());
  }

  private static String describe(ReaderProcess.Result r) {
    return String.format(Locale.ROOT, "%d events in %.2f s = %.0f events/s, %.1f MB/s, cpu %.1f s, peak rss %.0f MB",
        r.events(), r.seconds(), r.eventsPerSecond(), r.megabytesPerSecond(), r.cpuSeconds(), r.peakRssMegabytes());
  }

  /** A reference's name as part of a figure name: {@code mariadb-binlog} → {@code mariadb_binlog}. */
  private static String figureName(String reference) {
    return reference.replace('-', '_');
  }
}
