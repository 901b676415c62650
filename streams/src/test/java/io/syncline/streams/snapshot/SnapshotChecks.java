package io.syncline.streams.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.testing.CollectingTransport;
import org.apache.pekko.actor.ActorSystem;
import io.syncline.streams.capture.Progress;
import io.syncline.streams.capture.SourceRun;
import io.syncline.streams.transport.OutRecord;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * What the parallel-snapshot ITs of both databases share: a table {@code (id BIGINT PRIMARY KEY,
 * v INT, s VARCHAR(10))}, writers that insert, update and delete while capture runs, and a strict
 * replay of the delivered events (a key read or inserted twice, or updated or deleted while absent,
 * fails) to compare with the table.
 */
final class SnapshotChecks {

  static final ObjectMapper JSON = new ObjectMapper();

  private SnapshotChecks() {}

  /** Polls {@code condition} until it holds (120 s at most); fails at once when a run's stream ended. */
  static void await(String what, BooleanSupplier condition, SourceRun... runs) {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!condition.getAsBoolean()) {
      for (SourceRun r : runs) {
        assertThat(r.ended()).as("capture ended while waiting for " + what).isFalse();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 120 s: " + what);
      }
      LockSupport.parkNanos(20_000_000L);
    }
  }

  static List<JsonNode> parse(Iterable<OutRecord> records, String table) {
    List<JsonNode> out = new ArrayList<>();
    for (OutRecord r : records) {
      if (r.table().table().equals(table)) {
        try {
          out.add(JSON.readTree(r.value()));
        } catch (java.io.IOException e) {
          throw new AssertionError(e);
        }
      }
    }
    return out;
  }

  static long id(JsonNode event) {
    JsonNode row = event.get("op").asText().equals("d") ? event.get("before") : event.get("after");
    return row.get("id").asLong();
  }

  /** Replays r/c/u/d per key, strictly. */
  static Map<Long, String> replay(List<JsonNode> events) {
    Map<Long, String> rows = new TreeMap<>();
    for (JsonNode e : events) {
      String op = e.get("op").asText();
      long id = id(e);
      String where = op + " of id " + id + " at " + e.get("source");
      switch (op) {
        case "r", "c" -> assertThat(rows.put(id, e.get("after").toString())).as("duplicate " + where).isNull();
        case "u" -> assertThat(rows.put(id, e.get("after").toString())).as("gap before " + where).isNotNull();
        case "d" -> assertThat(rows.remove(id)).as("gap before " + where).isNotNull();
        default -> throw new AssertionError("unexpected " + where);
      }
    }
    return rows;
  }

  /** The table as the replay writes it. */
  static Map<Long, String> contents(Callable<Connection> connect, String table) throws Exception {
    Map<Long, String> rows = new TreeMap<>();
    try (Connection c = connect.call(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, v, s FROM " + table)) {
      while (rs.next()) {
        rows.put(rs.getLong(1), "{\"id\":" + rs.getLong(1) + ",\"v\":" + rs.getInt(2) + ",\"s\":\"" + rs.getString(3) + "\"}");
      }
    }
    return rows;
  }

  /** Waits until replaying {@code events} gives the table's contents. */
  static void awaitReplayEqualsTable(Callable<List<JsonNode>> events, Callable<Connection> connect, String table,
      SourceRun run) throws Exception {
    Map<Long, String> expected = contents(connect, table);
    AtomicReference<Map<Long, String>> last = new AtomicReference<>();
    try {
      await("the replay equals the table", () -> {
        try {
          last.set(replay(events.call()));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        return last.get().equals(expected);
      }, run);
    } catch (AssertionError e) {
      if (last.get() != null) {
        assertThat(last.get()).isEqualTo(expected); // shows the difference
      }
      throw e;
    }
  }

  /** The chunk marks delivered in {@code run}, in order. */
  static List<CaptureRecord.SnapshotChunkDone> chunkMarks(SourceRun run) {
    List<CaptureRecord.SnapshotChunkDone> out = new ArrayList<>();
    for (Progress p : run.progress) {
      out.addAll(p.chunksDone());
    }
    return out;
  }

  /** Inserts (new ids), updates and deletes (random existing ids) in small transactions until stopped. */
  static final class Writer implements Runnable {
    private final Callable<Connection> connect;
    private final String table;
    private final AtomicLong nextId;
    private final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger transactions = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread = new Thread(this, "parallel-snapshot-it-writer");

    Writer(Callable<Connection> connect, String table, long firstNewId) {
      this.connect = connect;
      this.table = table;
      this.nextId = new AtomicLong(firstNewId);
    }

    Writer start() {
      thread.start();
      return this;
    }

    @Override
    public void run() {
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      try (Connection c = connect.call(); Statement s = c.createStatement()) {
        while (!stop.get()) {
          int changes = rnd.nextInt(4) == 0 ? 2 + rnd.nextInt(4) : 1;
          c.setAutoCommit(changes == 1);
          for (int i = 0; i < changes; i++) {
            long id = 1 + rnd.nextLong(nextId.get() - 1);
            switch (rnd.nextInt(3)) {
              case 0 -> s.execute("INSERT INTO " + table + " VALUES (" + nextId.getAndIncrement() + ", " + rnd.nextInt(1000)
                  + ", 'new')");
              case 1 -> s.execute("UPDATE " + table + " SET v = v + 1, s = 'upd' WHERE id = " + id);
              default -> s.execute("DELETE FROM " + table + " WHERE id = " + id);
            }
          }
          if (changes > 1) {
            c.commit();
          }
          transactions.incrementAndGet();
        }
      } catch (Throwable e) {
        failure.set(e);
      }
    }

    void finish() throws InterruptedException {
      stop.set(true);
      thread.join(30_000);
      assertThat(failure.get()).as("writer failure").isNull();
    }
  }

  /**
   * One database under test.
   *
   * @param create creates the table {@code (id BIGINT PRIMARY KEY, v INT, s VARCHAR(10))} with ids 1..rows
   * @param source a capture source named {@code name} with these extra settings, reading {@code table}
   * @param ref the table's reference in events, by table name
   */
  record Db(Callable<Connection> connect, java.util.function.BiConsumer<String, Integer> create,
      java.util.function.BiFunction<String, String, CaptureSource> source,
      java.util.function.Function<String, TableRef> ref) {}

  static final int ROWS = 50_000;
  static final int CHUNK = 2_000;

  /**
   * A parallel snapshot of {@value #ROWS} rows in {@value #CHUNK}-row chunks while writers insert,
   * update and delete: every row read once, every chunk marked, and the replay equals the table.
   */
  static void shouldReadEveryRowOnceWhileWritersRun(ActorSystem system, Db db, String table) throws Exception {
    db.create().accept(table, ROWS);
    Writer writer = new Writer(db.connect(), table, ROWS + 1).start();
    await("writes before the snapshot", () -> writer.transactions.get() > 20);
    TableRef ref = db.ref().apply(table);
    try (SourceRun run = new SourceRun(system, db.source().apply(table, table), Map.of())) {
      await("the snapshot recorded as complete", () -> run.recorded().getOrDefault(ref, TableStart.NEW)
          .snapshotCompleted(), run);
      int after = writer.transactions.get();
      await("writes streamed after the snapshot", () -> writer.transactions.get() > after + 50, run);
      writer.finish();

      awaitReplayEqualsTable(() -> parse(run.records, table), db.connect(), table, run);
      List<JsonNode> events = parse(run.records, table);
      long reads = events.stream().filter(e -> e.get("op").asText().equals("r")).count();
      assertThat(reads).as("rows read (some deleted before the snapshot)").isBetween(ROWS - 2_000L, ROWS + 2_000L);
      List<CaptureRecord.SnapshotChunkDone> marks = chunkMarks(run);
      assertThat(marks).as("chunks").hasSizeGreaterThanOrEqualTo(ROWS / CHUNK);
      assertThat(marks.stream().mapToLong(CaptureRecord.SnapshotChunkDone::rows).sum()).isEqualTo(reads);
      assertThat(KeyRange.remaining(marks.stream().map(CaptureRecord.SnapshotChunkDone::range).toList()))
          .as("the chunks cover the key space").isEmpty();
      assertThat(run.recorded().get(ref).snapshotChunks()).as("forgotten once complete").isEmpty();
      assertThat(run.progress.stream().flatMap(p -> p.snapshotsDone().stream()).mapToLong(CaptureRecord.SnapshotDone::rows)
          .sum()).as("rows of the completed snapshot").isEqualTo(reads);
    } finally {
      writer.finish();
    }
  }

  /**
   * A snapshot interrupted after some chunks were delivered and recorded, writes in between, then a
   * restart: the recorded chunks are not read again, and the replay of what was delivered equals
   * the table.
   */
  static void shouldReadOnlyTheChunksLeftAfterAnInterruption(ActorSystem system, Db db, String table) throws Exception {
    db.create().accept(table, ROWS);
    TableRef ref = db.ref().apply(table);
    Map<TableRef, TableStart> recorded;
    List<JsonNode> first;
    // a sink that takes 30 batches and then stops answering: the run is stopped there
    try (SourceRun run = new SourceRun(system, db.source().apply(table, table), Map.of(), new CollectingTransport(30))) {
      await("the sink to stop answering", run.transport::holding, run);
      recorded = run.recorded();
      first = parse(run.records, table);
    }
    List<SnapshotChunk> done = recorded.get(ref).snapshotChunks();
    assertThat(recorded.get(ref).snapshotCompleted()).isFalse();
    assertThat(done).as("chunks recorded before the interruption").hasSizeGreaterThanOrEqualTo(2);
    long doneRows = done.stream().mapToLong(SnapshotChunk::rows).sum();
    assertThat(doneRows).isLessThan(ROWS);

    Writer writer = new Writer(db.connect(), table, ROWS + 1).start();
    await("writes between the runs", () -> writer.transactions.get() > 200);
    try (SourceRun run = new SourceRun(system, db.source().apply(table, table), recorded)) {
      await("the snapshot recorded as complete", () -> run.recorded().getOrDefault(ref, TableStart.NEW)
          .snapshotCompleted(), run);
      int after = writer.transactions.get();
      await("writes streamed after the snapshot", () -> writer.transactions.get() > after + 50, run);
      writer.finish();

      // of the first run, only the rows of recorded chunks count: the others are read again
      List<JsonNode> kept = first.stream()
          .filter(e -> done.stream().anyMatch(c -> c.range().contains(id(e)))).toList();
      assertThat(kept).hasSize((int) doneRows);
      Callable<List<JsonNode>> all = () -> {
        List<JsonNode> events = new ArrayList<>(kept);
        events.addAll(parse(run.records, table));
        return events;
      };
      awaitReplayEqualsTable(all, db.connect(), table, run);

      List<JsonNode> reads = parse(run.records, table).stream().filter(e -> e.get("op").asText().equals("r")).toList();
      assertThat(reads).as("rows of recorded chunks read again")
          .noneMatch(e -> done.stream().anyMatch(c -> c.range().contains(id(e))));
      assertThat(reads.size()).as("rows read by the second run")
          .isLessThanOrEqualTo((int) (ROWS - doneRows + writer.transactions.get() * 5L))
          .isGreaterThan(0);
      assertThat(run.recorded().get(ref).snapshotCompleted()).isTrue();
      assertThat(run.progress.stream().flatMap(p -> p.snapshotsDone().stream()).mapToLong(CaptureRecord.SnapshotDone::rows)
          .sum()).as("rows of the completed snapshot, both runs").isEqualTo(doneRows + reads.size());
    } finally {
      writer.finish();
    }
  }
}
