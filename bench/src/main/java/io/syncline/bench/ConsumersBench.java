package io.syncline.bench;

import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.KafkaServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.pekko.actor.ActorSystem;

/**
 * End to end, issue 5's "consumers that keep up": the standard workload (../shared/BENCHMARK.md)
 * written while a Syncline reader ({@link SynclineReader}, its own JVM) streams it into a real
 * Kafka broker (acks=all, idempotent producer, a topic of {@code --partitions} partitions), read
 * by {@code --consumers} {@code syncline consume} processes of one group, each a JVM of its own
 * writing CSV files. Timed from the last source commit to the last CSV row written; then the CSV
 * files are replayed ({@link CsvReplay}) and compared with the table, every column of every row.
 *
 * <p>With {@code --netns NS --remote-host IP} (bench/netns-consumers sets these up) the consumer
 * processes run in network namespace {@code NS} and reach the broker only at {@code IP}, the host
 * side of a veth pair: through a broker listener advertised there, or, with
 * {@code --proxy-delay-ms MS}, through a {@link DelayProxy} listening there. {@code --kill-one}
 * kills one consumer process with SIGKILL once 40 % of the records are committed; the others finish.
 *
 * <p>The consumer processes run {@code io.syncline.node.Main consume} from cluster-node's jars
 * (system property {@value #CONSUME_CLASSPATH}), as {@code bin/syncline consume} does.
 *
 * <p>Options: {@code --source postgres|mariadb} (default postgres), {@code --changes N} (a multiple
 * of 100, default 1,000,000), {@code --runs N} (default 3), {@code --consumers N} (default 3),
 * {@code --partitions N} (default 3), {@code --keep} (keep the CSV files).
 */
public final class ConsumersBench {

  /** What to run. */
  record Options(String source, long changes, int runs, int consumers, int partitions, String netns,
      String remoteHost, int proxyDelayMillis, boolean killOne, boolean keep) {

    Options {
      if (changes < 100 || changes % 100 != 0) {
        throw new IllegalArgumentException("--changes " + changes + ": a multiple of 100 (25 rounds x 4 transactions)");
      }
      if (runs < 1 || consumers < 1 || partitions < 1) {
        throw new IllegalArgumentException("--runs, --consumers and --partitions must be at least 1");
      }
      if ((netns == null) != (remoteHost == null)) {
        throw new IllegalArgumentException("--netns and --remote-host go together (bench/netns-consumers sets both)");
      }
      if (proxyDelayMillis > 0 && netns == null) {
        throw new IllegalArgumentException("--proxy-delay-ms needs --netns and --remote-host");
      }
    }

    static Options parse(String[] args) {
      List<String> a = Arrays.asList(args);
      return new Options(value(a, "--source", "postgres"), Long.parseLong(value(a, "--changes", "1000000")),
          Integer.parseInt(value(a, "--runs", "3")), Integer.parseInt(value(a, "--consumers", "3")),
          Integer.parseInt(value(a, "--partitions", "3")), value(a, "--netns", null), value(a, "--remote-host", null),
          Integer.parseInt(value(a, "--proxy-delay-ms", "0")), a.contains("--kill-one"), a.contains("--keep"));
    }

    /** The value after the last occurrence of {@code option} (a script's defaults come first, the caller's last). */
    private static String value(List<String> a, String option, String otherwise) {
      int i = a.lastIndexOf(option);
      if (i < 0) {
        return otherwise;
      }
      if (i + 1 >= a.size()) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return a.get(i + 1);
    }

    int rowsPerTxn() {
      return Math.toIntExact(changes / 100);
    }

    /** The figures' name: {@code e2e_consumers_pg} or {@code e2e_consumers_netns_pg}. */
    String figure(String prefix) {
      return "e2e_consumers_" + (netns == null ? "" : "netns_") + prefix;
    }
  }

  private static final String REMOTE_LISTENER = "REMOTE";
  static final String CONSUME_CLASSPATH = "syncline.bench.consume-classpath";
  private static final Duration GROUP_SETTLE = Duration.ofSeconds(120);
  private static final Duration DRAIN_LIMIT = Duration.ofMinutes(20);

  private final Options options;
  private final KafkaServer kafka;
  private final String consumerBootstrap;
  private final Figures figures = new Figures();

  private ConsumersBench(Options options, KafkaServer kafka, String consumerBootstrap) {
    this.options = options;
    this.kafka = kafka;
    this.consumerBootstrap = consumerBootstrap;
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    long t0 = System.nanoTime();
    System.out.printf("Syncline end-to-end consumers benchmark: %s, %d changes (25 rounds x 4 transactions x %d rows) "
            + "-> Syncline -> Kafka (%d partitions, acks=all, idempotent) -> %d consumer processes of one group%s;"
            + " %d run(s); java %s, %d cores%n", o.source(), o.changes(), o.rowsPerTxn(), o.partitions(), o.consumers(),
        o.netns() == null ? "" : " in network namespace " + o.netns() + " via " + o.remoteHost()
            + (o.proxyDelayMillis() > 0 ? " (delay proxy " + o.proxyDelayMillis() + " ms each way)" : ""),
        o.runs(), System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
    ActorSystem system = ActorSystem.create("bench", ConfigFactory.parseString("pekko.loglevel = WARNING")
        .withFallback(ConfigFactory.load()));
    KafkaServer kafka = null;
    DelayProxy proxy = null;
    try {
      String consumerBootstrap;
      if (o.netns() == null) {
        kafka = KafkaServer.start();
        consumerBootstrap = kafka.bootstrapServers();
      } else if (o.proxyDelayMillis() > 0) {
        // consumers -> proxy on the veth's host side -> the REMOTE listener on loopback
        int proxyPort = freePort(o.remoteHost());
        kafka = KafkaServer.start(Map.of(), null,
            new KafkaServer.ExtraListener(REMOTE_LISTENER, "127.0.0.1", 0, o.remoteHost(), proxyPort));
        proxy = DelayProxy.start(system, o.remoteHost(), proxyPort, "127.0.0.1", kafka.extraListenerPort(),
            Duration.ofMillis(o.proxyDelayMillis()));
        consumerBootstrap = proxy.address();
        System.out.println("delay proxy on " + consumerBootstrap + " -> 127.0.0.1:" + kafka.extraListenerPort()
            + ", " + o.proxyDelayMillis() + " ms each way");
      } else {
        kafka = KafkaServer.start(Map.of(), null,
            new KafkaServer.ExtraListener(REMOTE_LISTENER, o.remoteHost(), 0, o.remoteHost(), 0));
        consumerBootstrap = o.remoteHost() + ":" + kafka.extraListenerPort();
      }
      ConsumersBench bench = new ConsumersBench(o, kafka, consumerBootstrap);
      try (BenchDatabase db = o.source().equals("mariadb") ? MariaDbBench.start() : PgBench.start()) {
        System.out.println(db.describe());
        for (int run = 1; run <= o.runs(); run++) {
          bench.run(db, run);
        }
      }
      System.out.printf("%nper run, medians:%n");
      bench.figures.table().forEach(System.out::println);
      System.out.printf("total %.0f s%n", (System.nanoTime() - t0) / 1e9);
      bench.figures.resultLines().forEach(System.out::println);
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      if (kafka != null) {
        kafka.close();
      }
      system.terminate();
    }
    System.exit(0);
  }

  private void run(BenchDatabase db, int run) throws Exception {
    long changes = options.changes();
    String tag = db.prefix() + "-e2e-" + run;
    Path out = Files.createTempDirectory("syncline-bench-consumers");
    List<String> args = new ArrayList<>(db.prepareLive("kafka"));
    args.addAll(List.of("mode=stream", "sink=kafka", "changes=" + changes, "bootstrap=" + kafka.bootstrapServers(),
        "topic-prefix=" + tag, "partitions=" + options.partitions()));
    db.beforeReader();
    List<Process> consumers = new ArrayList<>();
    try (ReaderProcess reader = ReaderProcess.start(); Admin admin = Admin.create(Map.of("bootstrap.servers",
        kafka.bootstrapServers()))) {
      reader.begin(args); // returns once its stream runs: the reader created the topic
      db.awaitReaderConnected();
      String topic = admin.listTopics().names().get().stream().filter(t -> t.startsWith(tag + ".")).findFirst()
          .orElseThrow(() -> new IllegalStateException("the reader created no topic " + tag + ".*"));
      String group = tag + "-csv";
      for (int i = 0; i < options.consumers(); i++) {
        consumers.add(startConsumer(topic, group, out, i));
      }
      awaitGroup(admin, group, consumers);

      long start = System.currentTimeMillis();
      db.writeWorkload(options.rowsPerTxn());
      long written = System.currentTimeMillis();
      CompletableFuture<ReaderProcess.Result> delivered = CompletableFuture.supplyAsync(() -> {
        try {
          return reader.awaitDone();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < options.partitions(); p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      // drained: the reader delivered every change to Kafka and the group committed every record
      Map<Integer, Long> end = null;
      long killedAt = -1;
      long deadline = System.nanoTime() + DRAIN_LIMIT.toNanos();
      while (true) {
        Map<Integer, Long> committed = committed(admin, group, topic);
        long committedTotal = committed.values().stream().mapToLong(Long::longValue).sum();
        if (options.killOne() && killedAt < 0 && committedTotal >= changes * 4 / 10) {
          consumers.get(0).destroyForcibly(); // SIGKILL: no final commit; its partitions move after the session timeout
          killedAt = committedTotal;
          System.out.printf("%s run %d: consumer 0 killed with SIGKILL at %d committed records%n", db.prefix(), run,
              committedTotal);
        }
        if (delivered.isDone()) {
          if (end == null) {
            end = endOffsets(admin, latest);
          }
          if (committed.equals(end)) {
            break;
          }
        }
        for (int i = 0; i < consumers.size(); i++) {
          if (!consumers.get(i).isAlive() && !(i == 0 && killedAt >= 0)) {
            throw new IllegalStateException("consumer " + i + " exited (" + consumers.get(i).exitValue() + "): see "
                + out.resolve("consumer-" + i + ".log"));
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("not drained within " + DRAIN_LIMIT + ": committed " + committed
              + ", end offsets " + end);
        }
        TimeUnit.MILLISECONDS.sleep(100);
      }
      long drainedObserved = System.currentTimeMillis();
      ReaderProcess.Result r = delivered.get();
      long lastRow = lastCsvWrite(out);
      for (Process c : consumers) {
        c.destroy(); // SIGTERM: commit and close
      }
      for (Process c : consumers) {
        c.waitFor(60, TimeUnit.SECONDS);
      }
      long records = end.values().stream().mapToLong(Long::longValue).sum();
      // every delete is followed by a tombstone (tombstones-on-delete, the default): the workload's
      // fourth transaction of each round deletes, so a quarter of the changes
      long tombstones = tombstones(topic, end);
      if (records != changes + tombstones || tombstones != changes / 4) {
        throw new IllegalStateException("the topic holds " + records + " records of which " + tombstones
            + " tombstones, expected " + changes + " changes and " + changes / 4 + " tombstones");
      }

      // a consumer writes no row for a tombstone: its offset is in neither file, and not missing
      CsvReplay.Result replay = CsvReplay.replay(out, end, tombstones);
      Map<Long, List<String>> table = db.tableState();
      long wrong = countDifferences(table, replay.table());
      double writeRate = changes / ((written - start) / 1e3);
      double seconds = (lastRow - written) / 1e3;
      double rate = changes / ((lastRow - start) / 1e3);
      System.out.printf(Locale.ROOT, "%s run %d: workload written at %.0f rows/s in %.1f s; Syncline delivered the last "
              + "change to Kafka %.1f s after the last commit (%s); the consumers wrote the last CSV row %.1f s after the "
              + "last commit (drain observed after %.1f s); end to end %.0f events/s%n", db.prefix(), run, writeRate,
          (written - start) / 1e3, (r.endEpochMillis() - written) / 1e3, describe(r), seconds,
          (drainedObserved - written) / 1e3, rate);
      System.out.printf(Locale.ROOT, "%s run %d: CSV rows: %d inserts, %d deletes (distinct), %d duplicates%s, %d records "
              + "missing; replayed table %d rows, source table %d rows, %d rows differ%n", db.prefix(), run,
          replay.inserts(), replay.deletes(), replay.duplicates(),
          killedAt >= 0 ? " (consumer 0 killed at " + killedAt + " committed)" : "", replay.missing(),
          replay.table().size(), table.size(), wrong);
      if (replay.missing() != 0 || wrong != 0) {
        throw new IllegalStateException("the CSV files do not reproduce the table: " + replay.missing()
            + " records missing, " + wrong + " rows differ (files kept in " + out + ")");
      }
      if (killedAt < 0 && replay.duplicates() != 0) {
        throw new IllegalStateException(replay.duplicates() + " duplicate rows without a crash (files kept in " + out + ")");
      }
      String name = options.figure(db.prefix());
      figures.add(name, "s", seconds);
      figures.add(name + "_rate", "events/s", rate, "source_write_rate", writeRate);
      figures.add(name + "_kafka", "s", (r.endEpochMillis() - written) / 1e3);
      figures.add(name + "_duplicates", "rows", replay.duplicates());
      figures.add(name + "_missing", "rows", replay.missing());
      if (!options.keep()) {
        delete(out);
      }
    } finally {
      for (Process c : consumers) {
        if (c.isAlive()) {
          c.destroyForcibly();
        }
      }
      db.afterReader();
      db.endMode();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        List<String> ours = admin.listTopics().names().get().stream().filter(t -> t.startsWith(tag + ".")).toList();
        admin.deleteTopics(ours).all().get();
      }
    }
  }

  /**
   * A {@code syncline consume} process ({@link Main}, one consumer), in the network namespace when
   * there is one; its output goes to {@code consumer-<i>.log} in the output directory.
   */
  private Process startConsumer(String topic, String group, Path out, int i) throws IOException {
    List<String> cmd = new ArrayList<>();
    if (options.netns() != null) {
      cmd.addAll(List.of("ip", "netns", "exec", options.netns()));
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of(System.getenv().getOrDefault("SYNCLINE_BENCH_CONSUMER_OPTS", "-Xmx512m").trim().split("\\s+")));
    // a killed member leaves the group after 10 s rather than Kafka's default 45 s
    cmd.addAll(List.of("-Dsyncline.consume.consumer.session.timeout.ms=10000", "-cp", consumeClasspath(),
        "io.syncline.node.Main", "consume", "--topic", topic, "--group", group, "--out", out.toString(),
        "--bootstrap-servers", consumerBootstrap, "--consumers", "1", "--from", "earliest"));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolve("consumer-" + i + ".log").toFile())
        .start();
  }

  /**
   * The class path of {@code syncline consume}: cluster-node's jar and libraries, as bin/syncline
   * runs it (system property {@value #CONSUME_CLASSPATH}, set by bench/consumers). Not the
   * benchmark's own class path, which leaves cluster-node out.
   */
  private static String consumeClasspath() {
    String cp = System.getProperty(CONSUME_CLASSPATH, "");
    if (cp.isBlank()) {
      throw new IllegalArgumentException("system property " + CONSUME_CLASSPATH + " is not set: run bench/consumers "
          + "or bench/netns-consumers, or set it to cluster-node/target/syncline-cluster-node-<version>.jar:"
          + "cluster-node/target/lib/*");
    }
    return cp;
  }

  /** Waits until every consumer process is a member of the group and every partition is assigned. */
  private void awaitGroup(Admin admin, String group, List<Process> consumers) throws Exception {
    long deadline = System.nanoTime() + GROUP_SETTLE.toNanos();
    while (true) {
      ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
      int assigned = d.members().stream().map(MemberDescription::assignment).mapToInt(a -> a.topicPartitions().size()).sum();
      if (d.members().size() == consumers.size() && assigned == options.partitions()
          && d.state() == org.apache.kafka.common.ConsumerGroupState.STABLE) {
        return;
      }
      for (Process c : consumers) {
        if (!c.isAlive()) {
          throw new IllegalStateException("a consumer process exited before joining group " + group);
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("group " + group + " did not settle within " + GROUP_SETTLE + ": " + d);
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }

  private static Map<Integer, Long> committed(Admin admin, String group, String topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    Map<Integer, Long> out = new TreeMap<>();
    offsets.forEach((tp, o) -> {
      if (tp.topic().equals(topic) && o != null) {
        out.put(tp.partition(), o.offset());
      }
    });
    return out;
  }

  /** Records with a null value (tombstones) in [0, end) of the topic's partitions. */
  private long tombstones(String topic, Map<Integer, Long> end) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "max.poll.records", "10000"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = end.keySet().stream().map(p -> new TopicPartition(topic, p)).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long nulls = 0;
      long read = 0;
      long total = end.values().stream().mapToLong(Long::longValue).sum();
      long deadline = System.nanoTime() + DRAIN_LIMIT.toNanos();
      while (read < total) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("read " + read + " of " + total + " records of " + topic + " within " + DRAIN_LIMIT);
        }
        for (var r : c.poll(Duration.ofMillis(500))) {
          if (r.offset() < end.get(r.partition())) {
            read++;
            if (r.value() == null) {
              nulls++;
            }
          }
        }
      }
      return nulls;
    }
  }

  private static Map<Integer, Long> endOffsets(Admin admin, Map<TopicPartition, OffsetSpec> latest) throws Exception {
    Map<Integer, Long> out = new TreeMap<>();
    admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp.partition(), info.offset()));
    return out;
  }

  /** When the last CSV row was written: the latest modification time of the CSV files (epoch ms). */
  private static long lastCsvWrite(Path out) throws IOException {
    try (Stream<Path> files = Files.walk(out)) {
      return files.filter(p -> p.toString().endsWith(".csv")).map(p -> {
        try {
          return Files.getLastModifiedTime(p);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).max(Comparator.naturalOrder()).map(FileTime::toMillis)
          .orElseThrow(() -> new IllegalStateException("no CSV file under " + out));
    }
  }

  /** Rows missing on either side or with any column different; the first few are printed. */
  private static long countDifferences(Map<Long, List<String>> table, Map<Long, List<String>> replayed) {
    long wrong = 0;
    for (Map.Entry<Long, List<String>> e : table.entrySet()) {
      List<String> got = replayed.get(e.getKey());
      if (!e.getValue().equals(got) && wrong++ < 5) {
        System.out.println("row " + e.getKey() + ": table " + e.getValue() + ", replayed CSV " + got);
      }
    }
    for (Map.Entry<Long, List<String>> e : replayed.entrySet()) {
      if (!table.containsKey(e.getKey()) && wrong++ < 5) {
        System.out.println("row " + e.getKey() + ": not in the table, replayed CSV " + e.getValue());
      }
    }
    return wrong;
  }

  private static String describe(ReaderProcess.Result r) {
    return String.format(Locale.ROOT, "reader %.0f events/s, cpu %.1f s, peak rss %.0f MB", r.eventsPerSecond(),
        r.cpuSeconds(), r.peakRssMegabytes());
  }

  private static int freePort(String host) throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return s.getLocalPort();
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
