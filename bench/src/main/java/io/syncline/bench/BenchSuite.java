package io.syncline.bench;

import io.syncline.embedded.KafkaServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
 *       Syncline's initial snapshot into the no-op sink.</li>
 * </ul>
 * Every Syncline reader is a child JVM ({@link ReaderProcess}): its peak RSS and CPU are its own.
 * Ends with the run-by-run table and one {@code RESULT} line per figure (medians over the runs).
 *
 * <p>Options: {@code --source postgres|mariadb|all} (default all), {@code --quick} (100k changes,
 * 100k snapshot rows, 1 run unless {@code --runs}), {@code --runs N} (default 3),
 * {@code --sinks noop,jsonl,kafka}, {@code --modes catchup,live,snapshot}.
 */
public final class BenchSuite {

  private static final List<String> SINKS = List.of("noop", "jsonl", "kafka");
  private static final List<String> MODES = List.of("catchup", "live", "snapshot");

  /** What to run. */
  record Options(List<String> sources, boolean quick, int runs, List<String> sinks, List<String> modes) {

    Options {
      if (runs < 1) {
        throw new IllegalArgumentException("--runs " + runs + ": at least 1");
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
          List.of(value(a, "--modes", String.join(",", MODES)).split(",")));
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
            + " modes %s; sinks %s; %d run(s); java %s, %d cores%n", o.sources(), o.changes(), o.rowsPerTxn(),
        o.snapshotRows(), o.modes(), o.sinks(), o.runs(), System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors());
    KafkaServer kafka = o.sinks().contains("kafka") ? KafkaServer.start() : null;
    BenchSuite suite = new BenchSuite(o, kafka);
    try {
      for (String source : o.sources()) {
        try (BenchDatabase db = source.equals("postgres") ? PgBench.start() : MariaDbBench.start()) {
          System.out.println(db.describe());
          for (int run = 1; run <= o.runs(); run++) {
            suite.run(db, run);
          }
        }
      }
    } finally {
      if (kafka != null) {
        kafka.close();
      }
    }
    System.out.printf("%nper run (ratio to the reference of the same run), medians:%n");
    suite.figures.table().forEach(System.out::println);
    System.out.printf("total %.0f s%n", (System.nanoTime() - t0) / 1e9);
    suite.figures.resultLines().forEach(System.out::println);
    System.exit(0);
  }

  private void run(BenchDatabase db, int run) throws Exception {
    if (options.modes().contains("catchup")) {
      catchup(db, run);
    }
    if (options.modes().contains("live")) {
      for (String sink : List.of("noop", "kafka")) {
        if (options.sinks().contains(sink)) {
          live(db, run, sink);
        }
      }
    }
    if (options.modes().contains("snapshot")) {
      snapshot(db, run);
    }
  }

  /** The workload written while nothing reads; then each reader drains it, in a rotating order. */
  private void catchup(BenchDatabase db, int run) throws Exception {
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
        ReaderProcess.Result r = read(db.catchupReaderArgs(reader), reader, db.prefix() + "-catchup-" + run);
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
  private void live(BenchDatabase db, int run, String sink) throws Exception {
    long changes = options.changes();
    List<String> args = db.prepareLive(sink);
    db.beforeReader();
    String tag = db.prefix() + "-live-" + run;
    Path dir = sink.equals("jsonl") ? Files.createTempDirectory("syncline-bench-jsonl") : null;
    ReaderProcess.Result r;
    long start;
    long written;
    try (ReaderProcess reader = ReaderProcess.start(readerArgs(args, sink, "stream", tag, dir))) {
      reader.awaitReady();
      db.awaitReaderConnected();
      start = System.currentTimeMillis();
      db.writeWorkload(options.rowsPerTxn());
      written = System.currentTimeMillis();
      r = reader.awaitDone();
    } finally {
      cleanUp(sink, tag, dir);
    }
    double writeRate = changes / ((written - start) / 1e3);
    double liveRate = changes / ((r.endEpochMillis() - start) / 1e3);
    System.out.printf(Locale.ROOT, "%s run %d live %s: workload written at %.0f rows/s, delivered at %.0f events/s"
            + " (last %d ms after the last commit), lag p50 %d ms p99 %d ms, %s, %s%n", db.prefix(), run, sink, writeRate,
        liveRate, r.endEpochMillis() - written, r.p50Millis(), r.p99Millis(), describe(r), db.afterReader());
    String name = db.prefix() + "_live_" + sink;
    figures.add(name, "events/s", liveRate, "source_write_rate", writeRate);
    figures.add(name + "_p50", "ms", r.p50Millis());
    figures.add(name + "_p99", "ms", r.p99Millis());
    synclineFigures(name, r);
    db.endMode();
  }

  /** The table read whole by the database's own export and by Syncline's initial snapshot (no-op sink). */
  private void snapshot(BenchDatabase db, int run) throws Exception {
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
        ours = read(db.snapshotReaderArgs(), "noop", db.prefix() + "-snapshot-" + run, "snapshot", rows);
        System.out.printf(Locale.ROOT, "%s run %d snapshot syncline noop: %s, %s%n", db.prefix(), run, describe(ours),
            db.afterReader());
      }
    }
    figures.add(figureName(reference) + "_snapshot", "rows/s", refRate);
    figures.add(db.prefix() + "_snapshot_noop", "rows/s", ours.eventsPerSecond(), reference, refRate);
    synclineFigures(db.prefix() + "_snapshot_noop", ours);
    db.endMode();
  }

  private ReaderProcess.Result read(List<String> dbArgs, String sink, String tag) throws Exception {
    return read(dbArgs, sink, tag, "stream", options.changes());
  }

  /** Runs a Syncline reader to the end in a child JVM; its JSON-lines files and Kafka topics are deleted after. */
  private ReaderProcess.Result read(List<String> dbArgs, String sink, String tag, String mode, long events)
      throws Exception {
    Path dir = sink.equals("jsonl") ? Files.createTempDirectory("syncline-bench-jsonl") : null;
    List<String> args = new ArrayList<>(readerArgs(dbArgs, sink, mode, tag, dir));
    args.removeIf(s -> s.startsWith("changes="));
    args.add("changes=" + events);
    try (ReaderProcess reader = ReaderProcess.start(args)) {
      reader.awaitReady();
      return reader.awaitDone();
    } finally {
      cleanUp(sink, tag, dir);
    }
  }

  private List<String> readerArgs(List<String> dbArgs, String sink, String mode, String tag, Path dir) {
    List<String> args = new ArrayList<>(dbArgs);
    args.addAll(List.of("mode=" + mode, "sink=" + sink, "changes=" + options.changes()));
    switch (sink) {
      case "jsonl" -> args.add("dir=" + dir);
      case "kafka" -> args.addAll(List.of("bootstrap=" + kafka.bootstrapServers(), "topic-prefix=" + tag + "-" + sink));
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
