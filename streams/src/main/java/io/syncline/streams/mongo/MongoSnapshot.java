package io.syncline.streams.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.reactivestreams.client.MongoDatabase;
import io.syncline.persistence.MongoPosition;
import io.syncline.streams.capture.CaptureRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The initial snapshot of one collection at cluster time {@code T0}: a {@code find} in
 * {@code _id} order with {@code readConcern: {level: "snapshot", atClusterTime: T0}}, read batch by
 * batch ({@code getMore} only when the stream asks for more, {@code max-batch-size} documents a
 * batch), each document an {@code op = r} event at {@code MongoPosition(T0, 0)}, then
 * {@link CaptureRecord.SnapshotDone} at {@code (T0, COMPLETE)}.
 *
 * <p>The server confirms a read at that time by returning {@code atClusterTime} with the cursor
 * (MongoDB 5.0+ replica sets and sharded clusters). Where it does not (older servers, which refuse
 * the read concern outside transactions, and the embedded imitation, which ignores it), the scan
 * reads the current documents instead, and a warning says so: documents changed during the scan
 * may then arrive twice (as {@code r} and again as their change), never be missed.
 */
final class MongoSnapshot {

  private static final Logger log = LoggerFactory.getLogger(MongoSnapshot.class);
  private static final int SNAPSHOT_TOO_OLD = 239;
  /** Refusals of the snapshot read concern outside a transaction (servers before 5.0). */
  private static final Set<Integer> READ_CONCERN_REFUSED = Set.of(2, 9, 72);

  private MongoSnapshot() {}

  /** State of the raw cursor between batches. */
  private record Step(long cursorId, boolean started) {}

  /** The snapshot of {@code table} as chunks of at most {@code batchSize} records, then its SnapshotDone. */
  static Source<List<CaptureRecord>, NotUsed> read(MongoSourceSettings settings, MongoDatabase db,
      MongoCatalog.MongoTable table, BsonTimestamp at) {
    MongoChangeDecoder decoder = new MongoChangeDecoder(settings.name());
    MongoPosition readAt = new MongoPosition(at.getTime(), at.getInc(), 0, null);
    long commitMicros = at.getTime() * 1_000_000L;
    AtomicBoolean consistent = new AtomicBoolean(true);
    Source<List<CaptureRecord>, NotUsed> documents = Source.<Step, List<BsonDocument>>unfoldAsync(new Step(0, false), s -> {
      if (s.started() && s.cursorId() == 0) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      CompletionStage<BsonDocument> reply = s.started()
          ? MongoCalls.first(db.runCommand(getMore(table, s.cursorId(), settings.maxBatchSize()), BsonDocument.class))
          : first(settings, db, table, at, consistent);
      return reply.thenApply(r -> {
        BsonDocument cursor = r.getDocument("cursor");
        BsonArray batch = cursor.getArray(s.started() ? "nextBatch" : "firstBatch", new BsonArray());
        List<BsonDocument> docs = new ArrayList<>(batch.size());
        for (BsonValue v : batch) {
          docs.add(v.asDocument());
        }
        return Optional.of(Pair.create(new Step(cursor.getNumber("id").longValue(), true), docs));
      });
    }).filter(docs -> !docs.isEmpty()).map(docs -> {
      List<CaptureRecord> chunk = new ArrayList<>(docs.size());
      for (BsonDocument d : docs) {
        chunk.add(new CaptureRecord.Change(decoder.snapshotRead(table.ref(), d, readAt, commitMicros)));
      }
      return chunk;
    }).mapError(MongoCommandException.class, e -> e.getErrorCode() == SNAPSHOT_TOO_OLD
        ? new MongoSourceException(MongoSourceException.Reason.SNAPSHOT_TOO_OLD, "source '" + settings.name()
            + "': the snapshot of collection " + table.namespace() + " at cluster time " + readAt.display()
            + " took longer than the server keeps history for snapshot reads (SnapshotTooOld): raise the server"
            + " parameter minSnapshotHistoryWindowInSeconds (default 300) above the time one collection's scan"
            + " takes, then restart; the snapshot starts over", e)
        : e);
    // counts the rows as they pass, and ends the collection's snapshot with its SnapshotDone
    return documents.statefulMap(() -> new long[] {0, System.nanoTime()}, (count, chunk) -> {
      count[0] += chunk.size();
      return Pair.create(count, chunk);
    }, count -> {
      long ms = Math.max(1, (System.nanoTime() - count[1]) / 1_000_000);
      log.info("source '{}': snapshot of {} read {} documents in {} ms ({} documents/s){}", settings.name(),
          table.namespace(), count[0], ms, count[0] * 1000 / ms,
          consistent.get() ? " at cluster time " + readAt.display() : " (current documents, not a point in time)");
      return Optional.of(List.<CaptureRecord>of(new CaptureRecord.SnapshotDone(table.ref(),
          new MongoPosition(at.getTime(), at.getInc(), MongoPosition.COMPLETE, null), count[0])));
    });
  }

  /** The first batch, read at {@code at} where the server can; see the class comment for where it cannot. */
  private static CompletionStage<BsonDocument> first(MongoSourceSettings settings, MongoDatabase db,
      MongoCatalog.MongoTable table, BsonTimestamp at, AtomicBoolean consistent) {
    BsonDocument atTime = find(table, settings.maxBatchSize()).append("readConcern",
        new BsonDocument("level", new BsonString("snapshot")).append("atClusterTime", at));
    return MongoCalls.first(db.runCommand(atTime, BsonDocument.class))
        .thenApply(r -> {
          if (!r.getDocument("cursor").containsKey("atClusterTime")) {
            consistent.set(false);
            warnInconsistent(settings, table, "the server did not confirm the read at that time");
          }
          return r;
        })
        .exceptionallyCompose(e -> {
          Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof MongoCommandException c && READ_CONCERN_REFUSED.contains(c.getErrorCode())) {
            consistent.set(false);
            warnInconsistent(settings, table, "the server refused readConcern snapshot (" + c.getErrorCodeName()
                + "; MongoDB before 5.0)");
            return MongoCalls.first(db.runCommand(find(table, settings.maxBatchSize()), BsonDocument.class));
          }
          return CompletableFuture.failedFuture(cause);
        });
  }

  private static void warnInconsistent(MongoSourceSettings settings, MongoCatalog.MongoTable table, String why) {
    log.warn("source '{}': snapshot of {} reads the current documents, not those at the snapshot's cluster time ({}):"
        + " a document changed during the scan may be delivered twice, as op r and again as its change (never"
        + " missed). MongoDB 5.0+ replica sets read at the cluster time.", settings.name(), table.namespace(), why);
  }

  private static BsonDocument find(MongoCatalog.MongoTable table, int batchSize) {
    return new BsonDocument("find", new BsonString(table.collection()))
        .append("sort", new BsonDocument("_id", new BsonInt32(1)))
        .append("batchSize", new BsonInt32(batchSize));
  }

  private static BsonDocument getMore(MongoCatalog.MongoTable table, long cursorId, int batchSize) {
    return new BsonDocument("getMore", new BsonInt64(cursorId))
        .append("collection", new BsonString(table.collection()))
        .append("batchSize", new BsonInt32(batchSize));
  }
}
