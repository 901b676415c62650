package io.syncline.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.syncline.embedded.KafkaServer;
import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.MongoServer;
import io.syncline.embedded.PgServer;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.snapshot.SnapshotProgress;
import io.syncline.streams.capture.OpCounts;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code syncline demo}: starts an embedded PostgreSQL, MariaDB or both ({@code --source postgres |
 * mariadb | all}), creates the same two sample tables with some rows in each, runs a write load
 * (inserts, updates, deletes) on each for the given duration while one Syncline node captures all
 * of them into JSON-lines files (and an embedded Kafka broker with {@code --kafka}), shows progress
 * every second and ends with the summary line
 * {@code captured=<n> inserts=<n> updates=<n> deletes=<n> lag_ms_p99=<n>}; with several sources, one
 * such line per source prefixed {@code source=<name>} comes first, and the last line is the total.
 *
 * <p>One code path for every database: a {@link Database} says only what differs by dialect (the
 * server, its source entry, the DDL and seed SQL, the insert's array/JSON functions, how to see the
 * log reader connected); the load, progress and summary are shared.
 */
final class Demo {

  /** The accepted {@code --source} values. */
  static final List<String> SOURCES = List.of("postgres", "mariadb", "mongodb", "all");

  record Options(String source, Duration duration, Path out, boolean kafka) {
    Options {
      if (!SOURCES.contains(source)) {
        throw new IllegalArgumentException("--source " + source + ": use postgres, mariadb, mongodb or all");
      }
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("--duration must be positive, got " + duration);
      }
    }

    List<String> kinds() {
      return source.equals("all") ? List.of("postgres", "mariadb") : List.of(source);
    }
  }

  private static final String DB = "demo";
  static final int SEED_CUSTOMERS = 50;
  static final int SEED_ORDERS = 200;
  /** The statements both dialects write alike. */
  private static final String UPDATE_ORDER = "UPDATE orders SET status = ?, amount = amount + 1, updated_at = now() WHERE id = ?";
  private static final String DELETE_ORDER = "DELETE FROM orders WHERE id = ?";

  private final Options options;
  private final PrintStream out;

  private Demo(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  static int run(Options options) {
    return run(options, System.out);
  }

  static int run(Options options, PrintStream out) {
    return new Demo(options, out).run();
  }

  private int run() {
    long t0 = System.nanoTime();
    Path state;
    try {
      Files.createDirectories(options.out());
      state = Files.createTempDirectory("syncline-demo-state");
    } catch (IOException e) {
      throw new IllegalArgumentException("--out " + options.out() + ": cannot create directory (" + e.getMessage() + ")");
    }
    List<Database> databases = new ArrayList<>();
    KafkaServer kafka = null;
    try {
      for (String kind : options.kinds()) {
        Database db = switch (kind) {
          case "postgres" -> {
            out.println("syncline demo: starting embedded PostgreSQL ...");
            yield Postgres.start();
          }
          case "mariadb" -> {
            out.println("syncline demo: starting embedded MariaDB ...");
            yield MariaDb.start();
          }
          case "mongodb" -> {
            out.println("syncline demo: starting the embedded MongoDB imitation (mongo-java-server) ...");
            yield Mongo.start();
          }
          default -> throw new IllegalArgumentException("--source " + kind);
        };
        databases.add(db);
        db.setUp();
      }
      if (options.kafka()) {
        out.println("syncline demo: starting embedded Kafka broker ...");
        kafka = KafkaServer.start();
      }
      for (Database db : databases) {
        out.printf("syncline demo: %s; capturing %s as source '%s'%n", db.describe(), String.join(", ", db.tables()),
            db.sourceName());
      }
      out.printf("syncline demo: change events to %s%s%n", options.out().toAbsolutePath(),
          kafka != null ? " and Kafka at " + kafka.bootstrapServers() : "");
      try (SynclineNode node = SynclineNode.start(nodeConfig(databases, kafka, state))) {
        List<Workload> loads = new ArrayList<>();
        for (Database db : databases) {
          loads.add(new Workload(db, node.metrics(db.sourceName())));
        }
        return drive(loads, t0);
      }
    } finally {
      if (kafka != null) {
        kafka.close();
      }
      for (int i = databases.size() - 1; i >= 0; i--) {
        databases.get(i).close();
      }
    }
  }

  private Config nodeConfig(List<Database> databases, KafkaServer kafka, Path state) {
    List<String> sinks = new ArrayList<>(List.of("jsonl"));
    if (kafka != null) {
      sinks.add("kafka");
    }
    List<Object> sources = databases.stream().<Object>map(Database::sourceEntry).toList();
    Config c = ConfigFactory.empty()
        .withValue("syncline.data-dir", ConfigValueFactory.fromAnyRef(state.toString()))
        .withValue("syncline.sources", ConfigValueFactory.fromIterable(sources))
        .withValue("syncline.transport.sinks", ConfigValueFactory.fromIterable(sinks))
        .withValue("syncline.transport.jsonl.directory", ConfigValueFactory.fromAnyRef(options.out().toString()))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(0));
    if (kafka != null) {
      c = c.withValue("syncline.transport.kafka.bootstrap-servers", ConfigValueFactory.fromAnyRef(kafka.bootstrapServers()));
    }
    return ConfigFactory.load(c);
  }

  private int drive(List<Workload> loads, long t0) {
    // the load starts once every reader is connected and its initial snapshot delivered,
    // so every later write is a streamed change
    long readyDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    long nextStatus = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (!loads.stream().allMatch(Workload::ready) && System.nanoTime() < readyDeadline) {
      waitMillis(100);
      if (System.nanoTime() >= nextStatus) {
        nextStatus = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        snapshotStatus(loads);
      }
    }
    for (Workload w : loads) {
      out.printf("syncline demo: %sreader connected, initial snapshot delivered (%d rows)%n", w.prefix(loads),
          w.metrics.counts().reads());
    }
    out.printf("syncline demo: writing for %d s ...%n", options.duration().toSeconds());
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(loads.size(), r -> new Thread(r, "demo-load"));
    // one small transaction every 5 ms per database: roughly 400-600 row changes per second each
    for (Workload w : loads) {
      w.open();
      scheduler.scheduleAtFixedRate(w::oneTransaction, 0, 5, TimeUnit.MILLISECONDS);
    }
    long started = System.nanoTime();
    long end = started + options.duration().toNanos();
    while (System.nanoTime() < end) {
      waitSeconds(1);
      progress(loads, started);
    }
    scheduler.shutdown();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Workload w : loads) {
      w.close();
      out.printf("syncline demo: %sload stopped after %d s (%d inserts, %d updates, %d deletes)%n", w.prefix(loads),
          options.duration().toSeconds(), w.inserts.get(), w.updates.get(), w.deletes.get());
    }
    out.println("syncline demo: waiting for capture ...");

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!loads.stream().allMatch(Workload::complete) && System.nanoTime() < deadline) {
      waitSeconds(1);
      progress(loads, started);
    }
    boolean complete = true;
    for (Workload w : loads) {
      if (!w.complete()) {
        complete = false;
        OpCounts c = w.metrics.counts();
        out.printf("syncline demo: %sNOT everything was captured within 60 s: expected %d/%d/%d (+%d snapshot rows),"
                + " got %d/%d/%d (+%d)%n", w.prefix(loads), w.inserts.get(), w.updates.get(), w.deletes.get(),
            w.db.snapshotRows(), c.inserts(), c.updates(), c.deletes(), c.reads());
      }
    }
    out.printf("syncline demo: JSON lines in %s (%d s in all)%n", options.out().toAbsolutePath(),
        (System.nanoTime() - t0) / 1_000_000_000L);
    OpCounts total = OpCounts.ZERO;
    long lagP99 = 0;
    for (Workload w : loads) {
      OpCounts c = w.metrics.counts();
      long lag = w.metrics.lagMillis(0.99);
      if (loads.size() > 1) {
        out.println("source=" + w.db.sourceName() + " " + summary(c, lag));
      }
      total = total.plus(c);
      // the larger of the sources' p99: an upper bound of the p99 over all their events
      lagP99 = Math.max(lagP99, lag);
    }
    out.println(summary(total, lagP99));
    return complete ? 0 : 1;
  }

  /** The summary line (scripts and tests parse it: keep the format). */
  static String summary(OpCounts c, long lagP99) {
    return String.format("captured=%d inserts=%d updates=%d deletes=%d lag_ms_p99=%d", c.total(), c.inserts(),
        c.updates(), c.deletes(), lagP99);
  }

  /** A line per source whose initial snapshot is being read: rows, rows/s, chunks, ETA. */
  private void snapshotStatus(List<Workload> loads) {
    for (Workload w : loads) {
      SnapshotProgress.current(w.db.sourceName()).ifPresent(s ->
          out.printf("syncline demo: %ssnapshot %s%n", w.prefix(loads), SnapshotProgress.describe(s)));
    }
  }

  private void progress(List<Workload> loads, long started) {
    for (Workload w : loads) {
      OpCounts c = w.metrics.counts();
      out.printf("[%3ds] %scaptured=%d (snapshot %d, c %d, u %d, d %d) written c %d u %d d %d, lag_ms last=%d p99=%d%n",
          (System.nanoTime() - started) / 1_000_000_000L, w.prefix(loads), c.total(), c.reads(), c.inserts(),
          c.updates(), c.deletes(), w.inserts.get(), w.updates.get(), w.deletes.get(), w.metrics.lastLagMillis(),
          w.metrics.lagMillis(0.99));
    }
  }

  /**
   * The write load on one database: small transactions of order inserts, updates and deletes, and
   * what was written, to compare with what was captured. {@link #oneTransaction} runs on one
   * scheduler thread at a time (fixed-rate runs of one task never overlap).
   */
  private final class Workload {
    final Database db;
    final CaptureMetrics metrics;
    final AtomicLong inserts = new AtomicLong();
    final AtomicLong updates = new AtomicLong();
    final AtomicLong deletes = new AtomicLong();
    private final Random random = new Random(42);
    private final List<Long> live = new ArrayList<>();
    private long nextOrder = SEED_ORDERS + 1;
    private Writer writer;

    Workload(Database db, CaptureMetrics metrics) {
      this.db = db;
      this.metrics = metrics;
      for (long i = 1; i <= SEED_ORDERS; i++) {
        live.add(i);
      }
    }

    String prefix(List<Workload> all) {
      return all.size() > 1 ? db.sourceName() + ": " : "";
    }

    boolean ready() {
      return metrics.counts().reads() >= db.snapshotRows() && db.readerConnected();
    }

    boolean complete() {
      OpCounts c = metrics.counts();
      return c.inserts() >= inserts.get() && c.updates() >= updates.get() && c.deletes() >= deletes.get()
          && c.reads() >= db.snapshotRows();
    }

    void open() {
      try {
        writer = db.writer();
      } catch (Exception e) {
        throw new IllegalStateException(db.sourceName() + ": cannot connect for the write load: " + e.getMessage(), e);
      }
    }

    void close() {
      try {
        writer.close();
      } catch (Exception e) {
        out.println("syncline demo: " + db.sourceName() + ": closing the load connection failed: " + e.getMessage());
      }
    }

    void oneTransaction() {
      try {
        int changes = 1 + random.nextInt(3);
        long ins = 0;
        long upd = 0;
        long del = 0;
        for (int i = 0; i < changes; i++) {
          int dice = random.nextInt(10);
          if (dice < 5 || live.size() < 10) {
            long id = nextOrder++;
            ins += writer.insertOrder(id, 1 + random.nextInt(SEED_CUSTOMERS),
                BigDecimal.valueOf(random.nextInt(100_000), 2), 1 + random.nextInt(5));
            live.add(id);
          } else if (dice < 9) {
            upd += writer.updateOrder(live.get(random.nextInt(live.size())), random.nextBoolean() ? "paid" : "shipped");
          } else {
            del += writer.deleteOrder(live.remove(random.nextInt(live.size())));
          }
        }
        writer.commit();
        // counted once committed: a failed transaction wrote nothing
        inserts.addAndGet(ins);
        updates.addAndGet(upd);
        deletes.addAndGet(del);
      } catch (Exception e) {
        out.println("syncline demo: " + db.sourceName() + ": write failed: " + e.getMessage());
        try {
          writer.rollback();
        } catch (Exception ignored) {
          // the connection is gone: the next transaction reports it
        }
      }
    }
  }

  /**
   * One demo database: its embedded server and everything that differs by SQL dialect. Both have
   * {@code customers} and {@code orders} with the same columns, types as close as the dialects
   * allow (PostgreSQL {@code text[]}/{@code jsonb} are MariaDB {@code JSON}), and the same seed rows.
   */
  sealed interface Database extends AutoCloseable permits Postgres, MariaDb, Mongo {
    /** The Syncline source name: {@code source.name} in the envelopes and the output files' prefix. */
    String sourceName();

    String describe();

    /** The captured tables, as {@code schema.table}. */
    List<String> tables();

    /** The {@code syncline.sources[]} entry that captures this database. */
    Map<String, Object> sourceEntry();

    /** Creates the tables and the seed rows (before capture starts). */
    void setUp();

    /** A connection for the write load: one small transaction at a time. */
    Writer writer() throws Exception;

    /** Rows the initial snapshot delivers before the load may start (0: no snapshot). */
    long snapshotRows();

    /** Whether the node's change-log reader is connected to the server. */
    boolean readerConnected();

    @Override
    void close();
  }

  /** The load's writes on one database; each returns the number of rows (documents) it changed. */
  interface Writer extends AutoCloseable {
    int insertOrder(long id, long customerId, BigDecimal amount, int items) throws Exception;

    int updateOrder(long id, String status) throws Exception;

    int deleteOrder(long id) throws Exception;

    void commit() throws Exception;

    void rollback() throws Exception;
  }

  /**
   * The SQL databases' writer: the dialect's insert (array/JSON functions differ), the update and
   * delete both dialects write alike, in one transaction per {@link #commit}.
   */
  static final class SqlWriter implements Writer {
    private final Connection conn;
    private final String insertOrder;

    /** @param insertOrder inserts one order; parameters: id, customer_id, amount, number of items */
    SqlWriter(Connection conn, String insertOrder) throws SQLException {
      this.conn = conn;
      this.insertOrder = insertOrder;
      conn.setAutoCommit(false);
    }

    @Override
    public int insertOrder(long id, long customerId, BigDecimal amount, int items) throws SQLException {
      try (PreparedStatement ps = conn.prepareStatement(insertOrder)) {
        ps.setLong(1, id);
        ps.setLong(2, customerId);
        ps.setBigDecimal(3, amount);
        ps.setInt(4, items);
        return ps.executeUpdate();
      }
    }

    @Override
    public int updateOrder(long id, String status) throws SQLException {
      try (PreparedStatement ps = conn.prepareStatement(UPDATE_ORDER)) {
        ps.setString(1, status);
        ps.setLong(2, id);
        return ps.executeUpdate();
      }
    }

    @Override
    public int deleteOrder(long id) throws SQLException {
      try (PreparedStatement ps = conn.prepareStatement(DELETE_ORDER)) {
        ps.setLong(1, id);
        return ps.executeUpdate();
      }
    }

    @Override
    public void commit() throws SQLException {
      conn.commit();
    }

    @Override
    public void rollback() throws SQLException {
      conn.rollback();
    }

    @Override
    public void close() throws SQLException {
      conn.close();
    }
  }

  record Postgres(PgServer server) implements Database {
    static Postgres start() {
      PgServer pg = PgServer.start(Map.of(), null);
      pg.createDatabase(DB);
      return new Postgres(pg);
    }

    @Override
    public String sourceName() {
      return "demo_pg";
    }

    @Override
    public String describe() {
      return "PostgreSQL " + server.version() + " on port " + server.port();
    }

    @Override
    public List<String> tables() {
      return List.of("public.customers", "public.orders");
    }

    @Override
    public Map<String, Object> sourceEntry() {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("kind", "postgres");
      e.put("name", sourceName());
      e.put("host", "localhost");
      e.put("port", server.port());
      e.put("database", DB);
      e.put("user", "postgres");
      e.put("include-tables", tables());
      return e;
    }

    @Override
    public void setUp() {
      server.execute(DB,
          "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text,"
              + " created_at timestamptz NOT NULL DEFAULT now())",
          "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, amount numeric(12,2) NOT NULL,"
              + " status text NOT NULL, tags text[], details jsonb, updated_at timestamp NOT NULL DEFAULT now())",
          "INSERT INTO customers (id, name, email) SELECT g, 'customer ' || g, 'c' || g || '@example.com'"
              + " FROM generate_series(1, " + SEED_CUSTOMERS + ") g",
          "INSERT INTO orders (id, customer_id, amount, status, tags, details) SELECT g, 1 + g % " + SEED_CUSTOMERS
              + ", (g * 7 % 1000) + 0.99, 'new', ARRAY['seed'], jsonb_build_object('n', g)"
              + " FROM generate_series(1, " + SEED_ORDERS + ") g");
    }

    public Connection connect() throws SQLException {
      return server.connect(DB);
    }

    @Override
    public Writer writer() throws SQLException {
      return new SqlWriter(connect(), "INSERT INTO orders (id, customer_id, amount, status, tags, details)"
          + " VALUES (?, ?, ?, 'new', ARRAY['demo', 'web'], jsonb_build_object('items', ?))");
    }

    @Override
    public long snapshotRows() {
      return SEED_CUSTOMERS + SEED_ORDERS;
    }

    @Override
    public boolean readerConnected() {
      return count(this::connect, "SELECT count(*) FROM pg_replication_slots WHERE active") > 0;
    }

    @Override
    public void close() {
      server.close();
    }
  }

  /** MariaDB with the row-based binlog: the seed rows are snapshotted (no lock), then the load streams. */
  record MariaDb(MariaDbServer server) implements Database {
    static MariaDb start() {
      MariaDbServer db = MariaDbServer.start(List.of());
      db.createDatabase(DB);
      return new MariaDb(db);
    }

    @Override
    public String sourceName() {
      return "demo_mariadb";
    }

    @Override
    public String describe() {
      return "MariaDB " + server.version() + " on port " + server.port();
    }

    @Override
    public List<String> tables() {
      return List.of(DB + ".customers", DB + ".orders");
    }

    @Override
    public Map<String, Object> sourceEntry() {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("kind", "mariadb");
      e.put("name", sourceName());
      e.put("host", "localhost");
      e.put("port", server.port());
      e.put("user", "root");
      e.put("include-tables", tables());
      e.put("snapshot-mode", "initial");
      return e;
    }

    @Override
    public void setUp() {
      server.execute(DB,
          "CREATE TABLE customers (id BIGINT PRIMARY KEY, name TEXT NOT NULL, email TEXT,"
              + " created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))",
          "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, amount DECIMAL(12,2) NOT NULL,"
              + " status TEXT NOT NULL, tags JSON, details JSON, updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))",
          // seq_1_to_N: MariaDB's sequence engine, its generate_series
          "INSERT INTO customers (id, name, email) SELECT seq, CONCAT('customer ', seq), CONCAT('c', seq, '@example.com')"
              + " FROM seq_1_to_" + SEED_CUSTOMERS,
          "INSERT INTO orders (id, customer_id, amount, status, tags, details) SELECT seq, 1 + seq % " + SEED_CUSTOMERS
              + ", (seq * 7 % 1000) + 0.99, 'new', JSON_ARRAY('seed'), JSON_OBJECT('n', seq)"
              + " FROM seq_1_to_" + SEED_ORDERS);
    }

    public Connection connect() throws SQLException {
      return server.connect(DB);
    }

    @Override
    public Writer writer() throws SQLException {
      return new SqlWriter(connect(), "INSERT INTO orders (id, customer_id, amount, status, tags, details)"
          + " VALUES (?, ?, ?, 'new', JSON_ARRAY('demo', 'web'), JSON_OBJECT('items', ?))");
    }

    @Override
    public long snapshotRows() {
      return SEED_CUSTOMERS + SEED_ORDERS;
    }

    @Override
    public boolean readerConnected() {
      return server.binlogReaders() > 0;
    }

    @Override
    public void close() {
      server.close();
    }
  }

  /**
   * The MongoDB demo on the embedded imitation (mongo-java-server: no real mongod is obtainable
   * here). The same two collections and seed documents; the load's updates are read with
   * {@code full-document = updateLookup} (the imitation's update events carry no update description).
   * Its writes are single-document operations (the imitation has no transactions).
   */
  record Mongo(MongoServer server, com.mongodb.reactivestreams.client.MongoClient client) implements Database {
    static Mongo start() {
      MongoServer server = MongoServer.start();
      return new Mongo(server, com.mongodb.reactivestreams.client.MongoClients.create(server.connectionString()));
    }

    private com.mongodb.reactivestreams.client.MongoCollection<org.bson.Document> collection(String name) {
      return client.getDatabase(DB).getCollection(name);
    }

    /** Waits for a driver call that answers once (the demo's own writes; never inside the node). */
    private static <T> T await(org.reactivestreams.Publisher<T> call) throws Exception {
      return io.syncline.streams.mongo.MongoCalls.first(call).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static org.bson.Document order(long id, long customerId, BigDecimal amount, String status, List<String> tags,
        org.bson.Document details) {
      return new org.bson.Document("_id", id).append("customer_id", customerId)
          .append("amount", new org.bson.types.Decimal128(amount)).append("status", status).append("tags", tags)
          .append("details", details).append("updated_at", new java.util.Date());
    }

    @Override
    public String sourceName() {
      return "demo_mongo";
    }

    @Override
    public String describe() {
      return "MongoDB imitation (mongo-java-server) at " + server.host() + ":" + server.port();
    }

    @Override
    public List<String> tables() {
      return List.of(DB + ".customers", DB + ".orders");
    }

    @Override
    public Map<String, Object> sourceEntry() {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("kind", "mongodb");
      e.put("name", sourceName());
      e.put("connection-string", server.connectionString());
      e.put("include-tables", tables());
      e.put("full-document", "updateLookup");
      return e;
    }

    @Override
    public void setUp() {
      try {
        List<org.bson.Document> customers = new ArrayList<>();
        for (long i = 1; i <= SEED_CUSTOMERS; i++) {
          customers.add(new org.bson.Document("_id", i).append("name", "customer " + i)
              .append("email", "c" + i + "@example.com").append("created_at", new java.util.Date()));
        }
        await(collection("customers").insertMany(customers));
        List<org.bson.Document> orders = new ArrayList<>();
        for (long i = 1; i <= SEED_ORDERS; i++) {
          orders.add(order(i, 1 + i % SEED_CUSTOMERS, BigDecimal.valueOf(i * 7 % 1000).add(new BigDecimal("0.99")), "new",
              List.of("seed"), new org.bson.Document("n", i)));
        }
        await(collection("orders").insertMany(orders));
      } catch (Exception e) {
        throw new IllegalStateException("cannot seed the MongoDB demo collections: " + e.getMessage(), e);
      }
    }

    @Override
    public Writer writer() {
      var orders = collection("orders");
      // the imitation looks the document up when the change stream reads an update, and sends neither
      // the document nor an update description if it was deleted by then: so recently updated
      // documents are not deleted (on MongoDB itself, the update description always comes)
      Map<Long, Long> updatedAt = new java.util.HashMap<>();
      return new Writer() {
        @Override
        public int insertOrder(long id, long customerId, BigDecimal amount, int items) throws Exception {
          await(orders.insertOne(order(id, customerId, amount, "new", List.of("demo", "web"),
              new org.bson.Document("items", items))));
          return 1;
        }

        @Override
        public int updateOrder(long id, String status) throws Exception {
          updatedAt.put(id, System.nanoTime());
          return (int) await(orders.updateOne(com.mongodb.client.model.Filters.eq("_id", id),
              com.mongodb.client.model.Updates.combine(com.mongodb.client.model.Updates.set("status", status),
                  com.mongodb.client.model.Updates.set("updated_at", new java.util.Date())))).getModifiedCount();
        }

        @Override
        public int deleteOrder(long id) throws Exception {
          Long at = updatedAt.remove(id);
          if (at != null && System.nanoTime() - at < TimeUnit.SECONDS.toNanos(5)) {
            return 0; // left in place (and counted as no delete)
          }
          return (int) await(orders.deleteOne(com.mongodb.client.model.Filters.eq("_id", id))).getDeletedCount();
        }

        @Override
        public void commit() {
          // each write above is its own single-document operation
        }

        @Override
        public void rollback() {
          // nothing is pending between operations
        }

        @Override
        public void close() {
          // the client is closed with the database
        }
      };
    }

    @Override
    public long snapshotRows() {
      return SEED_CUSTOMERS + SEED_ORDERS;
    }

    @Override
    public boolean readerConnected() {
      // the snapshot is read after the change streams' start time is taken: once its rows are
      // delivered (checked by the caller), every later write is captured
      return true;
    }

    @Override
    public void close() {
      client.close();
      server.close();
    }
  }

  private interface ConnectionFactory {
    Connection connect() throws SQLException;
  }

  /** A single count query; -1 when it fails (the caller polls again). */
  private static long count(ConnectionFactory db, String sql) {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      return -1;
    }
  }

  private static void waitSeconds(int s) {
    waitMillis(s * 1000L);
  }

  private static void waitMillis(long ms) {
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
