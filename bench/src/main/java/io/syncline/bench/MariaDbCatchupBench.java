package io.syncline.bench;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.DeleteRowsEventData;
import com.github.shyiko.mysql.binlog.event.EventData;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import com.github.shyiko.mysql.binlog.event.UpdateRowsEventData;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDeserializer;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MariaDbServer;
import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.DeliveryPipeline;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.mysql.MySqlCaptureSource;
import io.syncline.streams.mysql.MySqlSourceSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * MariaDB catch-up of the standard workload, as {@link PgCatchupBench} does it for PostgreSQL: the
 * workload is written to the binlog while nothing reads it (each run in a fresh binlog file), then
 * each reader reads that range from the server and is timed until its last change. Readers:
 * <ul>
 *   <li>{@code mariadb-binlog --base64-output=DECODE-ROWS --verbose} on the binlog file, to
 *       /dev/null: MariaDB's own client, decoding every row to text (the reference);</li>
 *   <li>mysql-binlog-connector-java alone: the wire client and its row parsing, counting rows, no
 *       conversion and no envelope (the floor under our reader);</li>
 *   <li>Syncline: {@link MySqlCaptureSource} (binlog → change events) → envelope JSON → no-op sink.</li>
 * </ul>
 * The order of the readers rotates from run to run. Prints each run, then {@code RESULT} lines with
 * medians and the ratio to the reference.
 */
public final class MariaDbCatchupBench {

  private static final String DB = "bench";

  /** Seconds and CPU seconds (the reader's own process, the whole server process) of one reader. */
  record Measure(double seconds, double clientCpu, double serverCpu) {}

  /** The binlog range of one run's workload. */
  record Range(String file, long start, long end) {}

  private MariaDbCatchupBench() {}

  public static void main(String[] args) throws Exception {
    List<String> a = Arrays.asList(args);
    boolean quick = a.contains("--quick");
    int runs = a.contains("--runs") ? Integer.parseInt(a.get(a.indexOf("--runs") + 1)) : 3;
    String client = a.contains("--binlog-client") ? a.get(a.indexOf("--binlog-client") + 1) : "mariadb-binlog";
    int rowsPerTxn = quick ? 1_000 : 10_000;
    long changes = 25L * 4 * rowsPerTxn;
    System.out.printf("MariaDB catch-up: %d changes (25 rounds x 4 transactions x %d rows), %d runs%n",
        changes, rowsPerTxn, runs);

    ActorSystem system = ActorSystem.create("bench", ConfigFactory.parseString("pekko.loglevel = WARNING"));
    List<String> readers = List.of("mariadb-binlog", "connector", "syncline");
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    readers.forEach(r -> rates.put(r, new ArrayList<>()));
    // the workload is not what is measured: let the server write it quickly
    try (MariaDbServer db = MariaDbServer.start(List.of("--innodb-buffer-pool-size=512M",
        "--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0", "--max-binlog-size=1G"))) {
      db.createDatabase(DB);
      long serverPid = serverPid(db);
      System.out.printf("server: MariaDB %s (embedded), java %s, reference client: %s%n", db.version(),
          System.getProperty("java.version"), version(client));
      for (int run = 1; run <= runs; run++) {
        Range range = prepareRun(db, rowsPerTxn);
        StringBuilder line = new StringBuilder("run " + run + ":");
        for (int i = 0; i < readers.size(); i++) {
          String reader = readers.get((i + run - 1) % readers.size());
          Measure m = switch (reader) {
            case "mariadb-binlog" -> binlogClient(client, db, serverPid, range, changes);
            case "connector" -> connectorAlone(db, serverPid, range, changes);
            default -> syncline(system, db, serverPid, range, changes);
          };
          rates.get(reader).add(changes / m.seconds());
          line.append(String.format(" %s %.0f/s (cpu %.1f + server %.1f)", reader, changes / m.seconds(),
              m.clientCpu(), m.serverCpu()));
        }
        System.out.println(line);
        List<Double> ref = rates.get("mariadb-binlog");
        System.out.printf("run %d ratio syncline / mariadb-binlog %.2f, syncline / connector %.2f%n", run,
            rates.get("syncline").get(run - 1) / ref.get(run - 1),
            rates.get("syncline").get(run - 1) / rates.get("connector").get(run - 1));
      }
    } finally {
      system.terminate();
    }
    List<Double> ref = rates.get("mariadb-binlog");
    System.out.printf("RESULT name=mariadb_binlog_catchup value=%.0f unit=rows/s ratio=na reference=na%n",
        BenchSupport.median(ref));
    System.out.printf("RESULT name=binlog_connector_catchup value=%.0f unit=rows/s ratio=%.2f reference=mariadb-binlog%n",
        BenchSupport.median(rates.get("connector")), BenchSupport.median(BenchSupport.ratios(rates.get("connector"), ref)));
    System.out.printf("RESULT name=mariadb_catchup_noop value=%.0f unit=events/s ratio=%.2f reference=mariadb-binlog%n",
        BenchSupport.median(rates.get("syncline")), BenchSupport.median(BenchSupport.ratios(rates.get("syncline"), ref)));
    System.exit(0);
  }

  /** A fresh table, a fresh binlog file, then the workload; returns its range in that file. */
  private static Range prepareRun(MariaDbServer db, int rowsPerTxn) throws Exception {
    db.execute(DB,
        "DROP TABLE IF EXISTS t",
        "CREATE TABLE t (id BIGINT PRIMARY KEY, category VARCHAR(32), domain VARCHAR(64), ts DATETIME(6),"
            + " INDEX t_domain (domain))",
        "FLUSH BINARY LOGS");
    long t0 = System.nanoTime();
    try (Connection c = db.connect(DB); Statement s = c.createStatement()) {
      BinlogPosition start = masterStatus(s);
      c.setAutoCommit(false);
      for (int r = 0; r < 25; r++) {
        long base = (long) r * 2 * rowsPerTxn;
        String values = "CONCAT('cat', seq % 16), CONCAT('host', seq, '.d', seq % 1000, '.example.com'), NOW(6)";
        s.execute("INSERT INTO t SELECT seq, " + values + " FROM seq_" + (base + 1) + "_to_" + (base + rowsPerTxn));
        c.commit();
        s.execute("INSERT INTO t SELECT seq, " + values + " FROM seq_" + (base + rowsPerTxn + 1) + "_to_"
            + (base + 2L * rowsPerTxn));
        c.commit();
        s.execute("UPDATE t SET category = CONCAT('cat', (id + 1) % 16), ts = NOW(6) WHERE id BETWEEN " + (base + 1)
            + " AND " + (base + rowsPerTxn));
        c.commit();
        s.execute("DELETE FROM t WHERE id BETWEEN " + (base + rowsPerTxn + 1) + " AND " + (base + 2L * rowsPerTxn));
        c.commit();
      }
      BinlogPosition end = masterStatus(s);
      if (!end.file().equals(start.file())) {
        throw new IllegalStateException("the workload spans binlog files " + start.file() + " .. " + end.file()
            + ": raise --max-binlog-size");
      }
      System.out.printf("workload written in %d ms: %s bytes %d..%d%n", (System.nanoTime() - t0) / 1_000_000,
          start.file(), start.offset(), end.offset());
      return new Range(start.file(), start.offset(), end.offset());
    }
  }

  private static BinlogPosition masterStatus(Statement s) throws Exception {
    try (ResultSet rs = s.executeQuery("SHOW MASTER STATUS")) {
      if (!rs.next()) {
        throw new IllegalStateException("SHOW MASTER STATUS is empty: the binlog is off");
      }
      return new BinlogPosition(rs.getString(1), rs.getLong(2), BinlogPosition.COMPLETE, null);
    }
  }

  private static long serverPid(MariaDbServer db) throws Exception {
    try (Connection c = db.connect(""); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@pid_file")) {
      rs.next();
      return Long.parseLong(Files.readString(Path.of(rs.getString(1))).trim());
    }
  }

  private static Path dataDir(MariaDbServer db) throws Exception {
    try (Connection c = db.connect(""); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@datadir")) {
      rs.next();
      return Path.of(rs.getString(1));
    }
  }

  private static String version(String client) throws Exception {
    Process p = new ProcessBuilder(client, "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  /**
   * The server's own client decoding each row of the range to text, to /dev/null. It reads the
   * binlog file from the server's data directory: Debian's mariadb-binlog (10.11) refuses to read
   * from an 11.x server remotely ("Master reported unrecognized MariaDB version"), and reading the
   * file leaves out the server's dump thread and the socket, which only favours the reference.
   */
  private static Measure binlogClient(String client, MariaDbServer db, long serverPid, Range range, long changes)
      throws Exception {
    Path file = dataDir(db).resolve(range.file());
    String read = String.join(" ", client, "--start-position=" + range.start(), "--stop-position=" + range.end(),
        "--base64-output=DECODE-ROWS", "--verbose", "'" + file + "'");
    // first, untimed: the same command decodes every change of the range (one "### INSERT|UPDATE|DELETE" each)
    Process check = new ProcessBuilder("bash", "-c", read + " | grep -c -E '^### (INSERT|UPDATE|DELETE) '")
        .redirectErrorStream(true).start();
    String counted = new String(check.getInputStream().readAllBytes()).strip();
    check.waitFor(10, TimeUnit.MINUTES);
    if (!counted.equals(String.valueOf(changes))) {
      throw new IllegalStateException(client + " decoded " + counted + " row changes, expected " + changes);
    }
    String cmd = read + " > /dev/null";
    // `times` prints the CPU time of the shell's finished children: the client's own CPU
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", cmd + " && times");
    pb.redirectErrorStream(true);
    double serverBefore = BenchSupport.procCpuSeconds(serverPid, false);
    long t0 = System.nanoTime();
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(client + " failed (exit " + (p.isAlive() ? "timeout" : p.exitValue()) + "): " + out);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    String[] lines = out.strip().split("\n");
    return new Measure(seconds, BenchSupport.parseTimes(lines[lines.length - 1]),
        BenchSupport.procCpuSeconds(serverPid, false) - serverBefore);
  }

  /**
   * mysql-binlog-connector-java on its own: connect at the range's start, let the library parse
   * every row event (its deserializer, microsecond temporals, text as bytes), count the rows, stop
   * at the range's end.
   */
  private static Measure connectorAlone(MariaDbServer db, long serverPid, Range range, long changes) throws Exception {
    double serverBefore = BenchSupport.procCpuSeconds(serverPid, false);
    double jvmBefore = BenchSupport.processCpuSeconds();
    BinaryLogClient client = new BinaryLogClient("127.0.0.1", db.port(), "root", "");
    client.setServerId(4_242_424L);
    client.setKeepAlive(false);
    client.setBinlogFilename(range.file());
    client.setBinlogPosition(range.start());
    EventDeserializer deserializer = new EventDeserializer();
    deserializer.setCompatibilityMode(EventDeserializer.CompatibilityMode.DATE_AND_TIME_AS_LONG_MICRO,
        EventDeserializer.CompatibilityMode.CHAR_AND_BINARY_AS_BYTE_ARRAY);
    client.setEventDeserializer(deserializer);
    AtomicLong rows = new AtomicLong();
    CompletableFuture<Long> finished = new CompletableFuture<>();
    client.registerEventListener(event -> {
      EventData d = event.getData();
      if (d instanceof WriteRowsEventData w) {
        rows.addAndGet(w.getRows().size());
      } else if (d instanceof UpdateRowsEventData u) {
        rows.addAndGet(u.getRows().size());
      } else if (d instanceof DeleteRowsEventData x) {
        rows.addAndGet(x.getRows().size());
      }
      if (event.getHeader() instanceof EventHeaderV4 h && h.getNextPosition() >= range.end()) {
        finished.complete(System.nanoTime());
      }
    });
    long t0 = System.nanoTime();
    Thread reader = new Thread(() -> {
      try {
        client.connect();
      } catch (Exception e) {
        finished.completeExceptionally(e);
      }
    }, "bench-binlog-connector");
    reader.start();
    long end = finished.get(10, TimeUnit.MINUTES);
    double cpu = BenchSupport.processCpuSeconds() - jvmBefore;
    client.disconnect();
    reader.join(TimeUnit.SECONDS.toMillis(30));
    if (rows.get() != changes) {
      throw new IllegalStateException("mysql-binlog-connector-java read " + rows.get() + " rows, expected " + changes);
    }
    return new Measure((end - t0) / 1e9, cpu, BenchSupport.procCpuSeconds(serverPid, false) - serverBefore);
  }

  /** Our reader: MySqlCaptureSource from the range's start → DeliveryPipeline → no-op transport. */
  private static Measure syncline(ActorSystem system, MariaDbServer db, long serverPid, Range range, long changes)
      throws Exception {
    double serverBefore = BenchSupport.procCpuSeconds(serverPid, false);
    double jvmBefore = BenchSupport.processCpuSeconds();
    MySqlSourceSettings settings = MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of(
            "name", "bench", "host", "127.0.0.1", "port", db.port(), "user", "root",
            "include-tables", List.of(DB + ".t"), "snapshot-mode", "never")),
        ConfigFactory.load().getConfig("syncline.source-defaults.mysql"));
    long t0 = System.nanoTime();
    MySqlCaptureSource source = new MySqlCaptureSource(settings);
    List<TableRef> tables = source.prepare();
    // as if the table had committed everything before the workload: the reader starts at the range
    BinlogPosition before = new BinlogPosition(range.file(), range.start(), BinlogPosition.COMPLETE, null);
    Map<TableRef, TableStart> recorded = new LinkedHashMap<>();
    tables.forEach(t -> recorded.put(t, new TableStart(before, true)));
    Pair<CaptureControl, Source<List<CaptureRecord>, org.apache.pekko.NotUsed>> pre =
        source.open(recorded).preMaterialize(system);
    double[] cpu = new double[1];
    long end = BenchSupport.deliverNoop(system, pre, settings.maxBatchSize(), changes,
        () -> cpu[0] = BenchSupport.processCpuSeconds() - jvmBefore);
    return new Measure((end - t0) / 1e9, cpu[0], BenchSupport.procCpuSeconds(serverPid, false) - serverBefore);
  }
}
