package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncline.embedded.MariaDbServer;
import io.syncline.embedded.MongoServer;
import io.syncline.embedded.PgServer;
import io.syncline.node.testing.Journal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node process is killed with SIGKILL mid-stream and started again: every change arrives,
 * and each table's committed position never goes backwards (read back from the journal). Once per
 * source kind: PostgreSQL (snapshot, then the slot) and MariaDB (snapshot, then the binlog, resumed
 * from the per-table positions in the journal).
 */
class CrashResumeIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DB = "crash";
  private static final int SEED_ROWS = 1000;

  @TempDir
  Path dir;

  /** What differs between the source kinds; the workload, the kill and every check are shared. */
  sealed interface Database permits Postgres, MariaDb, Mongo {
    /** Creates the empty table {@code items(id, v)}. */
    void createTable();

    /** Inserts the rows 1..{@link #SEED_ROWS} with v = 0. */
    void seed();

    /** The {@code syncline.sources} entry. */
    String sourceEntry();

    /** {@code schema.table} of the captured table (output file and entity id). */
    String table();

    /** The writer of the load: one transaction per {@link Writer#commit()} where the database has them. */
    Writer writer() throws Exception;

    /** The table's rows now: id → v. */
    Map<Long, Long> state() throws Exception;

    /** The key field in the change events' row images. */
    default String idField() {
      return "id";
    }
  }

  interface Writer extends AutoCloseable {
    void insert(long id) throws Exception;

    void increment(long id) throws Exception;

    void delete(long id) throws Exception;

    void commit() throws Exception;
  }

  /** The SQL databases: the same statements on a JDBC connection. */
  static Writer sqlWriter(Connection c) throws SQLException {
    c.setAutoCommit(false);
    Statement s = c.createStatement();
    return new Writer() {
      @Override
      public void insert(long id) throws SQLException {
        s.executeUpdate("INSERT INTO items VALUES (" + id + ", 0)");
      }

      @Override
      public void increment(long id) throws SQLException {
        s.executeUpdate("UPDATE items SET v = v + 1 WHERE id = " + id);
      }

      @Override
      public void delete(long id) throws SQLException {
        s.executeUpdate("DELETE FROM items WHERE id = " + id);
      }

      @Override
      public void commit() throws SQLException {
        c.commit();
      }

      @Override
      public void close() throws SQLException {
        c.close();
      }
    };
  }

  static Map<Long, Long> sqlState(Connection connection) throws SQLException {
    Map<Long, Long> rows = new HashMap<>();
    try (Connection c = connection; var rs = c.createStatement().executeQuery("SELECT id, v FROM items")) {
      while (rs.next()) {
        rows.put(rs.getLong(1), rs.getLong(2));
      }
    }
    return rows;
  }

  record Postgres(PgServer pg) implements Database {
    @Override
    public void createTable() {
      pg.createDatabase(DB);
      pg.execute(DB, "DROP TABLE IF EXISTS items", "CREATE TABLE items (id bigint PRIMARY KEY, v int NOT NULL)");
    }

    @Override
    public void seed() {
      pg.execute(DB, "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + SEED_ROWS + ") g");
    }

    @Override
    public String sourceEntry() {
      return "{ kind = postgres, name = crash, host = localhost, port = " + pg.port() + ", database = " + DB
          + ", user = postgres, include-tables = [\"public.items\"], max-batch-size = 500 }";
    }

    @Override
    public String table() {
      return "public.items";
    }


    @Override
    public Writer writer() throws SQLException {
      return sqlWriter(pg.connect(DB));
    }

    @Override
    public Map<Long, Long> state() throws SQLException {
      return sqlState(pg.connect(DB));
    }

    @Override
    public String toString() {
      return "PostgreSQL";
    }
  }

  /** MariaDB: the seed rows by the initial snapshot (no lock), then the binlog. */
  record MariaDb(MariaDbServer db) implements Database {
    @Override
    public void createTable() {
      db.createDatabase(DB);
      db.execute(DB, "DROP TABLE IF EXISTS items", "CREATE TABLE items (id BIGINT PRIMARY KEY, v INT NOT NULL)");
    }

    @Override
    public void seed() {
      db.execute(DB, "INSERT INTO items SELECT seq, 0 FROM seq_1_to_" + SEED_ROWS);
    }

    @Override
    public String sourceEntry() {
      return "{ kind = mariadb, name = crash, host = localhost, port = " + db.port() + ", user = root,"
          + " include-tables = [\"" + DB + ".items\"], max-batch-size = 500 }";
    }

    @Override
    public String table() {
      return DB + ".items";
    }


    @Override
    public Writer writer() throws SQLException {
      return sqlWriter(db.connect(DB));
    }

    @Override
    public Map<Long, Long> state() throws SQLException {
      return sqlState(db.connect(DB));
    }

    @Override
    public String toString() {
      return "MariaDB";
    }
  }

  /**
   * MongoDB on the embedded imitation (mongo-java-server). Its update events are not faithful (no
   * update description, the document key missing), so this load only inserts and deletes here; the
   * decoding of updates is covered by the golden events of MongoDB's documented shapes.
   */
  record Mongo(MongoServer server) implements Database {
    private com.mongodb.reactivestreams.client.MongoCollection<org.bson.Document> items(
        com.mongodb.reactivestreams.client.MongoClient client) {
      return client.getDatabase(DB).getCollection("items");
    }

    private static <T> List<T> await(org.reactivestreams.Publisher<T> call) throws Exception {
      return io.syncline.streams.mongo.MongoCalls.all(call).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Override
    public void createTable() {
      try (var client = com.mongodb.reactivestreams.client.MongoClients.create(server.connectionString())) {
        await(items(client).drop());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void seed() {
      try (var client = com.mongodb.reactivestreams.client.MongoClients.create(server.connectionString())) {
        List<org.bson.Document> docs = new ArrayList<>();
        for (long i = 1; i <= SEED_ROWS; i++) {
          docs.add(new org.bson.Document("_id", i).append("v", 0L));
        }
        await(items(client).insertMany(docs));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public String sourceEntry() {
      return "{ kind = mongodb, name = crash, connection-string = \"" + server.connectionString() + "\","
          + " include-tables = [\"" + DB + ".items\"], max-batch-size = 500 }";
    }

    @Override
    public String table() {
      return DB + ".items";
    }

    @Override
    public String idField() {
      return "_id";
    }

    @Override
    public Writer writer() {
      var client = com.mongodb.reactivestreams.client.MongoClients.create(server.connectionString());
      var items = items(client);
      return new Writer() {
        @Override
        public void insert(long id) throws Exception {
          await(items.insertOne(new org.bson.Document("_id", id).append("v", 0L)));
        }

        @Override
        public void increment(long id) {
          // not on the imitation (see the record's comment)
        }

        @Override
        public void delete(long id) throws Exception {
          await(items.deleteOne(com.mongodb.client.model.Filters.eq("_id", id)));
        }

        @Override
        public void commit() {
          // single-document writes
        }

        @Override
        public void close() {
          client.close();
        }
      };
    }

    @Override
    public Map<Long, Long> state() throws Exception {
      Map<Long, Long> rows = new HashMap<>();
      try (var client = com.mongodb.reactivestreams.client.MongoClients.create(server.connectionString())) {
        for (org.bson.Document d : await(items(client).find())) {
          rows.put(((Number) d.get("_id")).longValue(), ((Number) d.get("v")).longValue());
        }
      }
      return rows;
    }

    @Override
    public String toString() {
      return "MongoDB (imitation)";
    }
  }

  static Stream<Database> databases() {
    return Stream.of(new Postgres(PgServer.shared()), new MariaDb(MariaDbServer.shared()), new Mongo(MongoServer.shared()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void shouldResumeFromCommittedPositionsAfterKill9WithNothingLost(Database db) throws Exception {
    db.createTable();
    db.seed(); // read by the initial snapshot
    Path out = dir.resolve("out");
    Path state = dir.resolve("state");
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + state + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + out + "\"",
        "syncline.sources = [" + db.sourceEntry() + "]",
        "pekko.remote.artery.canonical.port = 0"));
    Path file = out.resolve("crash." + db.table() + ".jsonl");

    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong nextId = new AtomicLong(SEED_ROWS + 1);
    AtomicLong updates = new AtomicLong();
    Thread writer = new Thread(() -> write(db, writing, nextId, updates), "crash-writer");

    Process first = startNode(config, dir.resolve("node1.log"));
    try {
      awaitLines(file, SEED_ROWS, first);     // seed rows delivered by the snapshot
      writer.start();
      awaitLines(file, 6000, first);          // well into streaming
    } finally {
      first.destroyForcibly();                 // SIGKILL: no shutdown hooks, no flush
      first.waitFor(30, TimeUnit.SECONDS);
    }
    LockSupport.parkNanos(Duration.ofSeconds(1).toNanos()); // the writer goes on while the node is down

    Process second = startNode(config, dir.resolve("node2.log"));
    try {
      writing.set(false);
      writer.join();
      Map<Long, Long> expected = db.state();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      Map<Long, Long> replayed = Map.of();
      while (System.nanoTime() < deadline) {
        replayed = replay(file, db.idField());
        if (replayed.equals(expected)) {
          break;
        }
        assertThat(second.isAlive()).as("second node still running (see node2.log)").isTrue();
        LockSupport.parkNanos(200_000_000L);
      }
      Map<Long, Long> finalReplay = replayed;
      assertThat(finalReplay).as(() -> "rows rebuilt from the delivered events differ: " + difference(expected, finalReplay)
          + "\nlast lines of the restarted node's log:\n" + tail(dir.resolve("node2.log"), 40)).isEqualTo(expected);
      try (var lines = Files.lines(file)) {
        assertThat(lines.filter(l -> l.contains("\"op\":\"r\"")).count())
            .as("the restarted node resumed streaming instead of taking a new snapshot")
            .isEqualTo(SEED_ROWS);
      }
    } finally {
      second.destroy();
      second.waitFor(30, TimeUnit.SECONDS);
      if (second.isAlive()) {
        second.destroyForcibly();
      }
    }
    Journal.assertPositionsNeverWentBackwards(config, 2, "crash/" + db.table());
  }

  private static String difference(Map<Long, Long> expected, Map<Long, Long> actual) {
    List<String> d = new ArrayList<>();
    for (var e : expected.entrySet()) {
      Long a = actual.get(e.getKey());
      if (!e.getValue().equals(a)) {
        d.add("id " + e.getKey() + " expected " + e.getValue() + " got " + a);
      }
    }
    for (Long id : actual.keySet()) {
      if (!expected.containsKey(id)) {
        d.add("id " + id + " should be deleted, got " + actual.get(id));
      }
    }
    return d.size() + " rows, first: " + d.subList(0, Math.min(20, d.size()));
  }

  private static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void write(Database db, AtomicBoolean writing, AtomicLong nextId, AtomicLong updates) {
    try (Writer w = db.writer()) {
      while (writing.get()) {
        for (int i = 0; i < 20; i++) {
          long id = nextId.getAndIncrement();
          w.insert(id);
          w.increment(id - 500);
          updates.incrementAndGet();
        }
        w.delete(nextId.get() - 700);
        w.commit();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Process startNode(Path config, Path log) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        "io.syncline.node.Main", "run", "--config", config.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    return pb.start();
  }

  private static void awaitLines(Path file, int n, Process node) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      assertThat(node.isAlive()).as("node running").isTrue();
      if (Files.exists(file) && countLines(file) >= n) {
        return;
      }
      LockSupport.parkNanos(100_000_000L);
    }
    throw new AssertionError("fewer than " + n + " lines in " + file + " after 120 s");
  }

  private static long countLines(Path file) throws IOException {
    try (var lines = Files.lines(file)) {
      return lines.count();
    }
  }

  /**
   * Rebuilds the table from the delivered envelopes, in file order. Every newline-terminated line
   * must be whole JSON (a torn line left by the kill must have been repaired); only a last line the
   * running node is still appending is left for the next poll.
   */
  private static Map<Long, Long> replay(Path file, String idField) throws IOException {
    Map<Long, Long> rows = new HashMap<>();
    String content = Files.readString(file);
    int end = content.lastIndexOf('\n');
    if (end < 0) {
      return rows;
    }
    for (String line : content.substring(0, end).split("\n")) {
      JsonNode e = JSON.readTree(line);
      switch (e.get("op").asText()) {
        case "r", "c", "u" -> rows.put(e.at("/after/" + idField).asLong(), e.at("/after/v").asLong());
        case "d" -> rows.remove(e.at("/before/" + idField).asLong());
        default -> { }
      }
    }
    return rows;
  }
}
