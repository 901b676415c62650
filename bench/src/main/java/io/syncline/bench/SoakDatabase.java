package io.syncline.bench;

import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.PgServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One source database of the soak: its tables ({@code t}, the standard workload's, and {@code q},
 * a quiet table written once every 20 s, so that most of the time it is idle for longer than
 * {@code idle-table-commit}), the writer that survives the server's faults, the faults of this
 * kind of server, and the end check.
 *
 * <p>The writer keeps the workload exact across faults: a transaction whose connection broke is
 * looked up once the server answers again (did its rows land?) and run again only if not, so every
 * round is whole and each change is known (an id inserted once, updated at most once, deleted at
 * most once).
 */
final class SoakDatabase implements AutoCloseable {

  private final boolean postgres;
  private final PgServer pg;
  private final MariaDbServer maria;
  private final Soak.Options options;
  private final Path work;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong rounds = new AtomicLong();
  private final AtomicLong quietRows = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private Thread writer;

  private SoakDatabase(boolean postgres, PgServer pg, MariaDbServer maria, Soak.Options options, Path work) {
    this.postgres = postgres;
    this.pg = pg;
    this.maria = maria;
    this.options = options;
    this.work = work;
  }

  static SoakDatabase postgres(PgServer pg, Soak.Options options, Path work) {
    return new SoakDatabase(true, pg, null, options, work);
  }

  static SoakDatabase mariadb(MariaDbServer maria, Soak.Options options, Path work) {
    return new SoakDatabase(false, null, maria, options, work);
  }

  String source() {
    return postgres ? "soak_pg" : "soak_mariadb";
  }

  String schemaTable(String table) {
    return (postgres ? "public." : "soak.") + table;
  }

  private Connection connect() throws SQLException {
    return postgres ? pg.connect("soak") : maria.connect("soak");
  }

  void createTables() {
    if (postgres) {
      pg.createDatabase("soak");
      pg.execute("soak", "DROP TABLE IF EXISTS t", "DROP TABLE IF EXISTS q",
          "CREATE TABLE t (id BIGINT PRIMARY KEY, category VARCHAR(32), domain VARCHAR(64), ts TIMESTAMP)",
          "CREATE INDEX t_domain ON t (domain)",
          "CREATE TABLE q (id BIGINT PRIMARY KEY, v INT NOT NULL)");
    } else {
      maria.createDatabase("soak");
      maria.execute("soak", "DROP TABLE IF EXISTS t", "DROP TABLE IF EXISTS q",
          "CREATE TABLE t (id BIGINT PRIMARY KEY, category VARCHAR(32), domain VARCHAR(64), ts DATETIME(6),"
              + " INDEX t_domain (domain))",
          "CREATE TABLE q (id BIGINT PRIMARY KEY, v INT NOT NULL)");
    }
  }

  String sourceEntry() {
    return postgres
        ? "{ kind = postgres, name = soak_pg, host = localhost, port = " + pg.port() + ", database = soak,"
            + " user = postgres, include-tables = [\"public.t\", \"public.q\"], heartbeat-interval = 1s }"
        : "{ kind = mariadb, name = soak_mariadb, host = localhost, port = " + maria.port() + ", user = root,"
            + " include-tables = [\"soak.t\", \"soak.q\"], heartbeat-interval = 1s }";
  }

  List<Soak.Fault> faults() {
    return postgres ? List.of(Soak.Fault.PG_RESTART, Soak.Fault.PG_WALSENDER_KILL)
        : List.of(Soak.Fault.MARIADB_RESTART, Soak.Fault.MARIADB_BINLOG_KILL);
  }

  void inject(Soak.Fault f, Random random) {
    switch (f) {
      case PG_RESTART -> {
        pg.stop();
        Soak.park(Duration.ofMillis(1000 + random.nextInt(5000)));
        pg.startAgain();
      }
      case MARIADB_RESTART -> {
        maria.stop();
        Soak.park(Duration.ofMillis(1000 + random.nextInt(5000)));
        maria.startAgain();
      }
      case PG_WALSENDER_KILL -> {
        long pid = Soak.queryLong(this::connect, "SELECT active_pid FROM pg_replication_slots"
            + " WHERE slot_name = 'syncline_soak_pg' AND active_pid IS NOT NULL");
        Soak.log("  walsender %s", pid > 0 && Soak.tryExecute(this::connect, "SELECT pg_terminate_backend(" + pid + ")")
            ? pid + " terminated" : "not connected (nothing terminated)");
      }
      case MARIADB_BINLOG_KILL -> {
        long id = Soak.queryLong(this::connect,
            "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' LIMIT 1");
        Soak.log("  binlog dump thread %s", id > 0 && Soak.tryExecute(this::connect, "KILL " + id)
            ? id + " killed" : "not connected (nothing killed)");
      }
      default -> throw new IllegalArgumentException(f + " is not a fault of " + source());
    }
  }

  long written() {
    return written.get();
  }

  // ------------------------------------------------------------------ the writer

  void startWriting() {
    writer = new Thread(this::write, "soak-writer-" + source());
    writer.setDaemon(true);
    writer.start();
  }

  /** Fails when the writer failed otherwise than by losing its server. */
  void checkWriter() {
    if (failure.get() != null) {
      throw new IllegalStateException(source() + " writer failed", failure.get());
    }
  }

  /** Ends the writer after its current round (so every round is whole). */
  void stopWriting() throws InterruptedException {
    running.set(false);
    writer.join();
    checkWriter();
    Soak.log("%s: %d rounds, %d changes written to t, %d rows to q", source(), rounds.get(), written.get(),
        quietRows.get());
  }

  private void write() {
    int n = options.rowsPerTxn();
    long roundNanos = (long) (4.0 * n / options.rate() * 1e9);
    long start = System.nanoTime();
    long nextQuiet = start;
    var sql = postgres ? PgBench.SQL : MariaDbBench.SQL;
    Connection[] c = {null};
    try {
      for (long r = 0; running.get(); r++) {
        long base = r * 2 * n;
        transaction(c, sql.insert(base + 1, base + n), "SELECT count(*) FROM t WHERE id = " + (base + 1), 1);
        transaction(c, sql.insert(base + n + 1, base + 2L * n), "SELECT count(*) FROM t WHERE id = " + (base + n + 1), 1);
        String updated = "cat" + ((base + 2) % 16);
        transaction(c, sql.update(base + 1, base + n), "SELECT count(*) FROM t WHERE id = " + (base + 1)
            + " AND category = '" + updated + "'", 1);
        transaction(c, "DELETE FROM t WHERE id BETWEEN " + (base + n + 1) + " AND " + (base + 2L * n),
            "SELECT count(*) FROM t WHERE id = " + (base + n + 1), 0);
        written.addAndGet(4L * n);
        rounds.incrementAndGet();
        if (System.nanoTime() >= nextQuiet) {
          long id = quietRows.get() + 1;
          transaction(c, "INSERT INTO q VALUES (" + id + ", " + r + ")", "SELECT count(*) FROM q WHERE id = " + id, 1);
          quietRows.incrementAndGet();
          nextQuiet = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        }
        Soak.parkUntil(start + (r + 1) * roundNanos);
      }
    } catch (Throwable e) {
      failure.set(e);
    } finally {
      close(c[0]);
    }
  }

  /**
   * Runs {@code sql} in a transaction of its own until it is committed: after a broken connection,
   * waits for the server, asks {@code check} (a count) whether the transaction landed (it did when
   * the count is {@code landed}), and runs it again if not.
   */
  private void transaction(Connection[] c, String sql, String check, long landed) throws InterruptedException {
    while (true) {
      try {
        if (c[0] == null) {
          c[0] = connect();
          c[0].setAutoCommit(false);
        }
        try (Statement s = c[0].createStatement()) {
          s.execute(sql);
        }
        c[0].commit();
        return;
      } catch (SQLException e) {
        close(c[0]);
        c[0] = null;
        long count;
        while ((count = Soak.queryLong(this::connect, check)) < 0) {
          Soak.park(Duration.ofMillis(200));
        }
        if (count == landed) {
          return;
        }
      }
    }
  }

  private static void close(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // gone already
      }
    }
  }

  // ------------------------------------------------------------------ the end check

  /** The end check of one sink. */
  record Check(String source, String sink, boolean tablesEqual, String difference, long expected, long delivered,
      long lost, long duplicates, long badLines) {
    boolean ok() {
      return tablesEqual && lost == 0 && badLines == 0;
    }

    String summary() {
      return "soak_check source=" + source + " sink=" + sink + " replay_equals_table=" + tablesEqual + " changes="
          + expected + " delivered=" + delivered + " lost=" + lost + " duplicates=" + duplicates + " torn_lines="
          + badLines;
    }

    @Override
    public String toString() {
      return summary() + (tablesEqual ? "" : " (" + difference + ")");
    }
  }

  /**
   * Waits (up to {@code timeout} per sink) until the replay of the JSON-lines files and of the Kafka
   * topics equals the tables, then tallies the workload's changes.
   */
  List<Check> check(String bootstrap, Duration timeout, SoakNode node) throws Exception {
    Map<Long, String> t = state("SELECT id, category, domain FROM t");
    Map<Long, String> q = state("SELECT id, v FROM q");
    List<Check> checks = new ArrayList<>();
    Path out = work.resolve("out");
    try (SoakReplay jt = SoakReplay.file(out.resolve(source() + "." + schemaTable("t") + ".jsonl"),
            List.of("category", "domain"));
        SoakReplay jq = SoakReplay.file(out.resolve(source() + "." + schemaTable("q") + ".jsonl"), List.of("v"))) {
      checks.add(check("jsonl", jt, jq, t, q, timeout, node));
    }
    try (SoakReplay kt = SoakReplay.topic(bootstrap, source() + "." + schemaTable("t"), List.of("category", "domain"));
        SoakReplay kq = SoakReplay.topic(bootstrap, source() + "." + schemaTable("q"), List.of("v"))) {
      checks.add(check("kafka", kt, kq, t, q, timeout, node));
    }
    return checks;
  }

  private Check check(String sink, SoakReplay rt, SoakReplay rq, Map<Long, String> t, Map<Long, String> q,
      Duration timeout, SoakNode node) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean equal;
    while (true) {
      rt.update();
      rq.update();
      equal = rt.rows().equals(t) && rq.rows().equals(q);
      if (equal || System.nanoTime() > deadline || !node.alive()) {
        break;
      }
      Soak.park(Duration.ofSeconds(2));
    }
    long n = options.rowsPerTxn();
    long expected = 0;
    long lost = 0;
    for (long r = 0; r < rounds.get(); r++) {
      long base = r * 2 * n;
      for (long id = base + 1; id <= base + 2 * n; id++) {
        boolean first = id <= base + n;
        expected += 2;
        lost += (rt.seen('c', id) ? 0 : 1) + (rt.seen(first ? 'u' : 'd', id) ? 0 : 1);
      }
    }
    String difference = equal ? "" : difference(t, rt.rows(), "t") + "; " + difference(q, rq.rows(), "q");
    return new Check(source(), sink, equal, difference, expected, rt.envelopes(), lost, rt.duplicates(),
        rt.badLines() + rq.badLines());
  }

  private static String difference(Map<Long, String> expected, Map<Long, String> actual, String table) {
    long missing = expected.keySet().stream().filter(k -> !actual.containsKey(k)).count();
    long extra = actual.keySet().stream().filter(k -> !expected.containsKey(k)).count();
    long differ = expected.entrySet().stream()
        .filter(e -> actual.containsKey(e.getKey()) && !actual.get(e.getKey()).equals(e.getValue())).count();
    return table + ": " + expected.size() + " rows in the table, " + actual.size() + " replayed; " + missing
        + " missing, " + extra + " extra, " + differ + " different";
  }

  private Map<Long, String> state(String query) throws SQLException {
    Map<Long, String> rows = new HashMap<>();
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder v = new StringBuilder();
        for (int i = 2; i <= columns; i++) {
          v.append(i == 2 ? "" : "|").append(rs.getString(i));
        }
        rows.put(rs.getLong(1), v.toString());
      }
    }
    return rows;
  }

  @Override
  public void close() {
    running.set(false);
    if (pg != null) {
      pg.close();
    }
    if (maria != null) {
      maria.close();
    }
  }
}
