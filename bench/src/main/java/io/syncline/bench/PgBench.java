package io.syncline.bench;

import io.syncline.embedded.PgServer;
import io.syncline.persistence.Lsn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The standard workload on an embedded PostgreSQL. Catch-up: one logical replication slot per
 * reader, all created before the workload so each holds the same WAL; the reference is
 * {@code pg_recvlogical} (pgoutput, proto 1, to /dev/null, Debian {@code postgresql-client}). Live:
 * one slot created before the workload. Snapshot: the reference is {@code psql -c "COPY t TO STDOUT"}
 * to /dev/null; Syncline creates its slot with an exported snapshot and reads the table in it.
 * Server-side CPU of a reader: its walsender's, read from the postmaster's reaped-children counters
 * once the walsender exited (with whatever other backend exited meanwhile, e.g. autovacuum).
 */
final class PgBench implements BenchDatabase {

  private static final String DB = "bench";
  private static final String PUBLICATION = "bench_pub";
  private static final String REFERENCE_SLOT = "bench_ref";

  private final PgServer pg;
  private final Path data;
  private final List<String> slots = new ArrayList<>();
  private long endLsn;
  private double serverBefore;

  private PgBench(PgServer pg, Path data) {
    this.pg = pg;
    this.data = data;
  }

  static PgBench start() throws Exception {
    Path data = Files.createTempDirectory("syncline-bench-pg");
    PgServer pg = PgServer.start(Map.of("max_wal_size", "4GB", "shared_buffers", "256MB"), data);
    pg.createDatabase(DB);
    return new PgBench(pg, data);
  }

  @Override
  public String prefix() {
    return "pg";
  }

  @Override
  public String describe() throws Exception {
    return "PostgreSQL " + pg.version() + " (embedded); " + version("pg_recvlogical") + "; " + version("psql");
  }

  private static String version(String tool) throws Exception {
    Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  @Override
  public void prepareCatchup(List<String> sinks, int rowsPerTxn, int rounds) throws Exception {
    freshTable();
    createSlot(REFERENCE_SLOT);
    for (String sink : sinks) {
      createSlot("bench_" + sink);
    }
    BenchSupport.writeChanges("pg", pg.connect(DB), rowsPerTxn, rounds, SQL);
    try (Connection c = pg.connect(DB); Statement s = c.createStatement()) {
      ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text");
      rs.next();
      endLsn = Lsn.parse(rs.getString(1)).value();
      // a record past the end, so pg_recvlogical sees --endpos reached without waiting for a keepalive
      s.execute("SELECT pg_logical_emit_message(false, 'bench-end', '')");
    }
  }

  private void freshTable() {
    pg.execute(DB,
        "DROP TABLE IF EXISTS t",
        "CREATE TABLE t (id BIGINT PRIMARY KEY, category VARCHAR(32), domain VARCHAR(64), ts TIMESTAMP)",
        "CREATE INDEX t_domain ON t (domain)",
        "DROP PUBLICATION IF EXISTS " + PUBLICATION,
        "CREATE PUBLICATION " + PUBLICATION + " FOR TABLE t");
  }

  private void createSlot(String slot) {
    pg.execute(DB, "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
    slots.add(slot);
  }

  @Override
  public List<String> catchupReferences() {
    return List.of("pg_recvlogical");
  }

  @Override
  public BenchSupport.Timed runCatchupReference(String reference, long changes) throws Exception {
    return BenchSupport.timed(String.join(" ", "pg_recvlogical", "-h", "localhost", "-p", String.valueOf(pg.port()),
        "-U", "postgres", "-d", DB, "--slot", REFERENCE_SLOT, "--start", "--no-loop",
        "-o", "proto_version=1", "-o", "publication_names=" + PUBLICATION, "-o", "messages=true",
        "-E", new Lsn(endLsn).toString(), "-f", "/dev/null"));
  }

  @Override
  public List<String> catchupReaderArgs(String sink) {
    return readerArgs("bench_" + sink);
  }

  private List<String> readerArgs(String slot) {
    return List.of("db=postgres", "port=" + pg.port(), "database=" + DB, "slot=" + slot, "publication=" + PUBLICATION);
  }

  @Override
  public List<String> prepareLive(String sink) {
    freshTable();
    createSlot("bench_live");
    return readerArgs("bench_live");
  }

  /** The lag is measured from the commit time pgoutput sends (microseconds). */
  @Override
  public List<String> prepareLatency() {
    return prepareLive("kafka");
  }

  @Override
  public BenchSupport.Paced writePaced(int rowsPerTxn, int txnPerSecond, int seconds) throws Exception {
    return BenchSupport.writePaced(pg.connect(DB), rowsPerTxn, txnPerSecond, seconds, SQL);
  }

  @Override
  public void awaitReaderConnected() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (activeSlots() == 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the Syncline reader did not start streaming from slot bench_live within 60 s");
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  private long activeSlots() throws Exception {
    try (Connection c = pg.connect(DB); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'bench_%' AND active")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** 25 rounds x 4 transactions (insert, insert, update, delete) of {@code rowsPerTxn} rows. */
  @Override
  public void writeWorkload(int rowsPerTxn) throws Exception {
    BenchSupport.writeChanges("pg", pg.connect(DB), rowsPerTxn, SQL);
  }

  /** The standard workload's statements in this dialect. */
  static final BenchSupport.WorkloadSql SQL = new BenchSupport.WorkloadSql() {
    @Override
    public String insert(long from, long to) {
      return "INSERT INTO t SELECT g, 'cat' || (g % 16), 'host' || g || '.d' || (g % 1000) || '.example.com', now()"
        + " FROM generate_series(" + from + ", " + to + ") g";
    }

    @Override
    public String update(long from, long to) {
      return "UPDATE t SET category = 'cat' || ((id + 1) % 16), ts = now() WHERE id BETWEEN " + from + " AND " + to;
    }
  };


  /** {@code timestamp} in the envelope's form: {@code YYYY-MM-DDTHH:MM:SS.ffffff}. */
  @Override
  public Map<Long, List<String>> tableState() throws Exception {
    return BenchSupport.tableState(pg.connect(DB),
        "SELECT id, category, domain, to_char(ts, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM t");
  }

  @Override
  public void prepareSnapshot(long rows) throws Exception {
    freshTable();
    BenchSupport.loadRows(pg.connect(DB), rows, SQL);
    pg.execute(DB, "VACUUM ANALYZE t");
    slots.add("bench_snapshot"); // created by the reader (with an exported snapshot), dropped at the end
  }

  @Override
  public String snapshotReference() {
    return "psql_copy";
  }

  @Override
  public BenchSupport.Timed runSnapshotReference() throws Exception {
    return BenchSupport.timed("psql -h localhost -p " + pg.port() + " -U postgres -d " + DB
        + " -c 'COPY t TO STDOUT' > /dev/null");
  }

  @Override
  public List<String> snapshotReaderArgs() {
    return readerArgs("bench_snapshot");
  }

  @Override
  public void beforeReader() throws Exception {
    serverBefore = serverChildrenCpuSeconds();
  }

  /** Waits (up to 30 s) until no bench slot is active (walsenders exited and reaped); notes the server CPU used. */
  @Override
  public String afterReader() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (activeSlots() > 0 && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(100);
    }
    TimeUnit.MILLISECONDS.sleep(300); // the postmaster reaps the exited walsender
    return String.format(Locale.ROOT, "server (walsender) cpu %.1f s", serverChildrenCpuSeconds() - serverBefore);
  }

  /**
   * CPU seconds of the server's exited backends (the postmaster's reaped children: a walsender's
   * CPU lands here once its connection ends), from /proc/&lt;postmaster pid&gt;/stat.
   */
  private double serverChildrenCpuSeconds() throws Exception {
    long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    return BenchSupport.procCpuSeconds(pid, true);
  }

  /** Drops the slots of the mode once their walsenders have let go of them. */
  @Override
  public void endMode() {
    for (String slot : slots) {
      pg.dropSlotWhenReleased(DB, slot, Duration.ofSeconds(30));
    }
    slots.clear();
  }

  @Override
  public void close() {
    pg.close();
  }
}
