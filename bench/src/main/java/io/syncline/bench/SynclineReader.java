package io.syncline.bench;

import com.typesafe.config.ConfigFactory;
import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.DeliveryPipeline;
import io.syncline.streams.capture.Progress;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.mysql.MySqlCaptureSource;
import io.syncline.streams.mysql.MySqlSourceSettings;
import io.syncline.streams.postgres.PgCapture;
import io.syncline.streams.postgres.PgSourceSettings;
import io.syncline.streams.postgres.PgStart;
import io.syncline.streams.postgres.PgTable;
import io.syncline.streams.transport.JsonLinesTransport;
import io.syncline.streams.transport.KafkaSettings;
import io.syncline.streams.transport.KafkaTransport;
import io.syncline.streams.transport.NoopTransport;
import io.syncline.streams.transport.OutRecord;
import io.syncline.streams.transport.Outgoing;
import io.syncline.streams.transport.Transport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One Syncline reader, run by the benchmark in a JVM of its own ({@link ReaderProcess}) so that its
 * peak RSS and CPU are Syncline's alone (not the parent's embedded Kafka broker, JDBC workload
 * writer or earlier phases). It builds the source (PostgreSQL or MariaDB, streaming from a given
 * start or snapshotting first), the sink (no-op, JSON lines, Kafka), runs source → envelope JSON →
 * sink, acknowledging the source like the node does, until {@code changes} events are delivered.
 *
 * <p>Arguments are {@code key=value}: {@code db} (postgres | mariadb), {@code port}, {@code mode}
 * (stream | snapshot), {@code sink} (noop | jsonl | kafka), {@code changes}; PostgreSQL: {@code database},
 * {@code slot}, {@code publication}; MariaDB: {@code database}, {@code binlog-file},
 * {@code binlog-start} (stream mode); JSON lines: {@code dir}; Kafka: {@code bootstrap},
 * {@code topic-prefix}, {@code partitions} (of the topics it creates, default 1), {@code producer.<property>}
 * (producer overrides, for A/B runs); {@code warmup-events}: lag percentiles count only batches delivered
 * after this many events (the whole run's p99 and max are reported beside them);
 * {@code commit-time=<column>}: the lag is measured from that DATETIME(6) column of the row rather than
 * from the source's commit time. It prints {@code READY} on stdout once the stream runs, then one line
 * {@code DONE key=value ...} ({@link ReaderProcess.Result}) and exits; logs go to stderr.
 */
public final class SynclineReader {

  private SynclineReader() {}

  /**
   * A prepared source: its tables, the capture (materialized only once the sink is ready: a
   * pre-materialized source cancels itself when nothing subscribes within the materializer's
   * subscription timeout, 5 s, which topic creation on a loaded machine can take) and its batch size.
   */
  private record Opened(Collection<TableRef> tables, Source<List<CaptureRecord>, CaptureControl> capture,
      int maxBatchSize) {

    /**
     * The same capture with each streamed change's commit time taken from a microsecond
     * DATETIME column of its row (the writer's own clock, {@code NOW(6)} at the statement, in UTC) instead
     * of the source's: for MariaDB, whose binlog event times have whole seconds. Changes without
     * the column in their after image (deletes) keep the source's commit time.
     */
    Opened withCommitTimeFrom(String column) {
      Source<List<CaptureRecord>, CaptureControl> timed = capture.map(batch -> {
        List<CaptureRecord> out = new java.util.ArrayList<>(batch.size());
        for (CaptureRecord r : batch) {
          out.add(r instanceof CaptureRecord.Change c && !c.event().snapshot() && c.event().after() != null
              && c.event().after().get(column) instanceof String ts
              ? new CaptureRecord.Change(commitAt(c.event(), utcMicros(ts))) : r);
        }
        return out;
      });
      return new Opened(tables, timed, maxBatchSize);
    }

    /** {@code YYYY-MM-DDTHH:MM:SS.ffffff} (a DATETIME(6) as the MariaDB source gives it), read as UTC → epoch micros. */
    private static long utcMicros(String ts) {
      java.time.Instant t = java.time.LocalDateTime.parse(ts.endsWith("Z") ? ts.substring(0, ts.length() - 1) : ts)
          .toInstant(java.time.ZoneOffset.UTC);
      return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
    }

    private static ChangeEvent commitAt(ChangeEvent e, long micros) {
      return new ChangeEvent(e.table(), e.op(), e.position(), e.txId(), e.txOrder(), micros, e.snapshot(), e.before(),
          e.after(), e.unchangedToast(), e.updateDescription());
    }
  }

  public static void main(String[] args) throws Exception {
    ActorSystem system = ActorSystem.create("reader", ConfigFactory.parseString("pekko.loglevel = WARNING")
        .withFallback(ConfigFactory.load()));
    try {
      if (args.length > 0) {
        runJob(system, parse(List.of(args)));
      } else {
        // jobs from the parent, one line of key=value arguments each, until it closes stdin
        System.out.println("STARTED");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (!line.isBlank()) {
            runJob(system, parse(List.of(line.trim().split(" "))));
          }
        }
      }
    } finally {
      system.terminate();
    }
    System.exit(0);
  }

  private static Map<String, String> parse(List<String> args) {
    Map<String, String> a = new LinkedHashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("reader argument '" + arg + "': expected key=value");
      }
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return a;
  }

  /**
   * One job: opens the source and the sink, delivers {@code changes} events, prints the
   * {@code DONE} line. Its CPU is this JVM's CPU over the job; its peak RSS is the JVM's VmHWM,
   * reset at the job's start where the kernel allows it (so in a reused JVM it is the peak during
   * this job, which still holds what earlier jobs left resident).
   */
  private static void runJob(ActorSystem system, Map<String, String> a) throws Exception {
    long changes = Long.parseLong(required(a, "changes"));
    boolean reset = BenchSupport.resetPeakRss();
    double cpu0 = BenchSupport.processCpuSeconds();
    long t0 = System.nanoTime();
    boolean snapshot = switch (required(a, "mode")) {
      case "stream" -> false;
      case "snapshot" -> true;
      default -> throw new IllegalArgumentException("reader mode=" + a.get("mode") + ": use stream or snapshot");
    };
    Opened opened = switch (required(a, "db")) {
      case "postgres" -> openPostgres(a, snapshot);
      case "mariadb" -> openMariaDb(a, snapshot);
      default -> throw new IllegalArgumentException("reader db=" + a.get("db") + ": use postgres or mariadb");
    };
    String commitTime = a.getOrDefault("commit-time", "source");
    if (!commitTime.equals("source")) {
      opened = opened.withCommitTimeFrom(commitTime);
    }
    try (Transport sink = sink(a, system)) {
      sink.prepare(opened.tables()).toCompletableFuture().get(1, TimeUnit.MINUTES);
      CountingTransport counted = new CountingTransport(sink);
      CaptureMetrics metrics = new CaptureMetrics();
      CaptureMetrics steady = new CaptureMetrics();
      long warmup = Long.parseLong(a.getOrDefault("warmup-events", "0"));
      long end = deliver(system, opened, counted, metrics, steady, warmup, changes);
      double cpu = BenchSupport.processCpuSeconds() - cpu0;
      System.out.println(new ReaderProcess.Result((end - t0) / 1e9, changes, counted.bytes.sum(), cpu,
          BenchSupport.peakRssKb(), reset, steady.lagMillis(0.5), steady.lagMillis(0.99), steady.lagMillis(1.0),
          metrics.lagMillis(0.99), metrics.lagMillis(1.0),
          System.currentTimeMillis()).line());
      System.out.flush();
    }
  }

  private static String required(Map<String, String> a, String key) {
    String v = a.get(key);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("reader argument " + key + "=... is required");
    }
    return v;
  }

  private static Opened openPostgres(Map<String, String> a, boolean snapshot) {
    PgSourceSettings settings = PgSourceSettings.create(ConfigFactory.parseMap(Map.of(
            "name", "bench", "host", "localhost", "port", Integer.parseInt(required(a, "port")),
            "database", required(a, "database"), "user", "postgres",
            "include-tables", List.of("public.t"), "slot-name", required(a, "slot"),
            "publication-name", required(a, "publication"),
            "snapshot-mode", snapshot ? "initial" : "never", "create-publication", false)),
        ConfigFactory.load().getConfig("syncline.source-defaults.postgres"));
    List<PgTable> tables = PgCapture.prepare(settings);
    return new Opened(tables.stream().map(PgTable::ref).toList(), PgCapture.source(settings, new PgStart(tables, Map.of())),
        settings.maxBatchSize());
  }

  private static Opened openMariaDb(Map<String, String> a, boolean snapshot) {
    MySqlSourceSettings settings = MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of(
            "name", "bench", "host", "127.0.0.1", "port", Integer.parseInt(required(a, "port")), "user", "root",
            "include-tables", List.of(required(a, "database") + ".t"),
            "snapshot-mode", snapshot ? "initial" : "never")),
        ConfigFactory.load().getConfig("syncline.source-defaults.mysql"));
    MySqlCaptureSource source = new MySqlCaptureSource(settings);
    List<TableRef> tables = source.prepare();
    Map<TableRef, TableStart> recorded = new LinkedHashMap<>();
    if (!snapshot) {
      // as if the table had committed everything before the workload: the reader starts there
      BinlogPosition before = new BinlogPosition(required(a, "binlog-file"), Long.parseLong(required(a, "binlog-start")),
          BinlogPosition.COMPLETE, null);
      tables.forEach(t -> recorded.put(t, new TableStart(before, true)));
    }
    return new Opened(tables, source.open(recorded), settings.maxBatchSize());
  }

  private static Transport sink(Map<String, String> a, ActorSystem system) {
    return switch (required(a, "sink")) {
      case "noop" -> new NoopTransport();
      case "jsonl" -> JsonLinesTransport.create(system, new JsonLinesTransport.Settings(Path.of(required(a, "dir")), false, false));
      case "kafka" -> {
        Map<String, String> overrides = new LinkedHashMap<>();
        a.forEach((k, v) -> {
          if (k.startsWith("producer.")) {
            overrides.put(k.substring("producer.".length()), v);
          }
        });
        yield KafkaTransport.create(system, KafkaSettings.defaults(required(a, "bootstrap"))
            .withTopicPrefix(required(a, "topic-prefix"))
            .withPartitions(Integer.parseInt(a.getOrDefault("partitions", "1")))
            .withProducerOverrides(overrides));
      }
      default -> throw new IllegalArgumentException("reader sink=" + a.get("sink") + ": use noop, jsonl or kafka");
    };
  }

  /**
   * Runs the capture through the delivery pipeline into the sink, acknowledging the source as the
   * node does, until {@code changes} events are delivered; prints {@code READY} once running.
   *
   * @return {@link System#nanoTime()} when the last event was delivered
   */
  private static long deliver(ActorSystem system, Opened opened, Transport sink, CaptureMetrics metrics,
      CaptureMetrics steady, long warmup, long changes)
      throws Exception {
    Pair<CaptureControl, Source<List<CaptureRecord>, NotUsed>> capture = DeliveryPipeline.preMaterialize(opened.capture(), system);
    CaptureControl control = capture.first();
    AtomicLong delivered = new AtomicLong();
    CompletableFuture<Long> finished = new CompletableFuture<>();
    Pair<UniqueKillSwitch, CompletionStage<Done>> run = capture.second()
        .viaMat(KillSwitches.single(), Keep.right())
        .via(DeliveryPipeline.flow(sink, Map.of(), metrics, opened.maxBatchSize()))
        .map((Progress p) -> {
          if (p.boundary() != null) {
            control.acknowledge(p.boundary());
          }
          long before = delivered.get();
          if (before >= warmup) {
            steady.delivered(p); // lag of the batches delivered once the warm-up's events are through
          }
          if (delivered.addAndGet(p.events()) >= changes) {
            finished.complete(System.nanoTime());
          }
          return p;
        })
        .toMat(Sink.ignore(), Keep.both())
        .addAttributes(DeliveryPipeline.BATCH_BUFFERS)
        .run(system);
    run.second().whenComplete((d, e) -> finished.completeExceptionally(
        e != null ? e : new IllegalStateException("the capture stream ended after " + delivered.get() + " events")));
    System.out.println("READY");
    System.out.flush();
    long end = finished.get(10, TimeUnit.MINUTES);
    run.first().shutdown();
    run.second().toCompletableFuture().get(1, TimeUnit.MINUTES);
    if (delivered.get() != changes) {
      throw new IllegalStateException("Syncline delivered " + delivered.get() + " events, expected " + changes);
    }
    return end;
  }

  /** The sink, counting the bytes (key + envelope) of every record handed to it. */
  private static final class CountingTransport implements Transport {
    private final Transport inner;
    private final LongAdder bytes = new LongAdder();

    CountingTransport(Transport inner) {
      this.inner = inner;
    }

    @Override
    public CompletionStage<Done> prepare(Collection<TableRef> tables) {
      return inner.prepare(tables);
    }

    @Override
    public <P> Flow<Outgoing<P>, P, NotUsed> flow() {
      return Flow.<Outgoing<P>>create()
          .map(o -> {
            long n = 0;
            for (OutRecord r : o.records()) {
              n += (r.key() == null ? 0 : r.key().length) + r.value().length;
            }
            bytes.add(n);
            return o;
          })
          .via(inner.<P>flow());
    }

    @Override
    public String name() {
      return inner.name();
    }

    @Override
    public void close() {
      inner.close();
    }
  }
}
