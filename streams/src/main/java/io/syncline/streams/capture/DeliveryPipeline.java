package io.syncline.streams.capture;

import io.syncline.persistence.SourcePosition;
import io.syncline.streams.envelope.EnvelopeEncoder;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.transport.OutRecord;
import io.syncline.streams.transport.Outgoing;
import io.syncline.streams.transport.Transport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.AsPublisher;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.reactivestreams.Publisher;

/**
 * The source-independent middle of every capture: batch what the reader emits (only while the
 * transport is busy, so latency stays low when traffic is light), drop changes at or before a
 * table's committed position (the duplicates a restart replays), encode envelopes, deliver through
 * the transport, and emit the {@link Progress} of each delivered batch in order.
 */
public final class DeliveryPipeline {

  /**
   * Input buffers of a capture stream's async boundaries: each element is a batch of up to a
   * source's {@code max-batch-size} records, so Pekko's default of 16 elements per boundary would
   * hold up to 16 x 4096 decoded or encoded records at every boundary while the sink is the
   * bottleneck (measured: 240k decoded changes waiting, a 256 MB heap full, full GCs, on a 1M
   * catch-up into Kafka). Two batches keep both sides busy.
   */
  public static final Attributes BATCH_BUFFERS = Attributes.inputBuffer(1, 2);

  private DeliveryPipeline() {}

  /**
   * Materializes a capture source (to get its control before the stream runs), its boundary
   * holding {@link #BATCH_BUFFERS}; run the returned source with {@link #BATCH_BUFFERS} as well
   * ({@code RunnableGraph.addAttributes}). Subscribe within the materializer's subscription timeout.
   */
  public static <M> Pair<M, Source<List<CaptureRecord>, NotUsed>> preMaterialize(Source<List<CaptureRecord>, M> capture,
      ClassicActorSystemProvider system) {
    Pair<M, Publisher<List<CaptureRecord>>> p = capture
        .toMat(Sink.asPublisher(AsPublisher.WITH_FANOUT), Keep.both())
        .addAttributes(BATCH_BUFFERS)
        .run(system);
    return Pair.create(p.first(), Source.fromPublisher(p.second()));
  }

  /**
   * @param committed per table, the position recorded before this run (changes at or before it are dropped)
   * @param maxBatchEvents most records merged into one transport batch
   */
  public static Flow<List<CaptureRecord>, Progress, NotUsed> flow(
      Transport transport, Map<TableRef, SourcePosition> committed, CaptureMetrics metrics, int maxBatchEvents) {
    return flow(transport, committed, metrics, maxBatchEvents, DEFAULT_ENCODERS);
  }

  /**
   * Batches encoded by this many encoders at once: one per processor but one (left to the source's
   * reading and decoding thread), at least 1 and at most 4, or the JVM system property
   * {@code syncline.encoders}. Encoding the envelopes is about a third of a reader's CPU; on 2
   * processors a second encoder measured no gain (docs/BENCHMARKS.md), so there it stays 1.
   */
  public static final int DEFAULT_ENCODERS = Integer.getInteger("syncline.encoders",
      Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() - 1)));

  /**
   * The same, with {@code encoders} batches encoded in parallel on the stream's dispatcher. Batches
   * leave in the order they came (mapAsync keeps order), so positions and progress are unchanged.
   */
  public static Flow<List<CaptureRecord>, Progress, NotUsed> flow(Transport transport,
      Map<TableRef, SourcePosition> committed, CaptureMetrics metrics, int maxBatchEvents, int encoders) {
    if (encoders < 1) {
      throw new IllegalArgumentException("encoders must be at least 1, got " + encoders);
    }
    Map<TableRef, SourcePosition> start = Map.copyOf(committed);
    return Flow.<List<CaptureRecord>>create()
        .<List<CaptureRecord>>batchWeighted(maxBatchEvents, r -> (long) r.size(), first -> new ArrayList<>(first),
            (acc, next) -> {
              acc.addAll(next);
              return acc;
            })
        .via(Flow.fromMaterializer((mat, attrs) -> {
          if (encoders == 1) {
            BatchEncoder encoder = new BatchEncoder(start, metrics);
            return Flow.<List<CaptureRecord>>create().map(encoder::encode);
          }
          // an encoder (and its one JSON generator) per batch in flight: never shared between threads
          BlockingQueue<BatchEncoder> idle = new ArrayBlockingQueue<>(encoders);
          for (int i = 0; i < encoders; i++) {
            idle.add(new BatchEncoder(start, metrics));
          }
          Executor executor = mat.executionContext();
          return Flow.<List<CaptureRecord>>create().mapAsync(encoders, batch -> CompletableFuture.supplyAsync(() -> {
            BatchEncoder encoder = idle.poll(); // at most `encoders` batches in flight, each returns its encoder
            try {
              return encoder.encode(batch);
            } finally {
              idle.add(encoder);
            }
          }, executor));
        }).mapMaterializedValue(f -> NotUsed.getInstance()))
        .async()
        .via(transport.<Progress>flow())
        .map(p -> {
          metrics.delivered(p);
          return p;
        })
        .addAttributes(BATCH_BUFFERS);
  }

  /** Turns a batch of records into encoded records plus the progress they carry. One per materialization. */
  static final class BatchEncoder {
    private final Map<TableRef, SourcePosition> committed;
    private final CaptureMetrics metrics;
    private final EnvelopeEncoder encoder = new EnvelopeEncoder();

    BatchEncoder(Map<TableRef, SourcePosition> committed, CaptureMetrics metrics) {
      this.committed = committed;
      this.metrics = metrics;
    }

    Outgoing<Progress> encode(List<CaptureRecord> batch) {
      List<OutRecord> out = new ArrayList<>(batch.size());
      Map<TableRef, SourcePosition> positions = new HashMap<>();
      Map<TableRef, OpCounts> counts = new HashMap<>();
      List<CaptureRecord.SnapshotDone> done = new ArrayList<>(0);
      List<CaptureRecord.SnapshotChunkDone> chunks = new ArrayList<>(0);
      long[] commits = new long[batch.size()];
      int nCommits = 0;
      SourcePosition boundary = null;
      Map<TableRef, SourcePosition> tableBoundaries = null;
      long skipped = 0;
      long changes = 0;
      io.syncline.persistence.IncrementalSnapshotState incremental = null;
      for (CaptureRecord r : batch) {
        if (r instanceof CaptureRecord.Change c) {
          ChangeEvent e = c.event();
          TableRef t = e.table();
          if (!e.snapshot()) {
            SourcePosition before = committed.get(t);
            if (before != null && !e.position().isAfter(before)) {
              skipped++;
              continue;
            }
            positions.merge(t, e.position(), (a, b) -> b.isAfter(a) ? b : a);
            commits[nCommits++] = e.commitMicros();
          }
          if (changesKey(e)) {
            splitKeyChange(e, out);
          } else {
            out.add(new OutRecord(t, encoder.encodeKey(e), encoder.encodeValue(e), e.position(), e.op() == Op.DELETE,
                List.of()));
          }
          changes++;
          counts.merge(t, OpCounts.of(e.op()), OpCounts::plus); // a key change still counts as one update
        } else if (r instanceof CaptureRecord.Checkpoint cp) {
          boundary = cp.boundary();
          if (cp.completed() != null) {
            // everything read before this mark is delivered with this batch: every table seen so far
            // in the batch has all its changes up to and including this transaction
            positions.replaceAll((t, p) -> cp.completed().isAfter(p) ? cp.completed() : p);
          }
        } else if (r instanceof CaptureRecord.TableCheckpoint tc) {
          if (tableBoundaries == null) {
            tableBoundaries = new HashMap<>();
          }
          tableBoundaries.put(tc.table(), tc.boundary());
        } else if (r instanceof CaptureRecord.SnapshotDone s) {
          done.add(s);
        } else if (r instanceof CaptureRecord.IncrementalSnapshotProgress ip) {
          incremental = ip.state(); // recorded once this batch (and its chunk's rows before the mark) is delivered
        } else if (r instanceof CaptureRecord.SnapshotChunkDone c) {
          chunks.add(c);
        }
      }
      if (skipped > 0) {
        metrics.skippedDuplicates(skipped);
      }
      Map<TableRef, Progress.TableProgress> tables = new HashMap<>();
      counts.forEach((t, c) -> tables.put(t, new Progress.TableProgress(positions.get(t), c)));
      positions.forEach((t, p) -> tables.putIfAbsent(t, new Progress.TableProgress(p, OpCounts.ZERO)));
      long[] lag = nCommits == commits.length ? commits : java.util.Arrays.copyOf(commits, nCommits);
      Progress progress = new Progress(Map.copyOf(tables), List.copyOf(done), boundary, changes, lag, List.copyOf(chunks),
          incremental, tableBoundaries);
      return new Outgoing<>(out, progress);
    }

    /** An update whose key columns differ between its before and after images (a source that sent both). */
    static boolean changesKey(ChangeEvent e) {
      if (e.op() != Op.UPDATE || e.before() == null || e.after() == null) {
        return false;
      }
      RowSchema schema = e.after().schema();
      for (int i = 0; i < schema.keyCount(); i++) {
        int k = schema.keyIndex(i);
        if (!java.util.Objects.deepEquals(e.before().get(k), e.after().get(k))) {
          return true;
        }
      }
      return false;
    }

    /**
     * An update that changed the key, delivered as Debezium does for PostgreSQL and MySQL: a delete
     * of the old key (its {@code before} image; header {@link OutRecord#NEW_KEY}), which Kafka follows
     * with a tombstone, then a create of the new key (header {@link OutRecord#OLD_KEY}). Consumers
     * keyed or partitioned by the key, and compacted topics, then see the old row go and the new one
     * come. Both carry the change's position, transaction and order.
     */
    private void splitKeyChange(ChangeEvent e, List<OutRecord> out) {
      ChangeEvent delete = new ChangeEvent(e.table(), Op.DELETE, e.position(), e.txId(), e.txOrder(), e.commitMicros(),
          false, e.before(), null, List.of());
      ChangeEvent create = new ChangeEvent(e.table(), Op.CREATE, e.position(), e.txId(), e.txOrder(), e.commitMicros(),
          false, null, e.after(), e.unchangedToast());
      byte[] oldKey = encoder.encodeKey(delete);
      byte[] newKey = encoder.encodeKey(create);
      out.add(new OutRecord(e.table(), oldKey, encoder.encodeValue(delete), e.position(), true,
          List.of(new OutRecord.Header(OutRecord.NEW_KEY, newKey))));
      out.add(new OutRecord(e.table(), newKey, encoder.encodeValue(create), e.position(), false,
          List.of(new OutRecord.Header(OutRecord.OLD_KEY, oldKey))));
    }
  }
}
