package io.syncline.node.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A write load for the fault tests: transactions of inserts, updates and a delete on tables
 * {@code (id BIGINT PRIMARY KEY, v INT NOT NULL)}, the same SQL on PostgreSQL and MariaDB, paced
 * at a rate, in a thread of its own. It survives the server going away (a restart, a killed
 * connection): it connects again and goes on. It remembers every change it committed, so a test can
 * check that each was delivered ({@link Delivered#assertEveryChangePresent}): an insert as
 * {@code c:<id>:0}, an update as {@code u:<id>:<new v>}, a delete as {@code d:<id>}. A commit whose
 * answer was lost with the connection is looked up after reconnecting (did its first insert land?).
 */
public final class Load implements AutoCloseable {

  /** Opens a connection to the database holding the tables. */
  @FunctionalInterface
  public interface Connector {
    Connection open() throws SQLException;
  }

  private static final int INSERTS = 3;
  private static final int UPDATES = 2;
  private static final int KEEP_ROWS = 50;

  private final Connector connector;
  private final List<String> tables;
  private final long periodNanos;
  private final Map<String, TableLoad> state = new LinkedHashMap<>();
  private final AtomicLong changes = new AtomicLong();
  private final AtomicLong transactions = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean paused;
  private volatile boolean idle;
  private volatile Throwable failure;

  private static final class TableLoad {
    long nextId = 1;
    final Deque<Long> live = new ArrayDeque<>();
    final Map<Long, Integer> versions = new HashMap<>();
    final List<String> committed = new ArrayList<>();
  }

  private Load(String name, Connector connector, List<String> tables, int transactionsPerSecond) {
    this.connector = connector;
    this.tables = List.copyOf(tables);
    this.periodNanos = 1_000_000_000L / transactionsPerSecond;
    tables.forEach(t -> state.put(t, new TableLoad()));
    this.thread = new Thread(this::run, "load-" + name);
    this.thread.setDaemon(true);
  }

  /**
   * Starts writing: {@code transactionsPerSecond} transactions a second, each on one table (in
   * turn) with 3 inserts, 2 updates and, once the table has rows enough, a delete.
   *
   * @param tables table names as the SQL names them in the connection's database/schema
   */
  public static Load start(String name, Connector connector, List<String> tables, int transactionsPerSecond) {
    Load load = new Load(name, connector, tables, transactionsPerSecond);
    load.thread.start();
    return load;
  }

  /** Stops writing and waits for the thread; fails if the load failed otherwise than by losing its server. */
  public Load stop() throws InterruptedException {
    running = false;
    thread.join(60_000);
    if (failure != null) {
      throw new AssertionError("the write load failed", failure);
    }
    return this;
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(60_000);
  }

  /**
   * Stops writing after the transaction in progress, until {@link #resume()}; returns once no
   * transaction is in progress (so the tables are quiet from then on).
   */
  public void pause() {
    paused = true;
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!idle && thread.isAlive()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the load did not pause within 60 s (its server is away?)");
      }
      LockSupport.parkNanos(10_000_000L);
    }
  }

  /** Writes again after {@link #pause()}. */
  public void resume() {
    paused = false;
  }

  /** Row changes committed so far (all tables). */
  public long changes() {
    return changes.get();
  }

  public long transactions() {
    return transactions.get();
  }

  /** How many times the load lost its connection and connected again. */
  public long reconnects() {
    return reconnects.get();
  }

  /** Waits until at least {@code n} more changes than now are committed. */
  public void awaitMoreChanges(long n, Duration timeout) {
    long target = changes.get() + n;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (changes.get() < target) {
      if (!thread.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("the load committed " + changes.get() + " changes, not " + target + " within "
            + timeout, failure);
      }
      LockSupport.parkNanos(20_000_000L);
    }
  }

  /** The changes committed to {@code table} (after {@link #stop()}), in commit order. */
  public synchronized List<String> committed(String table) {
    return List.copyOf(state.get(table).committed);
  }

  private void run() {
    Random random = new Random(42);
    Connection c = null;
    long next = System.nanoTime();
    int turn = 0;
    try {
      while (running) {
        if (paused) {
          idle = true;
          while (paused && running) {
            LockSupport.parkNanos(10_000_000L);
          }
          idle = false;
          next = System.nanoTime();
          continue;
        }
        if (c == null) {
          c = connect();
          if (c == null) {
            return; // stopped while the server was away
          }
        }
        String table = tables.get(turn++ % tables.size());
        List<String> done = new ArrayList<>();
        TableLoad t = state.get(table);
        long firstInsert = t.nextId;
        Map<Long, Integer> versions = new HashMap<>();
        List<Long> deleted = new ArrayList<>();
        boolean committing = false;
        try {
          for (int i = 0; i < INSERTS; i++) {
            long id = firstInsert + i;
            execute(c, "INSERT INTO " + table + " (id, v) VALUES (?, 0)", id);
            versions.put(id, 0);
            done.add("c:" + id + ":0");
          }
          List<Long> live = new ArrayList<>(t.live);
          for (int i = 0; i < UPDATES && !live.isEmpty(); i++) {
            long id = live.get(random.nextInt(live.size()));
            int v = versions.getOrDefault(id, t.versions.get(id)) + 1;
            executeUpdate(c, "UPDATE " + table + " SET v = ? WHERE id = ?", v, id);
            versions.put(id, v);
            done.add("u:" + id + ":" + v);
          }
          if (t.live.size() > KEEP_ROWS) {
            long id = t.live.peekFirst();
            execute(c, "DELETE FROM " + table + " WHERE id = ?", id);
            deleted.add(id);
            done.add("d:" + id);
          }
          committing = true;
          c.commit();
        } catch (SQLException e) {
          if (!running && !committing) {
            return;
          }
          close(c);
          c = null;
          reconnects.incrementAndGet();
          if (!committing) {
            continue; // rolled back: nothing of it happened
          }
          Boolean landed = null;
          while (landed == null) {
            c = connect();
            if (c == null) {
              return; // stopped while the server was away: the test does not wait for this transaction
            }
            try {
              landed = exists(c, table, firstInsert);
            } catch (SQLException again) {
              close(c);
              c = null;
            }
          }
          if (!landed) {
            continue;
          }
        }
        synchronized (this) {
          t.nextId = firstInsert + INSERTS;
          for (long id = firstInsert; id < firstInsert + INSERTS; id++) {
            t.live.addLast(id);
          }
          t.versions.putAll(versions);
          for (long id : deleted) {
            t.live.remove(id);
            t.versions.remove(id);
          }
          t.committed.addAll(done);
        }
        changes.addAndGet(done.size());
        transactions.incrementAndGet();
        next += periodNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        } else {
          next = System.nanoTime();
        }
      }
    } catch (Throwable e) {
      failure = e;
    } finally {
      close(c);
    }
  }

  /** Connects (auto-commit off), trying again every 200 ms while the load runs; null once stopped. */
  private Connection connect() {
    while (running) {
      try {
        Connection c = connector.open();
        c.setAutoCommit(false);
        return c;
      } catch (SQLException e) {
        LockSupport.parkNanos(200_000_000L);
      }
    }
    return null;
  }

  /** Whether the row {@code id} exists: the transaction that inserted it first committed. */
  private boolean exists(Connection c, String table, long id) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM " + table + " WHERE id = ?")) {
      s.setLong(1, id);
      try (ResultSet rs = s.executeQuery()) {
        boolean found = rs.next();
        c.commit();
        return found;
      }
    }
  }

  private static void execute(Connection c, String sql, long id) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setLong(1, id);
      if (s.executeUpdate() != 1) {
        throw new IllegalStateException(sql + " with id " + id + " changed no row");
      }
    }
  }

  private static void executeUpdate(Connection c, String sql, int v, long id) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setInt(1, v);
      s.setLong(2, id);
      if (s.executeUpdate() != 1) {
        throw new IllegalStateException(sql + " with id " + id + " changed no row");
      }
    }
  }

  private static void close(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // the connection is gone already
      }
    }
  }
}
