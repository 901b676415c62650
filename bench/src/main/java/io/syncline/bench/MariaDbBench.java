package io.syncline.bench;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.DeleteRowsEventData;
import com.github.shyiko.mysql.binlog.event.EventData;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import com.github.shyiko.mysql.binlog.event.UpdateRowsEventData;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDeserializer;
import io.syncline.embedded.MariaDbServer;
import io.syncline.persistence.BinlogPosition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The standard workload on an embedded MariaDB 11.4 ({@code --sync-binlog=0},
 * {@code --innodb-flush-log-at-trx-commit=0}: writing the workload is not what is measured).
 * Catch-up: each run writes the workload into a fresh binlog file; the readers read that range:
 * <ul>
 *   <li>{@code mariadb-binlog --base64-output=DECODE-ROWS --verbose} on the binlog file, to
 *       /dev/null: MariaDB's own client, decoding every row to text (the reference). It reads the
 *       file: Debian's mariadb-binlog (10.11) refuses to read from an 11.x server remotely ("Master
 *       reported unrecognized MariaDB version"), and reading the file leaves out the server's dump
 *       thread and the socket, which only favours the reference;</li>
 *   <li>{@code binlog-connector}: mysql-binlog-connector-java alone, from the server, its own row
 *       parsing, rows counted, nothing converted or encoded (the floor under our reader);</li>
 *   <li>Syncline readers, starting at the range's start as if the table had committed up to it.</li>
 * </ul>
 * Live: the reader starts at the binlog's end before the workload. Snapshot: the reference is
 * {@code mariadb --quick --batch -e 'SELECT * FROM t'} to /dev/null; Syncline snapshots with
 * {@code snapshot-mode = initial}. Server-side CPU of a reader: the whole {@code mariadbd} process.
 */
final class MariaDbBench implements BenchDatabase {

  private static final String DB = "bench";
  private static final String BINLOG_CLIENT = "mariadb-binlog";

  /** The binlog range of one run's workload. */
  private record Range(String file, long start, long end) {}

  private final MariaDbServer db;
  private final long serverPid;
  private final Path dataDir;
  private Range range;
  private double serverBefore;

  private MariaDbBench(MariaDbServer db, long serverPid, Path dataDir) {
    this.db = db;
    this.serverPid = serverPid;
    this.dataDir = dataDir;
  }

  static MariaDbBench start() throws Exception {
    MariaDbServer db = MariaDbServer.start(List.of("--innodb-buffer-pool-size=512M",
        "--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0", "--max-binlog-size=1G"));
    db.createDatabase(DB);
    try (Connection c = db.connect(""); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT @@pid_file, @@datadir")) {
      rs.next();
      return new MariaDbBench(db, Long.parseLong(Files.readString(Path.of(rs.getString(1))).trim()), Path.of(rs.getString(2)));
    }
  }

  @Override
  public String prefix() {
    return "mariadb";
  }

  @Override
  public String describe() throws Exception {
    return "MariaDB " + db.version() + " (embedded); " + version(BINLOG_CLIENT) + "; " + version("mariadb");
  }

  private static String version(String client) throws Exception {
    Process p = new ProcessBuilder(client, "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  private void freshTable() {
    db.execute(DB,
        "DROP TABLE IF EXISTS t",
        "CREATE TABLE t (id BIGINT PRIMARY KEY, category VARCHAR(32), domain VARCHAR(64), ts DATETIME(6),"
            + " INDEX t_domain (domain))",
        "FLUSH BINARY LOGS");
  }

  @Override
  public void prepareCatchup(List<String> sinks, int rowsPerTxn, int rounds) throws Exception {
    freshTable();
    BinlogPosition start = masterStatus();
    BenchSupport.writeChanges("mariadb", db.connect(DB), rowsPerTxn, rounds, SQL);
    BinlogPosition end = masterStatus();
    if (!end.file().equals(start.file())) {
      throw new IllegalStateException("the workload spans binlog files " + start.file() + " .. " + end.file()
          + ": raise --max-binlog-size");
    }
    range = new Range(start.file(), start.offset(), end.offset());
  }

  /** 25 rounds x 4 transactions (insert, insert, update, delete) of {@code rowsPerTxn} rows. */
  @Override
  public void writeWorkload(int rowsPerTxn) throws Exception {
    BenchSupport.writeChanges("mariadb", db.connect(DB), rowsPerTxn, SQL);
  }

  /** The standard workload's statements in this dialect. */
  static final BenchSupport.WorkloadSql SQL = new BenchSupport.WorkloadSql() {
    @Override
    public String insert(long from, long to) {
      return "INSERT INTO t SELECT seq, CONCAT('cat', seq % 16), CONCAT('host', seq, '.d', seq % 1000, '.example.com'),"
        + " NOW(6) FROM seq_" + from + "_to_" + to;
    }

    @Override
    public String update(long from, long to) {
      return "UPDATE t SET category = CONCAT('cat', (id + 1) % 16), ts = NOW(6) WHERE id BETWEEN " + from + " AND "
          + to;
    }
  };


  private BinlogPosition masterStatus() throws Exception {
    try (Connection c = db.connect(DB); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW MASTER STATUS")) {
      if (!rs.next()) {
        throw new IllegalStateException("SHOW MASTER STATUS is empty: the binlog is off");
      }
      return new BinlogPosition(rs.getString(1), rs.getLong(2), BinlogPosition.COMPLETE, null);
    }
  }

  @Override
  public List<String> catchupReferences() {
    return List.of(BINLOG_CLIENT, "binlog-connector");
  }

  @Override
  public BenchSupport.Timed runCatchupReference(String reference, long changes) throws Exception {
    return reference.equals(BINLOG_CLIENT) ? binlogClient(changes) : connectorAlone(changes);
  }

  /** The server's own client decoding each row of the range to text, to /dev/null; checked to decode every change first. */
  private BenchSupport.Timed binlogClient(long changes) throws Exception {
    String read = String.join(" ", BINLOG_CLIENT, "--start-position=" + range.start(), "--stop-position=" + range.end(),
        "--base64-output=DECODE-ROWS", "--verbose", "'" + dataDir.resolve(range.file()) + "'");
    // first, untimed: the same command decodes every change of the range (one "### INSERT|UPDATE|DELETE" each)
    Process check = new ProcessBuilder("bash", "-c", read + " | grep -c -E '^### (INSERT|UPDATE|DELETE) '")
        .redirectErrorStream(true).start();
    String counted = new String(check.getInputStream().readAllBytes()).strip();
    check.waitFor(10, TimeUnit.MINUTES);
    if (!counted.equals(String.valueOf(changes))) {
      throw new IllegalStateException(BINLOG_CLIENT + " decoded " + counted + " row changes, expected " + changes);
    }
    return BenchSupport.timed(read + " > /dev/null");
  }

  /**
   * mysql-binlog-connector-java on its own: connect at the range's start, let the library parse
   * every row event (its deserializer, microsecond temporals, text as bytes), count the rows, stop
   * at the range's end.
   */
  private BenchSupport.Timed connectorAlone(long changes) throws Exception {
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
    return new BenchSupport.Timed((end - t0) / 1e9, cpu);
  }

  @Override
  public List<String> catchupReaderArgs(String sink) {
    return readerArgs(range.file(), range.start());
  }

  private List<String> readerArgs(String file, long start) {
    return List.of("db=mariadb", "port=" + db.port(), "database=" + DB, "binlog-file=" + file, "binlog-start=" + start);
  }

  @Override
  public List<String> prepareLive(String sink) throws Exception {
    freshTable();
    BinlogPosition start = masterStatus();
    return readerArgs(start.file(), start.offset());
  }

  /**
   * The binlog's event times have whole seconds (a lag read from them over-states by up to 1 s):
   * the lag is measured from the row's {@code ts}, the writer's {@code NOW(6)} at the statement,
   * in UTC (the writer's session time zone), a little before the commit. Nothing but inserts and
   * updates, so every change carries it.
   */
  @Override
  public List<String> prepareLatency() throws Exception {
    List<String> args = new java.util.ArrayList<>(prepareLive("kafka"));
    args.add("commit-time=ts");
    return args;
  }

  @Override
  public BenchSupport.Paced writePaced(int rowsPerTxn, int txnPerSecond, int seconds) throws Exception {
    Connection c = db.connect(DB);
    try (Statement s = c.createStatement()) {
      s.execute("SET time_zone = '+00:00'"); // DATETIME ts holds UTC wall-clock time: the reader's epoch micros
    }
    return BenchSupport.writePaced(c, rowsPerTxn, txnPerSecond, seconds, SQL);
  }

  @Override
  public void awaitReaderConnected() {
    db.awaitBinlogReaders(1, Duration.ofSeconds(60));
  }

  /** {@code TIMESTAMP} in the envelope's form: UTC, {@code YYYY-MM-DDTHH:MM:SS.ffffffZ}. */
  @Override
  public java.util.Map<Long, List<String>> tableState() throws Exception {
    Connection c = db.connect(DB);
    try (Statement s = c.createStatement()) {
      s.execute("SET time_zone = '+00:00'");
    }
    return BenchSupport.tableState(c, "SELECT id, category, domain, DATE_FORMAT(ts, '%Y-%m-%dT%H:%i:%s.%fZ') FROM t");
  }

  @Override
  public void prepareSnapshot(long rows) throws Exception {
    freshTable();
    BenchSupport.loadRows(db.connect(DB), rows, SQL);
  }

  @Override
  public String snapshotReference() {
    return "mariadb_select";
  }

  @Override
  public BenchSupport.Timed runSnapshotReference() throws Exception {
    return BenchSupport.timed("mariadb -h 127.0.0.1 -P " + db.port() + " -u root --quick --batch -e 'SELECT * FROM "
        + DB + ".t' > /dev/null");
  }

  @Override
  public List<String> snapshotReaderArgs() {
    return List.of("db=mariadb", "port=" + db.port(), "database=" + DB);
  }

  @Override
  public void beforeReader() throws Exception {
    serverBefore = BenchSupport.procCpuSeconds(serverPid, false);
  }

  @Override
  public String afterReader() throws Exception {
    return String.format(Locale.ROOT, "server (mariadbd) cpu %.1f s",
        BenchSupport.procCpuSeconds(serverPid, false) - serverBefore);
  }

  /** Nothing to release: a binlog reader leaves nothing behind on the server. */
  @Override
  public void endMode() {
    range = null;
  }

  @Override
  public void close() {
    db.close();
  }
}
