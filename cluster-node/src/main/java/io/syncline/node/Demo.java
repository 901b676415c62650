package io.syncline.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.syncline.embedded.KafkaServer;
import io.syncline.embedded.PgServer;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.OpCounts;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code syncline demo}: starts an embedded PostgreSQL, creates two sample tables with some rows,
 * runs a write load (inserts, updates, deletes) for the given duration while a Syncline node
 * captures it into JSON-lines files (and an embedded Kafka broker with {@code --kafka}), shows
 * progress every second and ends with one summary line:
 * {@code captured=<n> inserts=<n> updates=<n> deletes=<n> lag_ms_p99=<n>}.
 */
final class Demo {

  record Options(String source, Duration duration, Path out, boolean kafka) {}

  private static final String SOURCE = "demo";
  private static final int SEED_CUSTOMERS = 50;
  private static final int SEED_ORDERS = 200;

  private final Options options;
  private final PrintStream out = System.out;
  private final AtomicLong inserts = new AtomicLong();
  private final AtomicLong updates = new AtomicLong();
  private final AtomicLong deletes = new AtomicLong();

  private Demo(Options options) {
    this.options = options;
  }

  static int run(Options options) {
    if (!options.source().equals("postgres")) {
      throw new IllegalArgumentException("--source " + options.source() + " is not available yet (use postgres)");
    }
    return new Demo(options).run();
  }

  private int run() {
    long t0 = System.nanoTime();
    out.println("syncline demo: starting embedded PostgreSQL ...");
    Path state;
    try {
      Files.createDirectories(options.out());
      state = Files.createTempDirectory("syncline-demo-state");
    } catch (IOException e) {
      throw new IllegalArgumentException("--out " + options.out() + ": cannot create directory (" + e.getMessage() + ")");
    }
    try (PgServer pg = PgServer.start(Map.of(), null)) {
      KafkaServer kafka = null;
      try {
        if (options.kafka()) {
          out.println("syncline demo: starting embedded Kafka broker ...");
          kafka = KafkaServer.start();
        }
        pg.createDatabase("demo");
        setUp(pg);
        Config config = nodeConfig(pg, kafka, state);
        out.printf("syncline demo: PostgreSQL %s on port %d; capturing public.customers and public.orders to %s%s%n",
            pg.version(), pg.port(), options.out().toAbsolutePath(),
            kafka != null ? " and Kafka at " + kafka.bootstrapServers() : "");
        try (SynclineNode node = SynclineNode.start(config)) {
          return drive(pg, node.metrics(SOURCE), t0);
        }
      } finally {
        if (kafka != null) {
          kafka.close();
        }
      }
    }
  }

  private Config nodeConfig(PgServer pg, KafkaServer kafka, Path state) {
    List<String> sinks = new ArrayList<>(List.of("jsonl"));
    if (kafka != null) {
      sinks.add("kafka");
    }
    Config source = ConfigFactory.parseMap(Map.of(
        "kind", "postgres",
        "name", SOURCE,
        "host", "localhost",
        "port", pg.port(),
        "database", "demo",
        "user", "postgres",
        "include-tables", List.of("public.customers", "public.orders")));
    Config c = ConfigFactory.empty()
        .withValue("syncline.data-dir", ConfigValueFactory.fromAnyRef(state.toString()))
        .withValue("syncline.sources", ConfigValueFactory.fromIterable(List.of(source.root().unwrapped())))
        .withValue("syncline.transport.sinks", ConfigValueFactory.fromIterable(sinks))
        .withValue("syncline.transport.jsonl.directory", ConfigValueFactory.fromAnyRef(options.out().toString()))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(0));
    if (kafka != null) {
      c = c.withValue("syncline.transport.kafka.bootstrap-servers", ConfigValueFactory.fromAnyRef(kafka.bootstrapServers()));
    }
    return ConfigFactory.load(c);
  }

  private void setUp(PgServer pg) {
    pg.execute("demo",
        "CREATE TABLE public.customers (id bigint PRIMARY KEY, name text NOT NULL, email text,"
            + " created_at timestamptz NOT NULL DEFAULT now())",
        "CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, amount numeric(12,2) NOT NULL,"
            + " status text NOT NULL, tags text[], details jsonb, updated_at timestamp NOT NULL DEFAULT now())",
        "INSERT INTO public.customers (id, name, email) SELECT g, 'customer ' || g, 'c' || g || '@example.com'"
            + " FROM generate_series(1, " + SEED_CUSTOMERS + ") g",
        "INSERT INTO public.orders (id, customer_id, amount, status, tags, details) SELECT g, 1 + g % "
            + SEED_CUSTOMERS + ", (g * 7 % 1000) + 0.99, 'new', ARRAY['seed'], jsonb_build_object('n', g)"
            + " FROM generate_series(1, " + SEED_ORDERS + ") g");
  }

  private int drive(PgServer pg, CaptureMetrics metrics, long t0) {
    ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "demo-load"));
    Connection conn;
    try {
      conn = pg.connect("demo");
      conn.setAutoCommit(false);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    Random random = new Random(42);
    AtomicLong nextOrder = new AtomicLong(SEED_ORDERS + 1);
    List<Long> live = new ArrayList<>();
    for (long i = 1; i <= SEED_ORDERS; i++) {
      live.add(i);
    }
    // the load starts once the initial snapshot is delivered, so every later write is a streamed change
    long snapshotDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (metrics.counts().reads() < SEED_CUSTOMERS + SEED_ORDERS && System.nanoTime() < snapshotDeadline) {
      waitMillis(100);
    }
    out.printf("syncline demo: initial snapshot delivered (%d rows); writing for %d s ...%n", metrics.counts().reads(),
        options.duration().toSeconds());
    // one small transaction every 5 ms: roughly 400-600 row changes per second
    load.scheduleAtFixedRate(() -> oneTransaction(conn, random, nextOrder, live), 0, 5, TimeUnit.MILLISECONDS);

    long end = System.nanoTime() + options.duration().toNanos();
    long started = System.nanoTime();
    while (System.nanoTime() < end) {
      waitSeconds(1);
      progress(metrics, started);
    }
    load.shutdown();
    try {
      load.awaitTermination(10, TimeUnit.SECONDS);
      conn.close();
    } catch (InterruptedException | SQLException e) {
      Thread.currentThread().interrupt();
    }
    out.printf("syncline demo: load stopped after %d s (%d inserts, %d updates, %d deletes); waiting for capture ...%n",
        options.duration().toSeconds(), inserts.get(), updates.get(), deletes.get());

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    boolean complete = false;
    while (System.nanoTime() < deadline) {
      OpCounts c = metrics.counts();
      if (c.inserts() >= inserts.get() && c.updates() >= updates.get() && c.deletes() >= deletes.get()
          && c.reads() >= SEED_CUSTOMERS + SEED_ORDERS) {
        complete = true;
        break;
      }
      waitSeconds(1);
      progress(metrics, started);
    }
    OpCounts c = metrics.counts();
    if (!complete) {
      out.printf("syncline demo: NOT everything was captured within 60 s: expected %d/%d/%d (+%d snapshot rows), got %d/%d/%d (+%d)%n",
          inserts.get(), updates.get(), deletes.get(), SEED_CUSTOMERS + SEED_ORDERS, c.inserts(), c.updates(),
          c.deletes(), c.reads());
    }
    out.printf("syncline demo: JSON lines in %s (%d s in all)%n", options.out().toAbsolutePath(),
        (System.nanoTime() - t0) / 1_000_000_000L);
    out.printf("captured=%d inserts=%d updates=%d deletes=%d lag_ms_p99=%d%n",
        c.total(), c.inserts(), c.updates(), c.deletes(), metrics.lagMillis(0.99));
    return complete ? 0 : 1;
  }

  private void oneTransaction(Connection conn, Random random, AtomicLong nextOrder, List<Long> live) {
    try {
      int changes = 1 + random.nextInt(3);
      for (int i = 0; i < changes; i++) {
        int dice = random.nextInt(10);
        if (dice < 5 || live.size() < 10) {
          long id = nextOrder.getAndIncrement();
          try (PreparedStatement ps = conn.prepareStatement("INSERT INTO public.orders (id, customer_id, amount, status,"
              + " tags, details) VALUES (?, ?, ?, 'new', ARRAY['demo', 'web'], jsonb_build_object('items', ?))")) {
            ps.setLong(1, id);
            ps.setLong(2, 1 + random.nextInt(SEED_CUSTOMERS));
            ps.setBigDecimal(3, java.math.BigDecimal.valueOf(random.nextInt(100_000), 2));
            ps.setInt(4, 1 + random.nextInt(5));
            ps.executeUpdate();
          }
          live.add(id);
          inserts.incrementAndGet();
        } else if (dice < 9) {
          long id = live.get(random.nextInt(live.size()));
          try (PreparedStatement ps = conn.prepareStatement(
              "UPDATE public.orders SET status = ?, amount = amount + 1, updated_at = now() WHERE id = ?")) {
            ps.setString(1, random.nextBoolean() ? "paid" : "shipped");
            ps.setLong(2, id);
            updates.addAndGet(ps.executeUpdate());
          }
        } else {
          long id = live.remove(random.nextInt(live.size()));
          try (Statement s = conn.createStatement()) {
            deletes.addAndGet(s.executeUpdate("DELETE FROM public.orders WHERE id = " + id));
          }
        }
      }
      conn.commit();
    } catch (SQLException e) {
      out.println("syncline demo: write failed: " + e.getMessage());
    }
  }

  private void progress(CaptureMetrics metrics, long started) {
    OpCounts c = metrics.counts();
    out.printf("[%3ds] captured=%d (snapshot %d, c %d, u %d, d %d) written c %d u %d d %d, lag_ms last=%d p99=%d%n",
        (System.nanoTime() - started) / 1_000_000_000L, c.total(), c.reads(), c.inserts(), c.updates(), c.deletes(),
        inserts.get(), updates.get(), deletes.get(), metrics.lastLagMillis(), metrics.lagMillis(0.99));
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
