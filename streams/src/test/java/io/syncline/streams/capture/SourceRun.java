package io.syncline.streams.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.snapshot.SnapshotChunk;
import io.syncline.streams.testing.CollectingTransport;
import io.syncline.streams.transport.OutRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Test helper: runs any {@link CaptureSource} through the real delivery pipeline into an in-memory
 * transport, acknowledging the source after each batch as the source reader does; instead of table
 * entities it keeps what they would record ({@link #recorded()}), to start a next run from.
 */
public final class SourceRun implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  public final CollectingTransport transport;
  public final ConcurrentLinkedQueue<OutRecord> records;
  public final CaptureMetrics metrics = new CaptureMetrics();
  /** Every delivered batch's progress, in order. */
  public final ConcurrentLinkedQueue<Progress> progress = new ConcurrentLinkedQueue<>();
  private final CaptureControl control;
  private final Map<TableRef, TableStart> recordedNow = new ConcurrentHashMap<>();
  private final UniqueKillSwitch killSwitch;
  private final CompletionStage<Done> done;

  public SourceRun(ActorSystem system, CaptureSource source, Map<TableRef, TableStart> recorded) {
    this(system, source, recorded, new CollectingTransport());
  }

  public SourceRun(ActorSystem system, CaptureSource source, Map<TableRef, TableStart> recorded,
      CollectingTransport transport) {
    this(system, source, recorded, transport, IncrementalSnapshotState.EMPTY);
  }

  /** A run that continues the incremental snapshots recorded in {@code incremental}. */
  public SourceRun(ActorSystem system, CaptureSource source, Map<TableRef, TableStart> recorded,
      CollectingTransport transport, IncrementalSnapshotState incremental) {
    this.transport = transport;
    this.records = transport.records;
    recordedNow.putAll(recorded);
    source.prepare();
    Map<TableRef, SourcePosition> committed = new HashMap<>();
    recorded.forEach((t, s) -> {
      if (s.committed() != null) {
        committed.put(t, s.committed());
      }
    });
    Pair<CaptureControl, Source<List<CaptureRecord>, NotUsed>> pre =
        source.open(recorded, incremental).preMaterialize(system);
    Pair<UniqueKillSwitch, CompletionStage<Done>> r = pre.second().viaMat(KillSwitches.single(), Keep.right())
        .via(DeliveryPipeline.flow(transport, committed, metrics, 1000))
        .map(p -> {
          progress.add(p);
          record(p);
          if (p.boundary() != null) {
            pre.first().acknowledge(p.boundary());
          }
          return p;
        })
        .toMat(Sink.ignore(), Keep.both()).run(system);
    control = pre.first();
    killSwitch = r.first();
    done = r.second();
  }

  /** The source position acknowledged so far (null: none). */
  public SourcePosition acknowledged() {
    return control.acknowledged();
  }

  /** The last position delivered for {@code table} (null: none). */
  public SourcePosition lastPosition(TableRef table) {
    SourcePosition last = null;
    for (Progress p : progress) {
      Progress.TableProgress tp = p.tables().get(table);
      if (tp != null && tp.position() != null) {
        last = tp.position();
      }
    }
    return last;
  }

  /** Every incremental-snapshot state recorded (delivered), in order. */
  public final ConcurrentLinkedQueue<IncrementalSnapshotState> incrementalRecorded = new ConcurrentLinkedQueue<>();

  /** The last incremental-snapshot state recorded, or null. */
  public IncrementalSnapshotState lastIncremental() {
    IncrementalSnapshotState last = null;
    for (IncrementalSnapshotState s : incrementalRecorded) {
      last = s;
    }
    return last;
  }

  /**
   * As the table entities (and the incremental-snapshot entity) record a delivered batch; a table
   * boundary ({@link CaptureRecord.TableCheckpoint}) is recorded at once (an {@code idle-table-commit}
   * of zero).
   */
  private void record(Progress p) {
    if (p.incremental() != null) {
      incrementalRecorded.add(p.incremental());
    }
    Map<TableRef, SourcePosition> positions = new HashMap<>();
    p.tables().forEach((t, tp) -> {
      if (tp.position() != null) {
        positions.put(t, later(tp.position(), p.tableBoundaries().get(t)));
      }
    });
    p.tableBoundaries().forEach(positions::putIfAbsent);
    positions.forEach((t, position) -> recordedNow.merge(t, new TableStart(position, false),
        (was, now) -> new TableStart(later(was.committed(), position), was.snapshotCompleted(), was.snapshotChunks())));
    for (CaptureRecord.SnapshotChunkDone c : p.chunksDone()) {
      SnapshotChunk chunk = new SnapshotChunk(c.range(), c.view(), c.rows());
      recordedNow.merge(c.table(), new TableStart(null, false, List.of(chunk)), (was, now) -> {
        if (was.snapshotCompleted() || was.snapshotChunks().stream().anyMatch(x -> x.range().equals(c.range()))) {
          return was;
        }
        List<SnapshotChunk> chunks = new ArrayList<>(was.snapshotChunks());
        chunks.add(chunk);
        return new TableStart(was.committed(), false, chunks);
      });
    }
    for (CaptureRecord.SnapshotDone s : p.snapshotsDone()) {
      recordedNow.merge(s.table(), new TableStart(s.position(), true),
          (was, now) -> new TableStart(later(was.committed(), s.position()), true));
    }
  }

  private static SourcePosition later(SourcePosition a, SourcePosition b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    return b.isAfter(a) ? b : a;
  }

  /** Fails with the stream's failure when it ended; false while it runs. */
  public boolean ended() {
    if (done.toCompletableFuture().isDone()) {
      done.toCompletableFuture().join();
      return true;
    }
    return false;
  }

  /** What the table entities would have recorded by now (including what this run started from). */
  public Map<TableRef, TableStart> recorded() {
    return Map.copyOf(recordedNow);
  }

  /** Waits for at least {@code n} delivered records (60 s at most) and returns all, parsed. */
  public List<JsonNode> await(int n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (records.size() < n) {
      if (done.toCompletableFuture().isDone()) {
        done.toCompletableFuture().join();
        throw new AssertionError("capture ended before " + n + " records");
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(n + " records not delivered within 60 s, have " + records.size());
      }
      LockSupport.parkNanos(50_000_000L);
    }
    List<JsonNode> out = new ArrayList<>();
    for (OutRecord r : records) {
      out.add(JSON.readTree(r.value()));
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    if (transport.holding()) {
      // a held batch never completes, so the stream cannot drain: fail it instead
      killSwitch.abort(new IllegalStateException("test run closed while its transport held a batch"));
      done.handle((d, e) -> d).toCompletableFuture().get(30, TimeUnit.SECONDS);
      return;
    }
    killSwitch.shutdown();
    done.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
