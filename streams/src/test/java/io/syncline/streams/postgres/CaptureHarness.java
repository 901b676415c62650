package io.syncline.streams.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.PgServer;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.DeliveryPipeline;
import io.syncline.streams.capture.Progress;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.testing.CollectingTransport;
import io.syncline.streams.transport.OutRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Runs the real capture graph (PostgreSQL reader → delivery pipeline) into an in-memory transport
 * and acknowledges the source after each delivered batch, as the source reader does (minus the
 * entities). Tests read the delivered envelopes as JSON.
 */
final class CaptureHarness implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper();

  /** A delivered record, parsed. */
  record Delivered(TableRef table, JsonNode key, JsonNode value) {
    String op() {
      return value.get("op").asText();
    }

    JsonNode after() {
      return value.get("after");
    }

    JsonNode before() {
      return value.get("before");
    }
  }

  final CollectingTransport transport = new CollectingTransport();
  final CaptureMetrics metrics = new CaptureMetrics();
  private final ActorSystem system;
  private final UniqueKillSwitch killSwitch;
  private final CompletionStage<Done> done;
  final CaptureControl control;
  final List<PgTable> tables;

  private final boolean acknowledge;

  private CaptureHarness(ActorSystem system, PgSourceSettings settings, Map<TableRef, TableStart> recorded,
      boolean acknowledge) {
    this.system = system;
    this.acknowledge = acknowledge;
    this.tables = PgCapture.prepare(settings);
    Map<TableRef, io.syncline.persistence.SourcePosition> committed = new java.util.HashMap<>();
    recorded.forEach((t, s) -> {
      if (s.committed() != null) {
        committed.put(t, s.committed());
      }
    });
    Pair<CaptureControl, org.apache.pekko.stream.javadsl.Source<List<io.syncline.streams.capture.CaptureRecord>, NotUsed>> pre =
        PgCapture.source(settings, new PgStart(tables, recorded)).preMaterialize(system);
    this.control = pre.first();
    Pair<UniqueKillSwitch, CompletionStage<Done>> run = pre.second()
        .viaMat(KillSwitches.single(), Keep.right())
        .via(DeliveryPipeline.flow(transport, committed, metrics, settings.maxBatchSize()))
        .map(p -> {
          acknowledge(p);
          return p;
        })
        .toMat(Sink.ignore(), Keep.both())
        .run(system);
    this.killSwitch = run.first();
    this.done = run.second();
  }

  private void acknowledge(Progress p) {
    if (acknowledge && p.boundary() != null) {
      control.acknowledge(p.boundary());
    }
  }

  /** Starts capture and returns once the server streams to it (the slot is active). */
  static CaptureHarness start(ActorSystem system, PgSourceSettings settings, PgServer pg) {
    return start(system, settings, Map.of(), pg);
  }

  static CaptureHarness start(ActorSystem system, PgSourceSettings settings, Map<TableRef, TableStart> recorded,
      PgServer pg) {
    return start(system, settings, recorded, pg, true);
  }

  /** With {@code acknowledge = false} the source is never told what was delivered (the slot stays put). */
  static CaptureHarness start(ActorSystem system, PgSourceSettings settings, Map<TableRef, TableStart> recorded,
      PgServer pg, boolean acknowledge) {
    CaptureHarness h = new CaptureHarness(system, settings, recorded, acknowledge);
    h.awaitSlotActive(pg, settings);
    return h;
  }

  private void awaitSlotActive(PgServer pg, PgSourceSettings settings) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try (java.sql.Connection c = pg.connect(settings.database());
          java.sql.PreparedStatement ps = c.prepareStatement(
              "SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
        ps.setString(1, settings.slotName());
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException(e);
      }
      if (done.toCompletableFuture().isDone()) {
        done.toCompletableFuture().join();
        throw new AssertionError("capture ended before streaming started");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
    }
    throw new AssertionError("slot " + settings.slotName() + " not streaming after 60 s");
  }

  /** Settings for a source on the shared server, with per-test slot and publication names. */
  static PgSourceSettings settings(PgServer pg, String database, String name, List<String> include, Map<String, Object> extra) {
    Map<String, Object> m = new java.util.HashMap<>(Map.of(
        "name", name, "host", "localhost", "port", pg.port(), "database", database, "user", "postgres",
        "include-tables", include, "slot-name", name.replace('-', '_') + "_slot",
        "publication-name", name.replace('-', '_') + "_pub", "max-batch-size", 1000));
    m.putAll(extra);
    Config defaults = ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.postgres");
    return PgSourceSettings.create(ConfigFactory.parseMap(m), defaults);
  }

  List<Delivered> delivered() {
    List<Delivered> out = new ArrayList<>();
    for (OutRecord r : transport.records) {
      out.add(parse(r));
    }
    return out;
  }

  static Delivered parse(OutRecord r) {
    try {
      JsonNode key = r.key() == null ? null : JSON.readTree(r.key());
      return new Delivered(r.table(), key, JSON.readTree(r.value()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until the delivered records satisfy {@code condition}, or fails after {@code timeout}. */
  List<Delivered> awaitDelivered(Predicate<List<Delivered>> condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Delivered> d = delivered();
    while (!condition.test(d)) {
      if (done.toCompletableFuture().isDone()) {
        done.toCompletableFuture().join(); // surfaces the stream's failure
        throw new AssertionError("capture stream ended before: " + what);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what + " (have " + d.size() + " records)");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
      d = delivered();
    }
    return d;
  }

  /** Waits for {@code n} delivered records of {@code table}. */
  List<Delivered> awaitCount(String table, int n, Duration timeout) {
    return awaitDelivered(d -> d.stream().filter(x -> x.table().table().equals(table)).count() >= n, timeout,
        n + " records of " + table).stream().filter(x -> x.table().table().equals(table)).toList();
  }

  CompletionStage<Done> completion() {
    return done;
  }

  @Override
  public void close() {
    killSwitch.shutdown();
    try {
      done.toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      // a failed stream was reported by the test already
    }
  }
}
