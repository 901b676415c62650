package io.syncline.bench;

import io.syncline.embedded.KafkaServer;
import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The randomized fault soak (bench/soak, docs/BENCHMARKS.md): for N minutes, the standard workload
 * (../shared/BENCHMARK.md: rounds of 4 transactions of 10,000 rows, insert, insert, update, delete)
 * written on an embedded PostgreSQL and an embedded MariaDB at a paced rate, captured by one
 * Syncline node process ({@code syncline run}) into JSON-lines files and an embedded Kafka broker,
 * with its journal on a PostgreSQL server of its own; meanwhile, at random intervals, one random
 * fault at a time: the node killed ({@code kill -9}) or stopped (SIGTERM) and started again, the
 * broker stopped longer than the producer's delivery timeout, a source server stopped and started
 * again, its replication connection killed (PostgreSQL walsender terminated, MariaDB binlog dump
 * thread killed), the journal server stopped and started again. Then the faults stop, the workload
 * stops, and the end check of the fault suite runs on every sink: the replay of what was delivered
 * equals the table, every committed change is present (lost must be 0), duplicates counted, and no
 * table's committed position went backwards (read from the journal). Ends with RESULT lines; exit
 * status 1 when anything was lost or differs.
 */
public final class Soak {

  /** The fault kinds, in the order the summary prints them. */
  enum Fault { NODE_KILL9, NODE_SIGTERM, BROKER_STOP, PG_RESTART, PG_WALSENDER_KILL, MARIADB_RESTART,
    MARIADB_BINLOG_KILL, JOURNAL_RESTART }

  record Options(int minutes, String source, long seed, int rate, int rowsPerTxn, Duration minGap, Duration maxGap,
      Path work, String nodeClasspath) {

    static Options parse(String[] args) throws Exception {
      int minutes = 30;
      String source = "all";
      long seed = System.currentTimeMillis();
      int rate = 2000;
      int rowsPerTxn = 10_000;
      int minGap = 15;
      int maxGap = 45;
      Path work = null;
      for (int i = 0; i < args.length; i++) {
        String v = i + 1 < args.length ? args[i + 1] : "";
        switch (args[i]) {
          case "--minutes" -> { minutes = Integer.parseInt(v); i++; }
          case "--source" -> { source = v; i++; }
          case "--seed" -> { seed = Long.parseLong(v); i++; }
          case "--rate" -> { rate = Integer.parseInt(v); i++; }
          case "--rows-per-txn" -> { rowsPerTxn = Integer.parseInt(v); i++; }
          case "--min-gap" -> { minGap = Integer.parseInt(v); i++; }
          case "--max-gap" -> { maxGap = Integer.parseInt(v); i++; }
          case "--work" -> { work = Path.of(v); i++; }
          default -> throw new IllegalArgumentException("soak: unknown option " + args[i] + " (use --minutes N,"
              + " --source postgres|mariadb|all, --seed N, --rate changes/s per database, --rows-per-txn N,"
              + " --min-gap s, --max-gap s, --work DIR)");
        }
      }
      if (!List.of("postgres", "mariadb", "all").contains(source)) {
        throw new IllegalArgumentException("soak: --source " + source + ": use postgres, mariadb or all");
      }
      if (minutes < 1 || rate < 100 || rowsPerTxn < 1 || minGap < 1 || maxGap < minGap) {
        throw new IllegalArgumentException("soak: --minutes >= 1, --rate >= 100, --rows-per-txn >= 1,"
            + " 1 <= --min-gap <= --max-gap");
      }
      String cp = System.getProperty("syncline.bench.node-classpath", "");
      if (cp.isBlank()) {
        throw new IllegalArgumentException("system property syncline.bench.node-classpath is not set: run bench/soak,"
            + " or set it to cluster-node/target/syncline-cluster-node-<version>.jar:cluster-node/target/lib/*");
      }
      if (work == null) {
        work = Files.createTempDirectory("syncline-soak");
      }
      return new Options(minutes, source, seed, rate, rowsPerTxn, Duration.ofSeconds(minGap),
          Duration.ofSeconds(maxGap), work, cp);
    }
  }

  private static final String DB = "soak";

  private final Options options;
  private final Random random;
  private final Map<Fault, Integer> injected = new EnumMap<>(Fault.class);
  private final List<SoakDatabase> databases = new ArrayList<>();
  private PgServer journal;
  private KafkaServer broker;
  private SoakNode node;

  private Soak(Options options) {
    this.options = options;
    this.random = new Random(options.seed());
  }

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    boolean ok = new Soak(options).run();
    System.exit(ok ? 0 : 1);
  }

  private boolean run() throws Exception {
    Path work = options.work();
    log("work directory %s, seed %d, %d min, rate %d changes/s per database, %d rows per transaction", work,
        options.seed(), options.minutes(), options.rate(), options.rowsPerTxn());
    try {
      startServers(work);
      node = new SoakNode(options.nodeClasspath(), work, writeConfig(work));
      node.start();
      for (SoakDatabase db : databases) {
        node.awaitLog("source '" + db.source() + "': capturing ", Duration.ofMinutes(3));
      }
      databases.forEach(SoakDatabase::startWriting);
      long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(options.minutes());
      int n = 0;
      while (true) {
        long gap = options.minGap().toMillis()
            + (long) (random.nextDouble() * (options.maxGap().toMillis() - options.minGap().toMillis()));
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(gap) > end) {
          break;
        }
        park(Duration.ofMillis(gap));
        databases.forEach(SoakDatabase::checkWriter);
        node.checkAlive();
        Fault f = pickFault();
        n++;
        log("fault %d: %s", n, f);
        inject(f);
        injected.merge(f, 1, Integer::sum);
        progress();
      }
      parkUntil(end);
      log("faults stop; the workload stops after its current round");
      for (SoakDatabase db : databases) {
        db.stopWriting();
      }
      return check();
    } finally {
      if (node != null) {
        node.kill();
      }
      for (SoakDatabase db : databases) {
        db.close();
      }
      if (broker != null) {
        broker.close();
      }
      if (journal != null) {
        journal.close();
      }
    }
  }

  private void startServers(Path work) throws Exception {
    journal = PgServer.start(Map.of(), work.resolve("journal-data"));
    journal.createDatabase("journal");
    broker = KafkaServer.start(Map.of(), Files.createDirectories(work.resolve("kafka")));
    if (!options.source().equals("mariadb")) {
      PgServer pg = PgServer.start(Map.of("max_wal_size", "4GB", "shared_buffers", "256MB"), work.resolve("pg-data"));
      databases.add(SoakDatabase.postgres(pg, options, work));
    }
    if (!options.source().equals("postgres")) {
      MariaDbServer maria = MariaDbServer.start(List.of("--innodb-buffer-pool-size=256M",
          "--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0"));
      databases.add(SoakDatabase.mariadb(maria, options, work));
    }
    for (SoakDatabase db : databases) {
      db.createTables();
    }
  }

  private Path writeConfig(Path work) throws Exception {
    List<String> sources = databases.stream().map(SoakDatabase::sourceEntry).toList();
    Path config = work.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + work.resolve("state") + "\"",
        "syncline.journal.kind = postgres",
        "syncline.journal.url = \"jdbc:postgresql://localhost:" + journal.port() + "/journal\"",
        "syncline.journal.user = postgres",
        "syncline.transport.sinks = [jsonl, kafka]",
        "syncline.transport.jsonl.directory = \"" + work.resolve("out") + "\"",
        "syncline.transport.kafka.bootstrap-servers = \"" + broker.bootstrapServers() + "\"",
        "syncline.transport.kafka.admin-timeout = 10s",
        "syncline.transport.kafka.producer.delivery.timeout.ms = 10000",
        "syncline.transport.kafka.producer.request.timeout.ms = 3000",
        "syncline.transport.kafka.producer.max.block.ms = 10000",
        "syncline.reader.ask-timeout = 10s",
        "syncline.reader.min-backoff = 500ms",
        "syncline.reader.max-backoff = 5s",
        "syncline.reader.idle-table-commit = 5s",
        "syncline.sources = [" + String.join(",\n  ", sources) + "]",
        "pekko.remote.artery.canonical.port = 0") + "\n");
    return config;
  }

  private Fault pickFault() {
    List<Fault> kinds = new ArrayList<>(List.of(Fault.NODE_KILL9, Fault.NODE_SIGTERM, Fault.BROKER_STOP,
        Fault.JOURNAL_RESTART));
    for (SoakDatabase db : databases) {
      kinds.addAll(db.faults());
    }
    return kinds.get(random.nextInt(kinds.size()));
  }

  private void inject(Fault f) throws Exception {
    switch (f) {
      case NODE_KILL9 -> {
        node.kill();
        park(Duration.ofMillis(500 + random.nextInt(3000)));
        node.start();
      }
      case NODE_SIGTERM -> {
        int status = node.stop(Duration.ofSeconds(60));
        log("  node exited with status %d after SIGTERM", status);
        park(Duration.ofMillis(500 + random.nextInt(3000)));
        node.start();
      }
      case BROKER_STOP -> {
        broker.stop();
        park(Duration.ofMillis(12_000 + random.nextInt(8000))); // longer than delivery.timeout.ms (10 s)
        broker.startAgain();
      }
      case JOURNAL_RESTART -> {
        journal.stop();
        park(Duration.ofMillis(2000 + random.nextInt(8000)));
        journal.startAgain();
      }
      default -> {
        for (SoakDatabase db : databases) {
          if (db.faults().contains(f)) {
            db.inject(f, random);
          }
        }
      }
    }
  }

  private void progress() {
    StringBuilder b = new StringBuilder("  progress:");
    for (SoakDatabase db : databases) {
      b.append(' ').append(db.source()).append(" written=").append(db.written());
    }
    log("%s", b);
  }

  /**
   * The end check: the node (running again if a fault left it down) delivers what is left; for each
   * database and sink, waits until the replay equals the table, then tallies the changes; finally
   * stops the node and reads the positions back from the journal.
   */
  private boolean check() throws Exception {
    node.checkAlive();
    boolean ok = true;
    long written = 0;
    long lost = 0;
    long duplicates = 0;
    Map<String, Long> delivered = new java.util.TreeMap<>();
    List<String> results = new ArrayList<>();
    for (SoakDatabase db : databases) {
      for (SoakDatabase.Check c : db.check(broker.bootstrapServers(), Duration.ofMinutes(10), node)) {
        log("%s", c);
        results.add(c.summary());
        ok &= c.ok();
        lost += c.lost();
        duplicates += c.duplicates();
        delivered.merge(c.sink(), c.delivered(), Long::sum);
      }
      written += db.written();
    }
    int status = node.stop(Duration.ofSeconds(60));
    log("node exited with status %d after SIGTERM", status);
    for (SoakDatabase db : databases) {
      String backwards = SoakJournal.positionsWentBackwards(node.config(), db.source() + "/" + db.schemaTable("t"),
          db.source() + "/" + db.schemaTable("q"));
      if (backwards != null) {
        log("POSITIONS WENT BACKWARDS: %s", backwards);
        ok = false;
      }
    }
    int faults = injected.values().stream().mapToInt(Integer::intValue).sum();
    StringBuilder kinds = new StringBuilder();
    injected.forEach((k, v) -> kinds.append(kinds.length() == 0 ? "" : ",").append(k.name().toLowerCase(Locale.ROOT))
        .append('=').append(v));
    results.forEach(r -> System.out.println("RESULT " + r));
    StringBuilder perSink = new StringBuilder();
    delivered.forEach((sink, n) -> perSink.append(" delivered_").append(sink).append('=').append(n));
    System.out.printf(Locale.ROOT, "RESULT soak minutes=%d seed=%d faults=%d (%s) changes_written=%d%s"
        + " lost=%d duplicates=%d positions_backwards=%s ok=%s%n", options.minutes(), options.seed(), faults, kinds,
        written, perSink, lost, duplicates, ok ? "0" : "see log", ok);
    return ok;
  }

  static void park(Duration d) {
    parkUntil(System.nanoTime() + d.toNanos());
  }

  static void parkUntil(long deadlineNanos) {
    long left;
    while ((left = deadlineNanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  static void log(String format, Object... args) {
    System.out.printf(Locale.ROOT, "%tT soak: %s%n", System.currentTimeMillis(), String.format(Locale.ROOT, format, args));
  }

  /** A flag and a counter shared with writer threads. */
  record Counters(AtomicBoolean running, AtomicLong changes) {
    static Counters create() {
      return new Counters(new AtomicBoolean(true), new AtomicLong());
    }
  }

  /** Executes one SQL statement on a fresh connection; false when the server is away. */
  static boolean tryExecute(SqlConnector connector, String sql) {
    try (Connection c = connector.open(); Statement s = c.createStatement()) {
      s.execute(sql);
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /** One long value of a query, or -1 when the server is away or there is no row. */
  static long queryLong(SqlConnector connector, String sql) {
    try (Connection c = connector.open(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : -1;
    } catch (SQLException e) {
      return -1;
    }
  }

  @FunctionalInterface
  interface SqlConnector {
    Connection open() throws SQLException;
  }
}
