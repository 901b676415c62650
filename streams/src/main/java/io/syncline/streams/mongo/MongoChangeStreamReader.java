package io.syncline.streams.mongo;

import io.syncline.persistence.MongoPosition;
import io.syncline.streams.capture.CaptureRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One collection's change stream, read one server batch at a time: its events become changes with
 * their positions, and once a batch is used up, the stream's post-batch resume token becomes the
 * collection's boundary ({@link CaptureRecord.TableCheckpoint}), so that a collection without
 * changes records a resume point that keeps up with the oplog.
 *
 * <p>The post-batch resume token (MongoDB 4.0.7+) of a batch that ended with the server's scan of
 * the oplog is a <em>high-water mark</em> at cluster time T: the server returned every event of the
 * collection before T and none at T (it makes one only when its scan moved past the last event it
 * returned). So the boundary {@code (T, 0)}, with that token to resume after, is after everything
 * read and before everything to come; a stream resumed after the token starts at T, as
 * {@code startAtOperationTime(T)} would. A token that is an event's own (a full batch), that
 * decodes to no known form ({@link MongoResumeToken}), or that is not after what the stream already
 * read or marked gives no boundary: the collection's position then moves with its changes only, as
 * on servers without post-batch tokens and on the embedded imitation, which sends none.
 *
 * <p>Pure logic over {@link Cursor}; one stream stage calls it ({@code Source.unfoldResource} on the
 * change-stream dispatcher), never two threads at once.
 */
final class MongoChangeStreamReader implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MongoChangeStreamReader.class);

  /**
   * The part of a change-stream cursor this reads through: the sync driver's
   * {@code MongoChangeStreamCursor} (which keeps the post-batch resume token), or a test's batches.
   */
  interface Cursor extends AutoCloseable {
    /**
     * The next event of the current batch; when the batch is used up, asks the server for the next
     * one once (the server waits up to max-await-time for changes) and returns null when it was empty.
     */
    BsonDocument tryNext();

    /** Events of the current batch not read yet (no server call). */
    int available();

    /**
     * The token to resume after: the last event's {@code _id}, or, once a batch is used up, the
     * batch's post-batch resume token when the server sent one; null before anything was read.
     */
    BsonDocument resumeToken();

    /** True once the server closed the cursor (after an invalidate): nothing more comes. */
    boolean closed();

    @Override
    void close();
  }

  /**
   * Where one collection's stream starts: after {@code resumeToken} (whose event was the
   * {@code index}-th of cluster time {@code at}) when there is one, else at cluster time {@code at};
   * events at or before {@code fence} (when not null) are dropped, this run has them already.
   */
  record Start(BsonTimestamp at, String resumeToken, long index, MongoPosition fence) {

    /** The position everything this stream delivers comes after. */
    MongoPosition after() {
      if (fence != null) {
        return fence;
      }
      return new MongoPosition(Integer.toUnsignedLong(at.getTime()), Integer.toUnsignedLong(at.getInc()), index,
          resumeToken);
    }
  }

  private final String source;
  private final MongoCatalog.MongoTable table;
  private final Start start;
  private final int maxBatch;
  private final Cursor cursor;
  private final MongoChangeDecoder decoder;
  private final EventOrder order;
  private final BsonDocument namespace;
  /** The latest position read or marked: a boundary must be after it. */
  private MongoPosition last;
  /** The resume token last seen (an event's, a boundary's, the start's): an unchanged one says nothing new. */
  private BsonDocument lastToken;
  private boolean ended;
  private boolean warnedUnknownToken;

  MongoChangeStreamReader(String source, MongoCatalog.MongoTable table, Start start, int maxBatch, Cursor cursor) {
    this.source = source;
    this.table = table;
    this.start = start;
    this.maxBatch = maxBatch;
    this.cursor = cursor;
    this.decoder = new MongoChangeDecoder(source);
    this.order = new EventOrder(start);
    this.namespace = new BsonDocument("db", new BsonString(table.database()))
        .append("coll", new BsonString(table.collection()));
    this.last = start.after();
    this.lastToken = start.resumeToken() == null ? null : BsonDocument.parse(start.resumeToken());
  }

  /**
   * The records of the next server batch: its changes, then the collection's boundary when the
   * batch was used up and its post-batch token moved. May be empty (nothing changed, or only events
   * this run drops); empty {@code Optional} once the stream ended (invalidated, or closed by the
   * server). Reads at most {@code maxBatch} events, and never waits for a second batch.
   */
  Optional<List<CaptureRecord>> read() {
    if (ended) {
      return Optional.empty();
    }
    List<CaptureRecord> out = new ArrayList<>();
    BsonDocument event = cursor.tryNext();
    if (event == null) {
      if (cursor.closed()) {
        log.info("source '{}': the change stream of collection {} was closed by the server", source, table.namespace());
        ended = true;
        return Optional.empty();
      }
      boundary(out);
      return Optional.of(out);
    }
    int read = 0;
    while (true) {
      read++;
      handle(event, out);
      if (ended || read >= maxBatch || cursor.available() == 0) {
        break;
      }
      event = cursor.tryNext();
    }
    if (!ended && cursor.available() == 0) {
      boundary(out);
    }
    return Optional.of(out);
  }

  /** Adds the collection's boundary from the post-batch resume token, when it says something new. */
  private void boundary(List<CaptureRecord> out) {
    BsonDocument token = cursor.resumeToken();
    if (token == null || token.equals(lastToken)) {
      return;
    }
    lastToken = token;
    Optional<MongoResumeToken> decoded = MongoResumeToken.decode(token);
    if (decoded.isEmpty() || decoded.get().kind() == MongoResumeToken.Kind.UNKNOWN) {
      if (!warnedUnknownToken) {
        warnedUnknownToken = true;
        log.warn("source '{}': collection {}: the server's post-batch resume token has a form this version does not"
            + " decode ({}), so the collection's position moves with its changes only: after a quiet period longer"
            + " than the oplog window, a restart finds its resume point gone (see on-history-lost)", source,
            table.namespace(), decoded.map(d -> "token version " + d.version()).orElse("not a hex token"));
      }
      return;
    }
    if (decoded.get().kind() != MongoResumeToken.Kind.HIGH_WATER_MARK) {
      return; // an event's own token: its position was delivered with it
    }
    BsonTimestamp t = decoded.get().clusterTime();
    MongoPosition b = MongoPosition.boundary(Integer.toUnsignedLong(t.getTime()), Integer.toUnsignedLong(t.getInc()),
        token.toJson(MongoChangeDecoder.CANONICAL));
    if (!b.isAfter(last)) {
      return; // not past what was read already (e.g. a new stream's first token at its start)
    }
    last = b;
    out.add(new CaptureRecord.TableCheckpoint(table.ref(), b));
  }

  private void handle(BsonDocument event, List<CaptureRecord> out) {
    BsonTimestamp ts = event.getTimestamp("clusterTime");
    long index = order.next(ts);
    if (event.isDocument("_id")) {
      lastToken = event.getDocument("_id");
    }
    MongoPosition at = new MongoPosition(Integer.toUnsignedLong(ts.getTime()), Integer.toUnsignedLong(ts.getInc()),
        index, null);
    if (start.fence() != null && at.compareTo(start.fence()) <= 0) {
      return; // already in this run's snapshot of the collection
    }
    if (at.isAfter(last)) {
      last = at;
    }
    if (!event.containsKey("ns") && event.containsKey("documentKey")) {
      event.put("ns", namespace); // the imitation leaves it out; MongoDB always sends it for document events
    }
    MongoChangeDecoder.Decoded decoded = decoder.decode(event, index);
    if (decoded instanceof MongoChangeDecoder.Decoded.Change c) {
      if (log.isDebugEnabled()) {
        log.debug("source '{}': {} {} at {}", source, table.namespace(), c.event().op(), c.event().position().display());
      }
      out.add(new CaptureRecord.Change(c.event()));
    } else if (decoded instanceof MongoChangeDecoder.Decoded.Dropped d) {
      log.warn("source '{}': collection {} was dropped at {}: delivered as op t; its change stream ends. Remove"
          + " it from include-tables (or recreate it) before the next start", source, table.namespace(),
          d.position().display());
      out.add(new CaptureRecord.Change(d.truncate()));
    } else if (decoded instanceof MongoChangeDecoder.Decoded.Renamed r) {
      log.warn("source '{}': collection {} was renamed to {} at {}: delivered as op t; its change stream ends."
          + " Include the new name (its documents are read by a snapshot) before the next start", source,
          table.namespace(), r.to().qualifiedName(), r.position().display());
      out.add(new CaptureRecord.Change(r.truncate()));
    } else {
      // dropDatabase, invalidate (the server closes this stream after it), or an event without data meaning
      log.info("source '{}': collection {}: {} at {}", source, table.namespace(), decoded.getClass().getSimpleName(),
          decoded.position().display());
      if (decoded instanceof MongoChangeDecoder.Decoded.Invalidated) {
        ended = true;
      }
    }
  }

  /** Closes the cursor; a failure to (the client already closed, the server gone) only matters to the log. */
  @Override
  public void close() {
    try {
      cursor.close();
    } catch (RuntimeException e) {
      log.debug("source '{}': closing the change stream of {} failed: {}", source, table.namespace(), e.toString());
    }
  }

  /** Counts the order of events among those of the same cluster time (1-based), as positions need. */
  private static final class EventOrder {
    private long seconds;
    private long increment;
    private long index;

    EventOrder(Start start) {
      if (start.resumeToken() != null) {
        // resuming after (at, index): the next event of the same cluster time is index + 1 (a boundary's index is 0)
        seconds = start.at().getTime();
        increment = start.at().getInc();
        index = start.index();
      } else {
        seconds = -1;
      }
    }

    long next(BsonTimestamp ts) {
      if (ts.getTime() == seconds && ts.getInc() == increment) {
        return ++index;
      }
      seconds = ts.getTime();
      increment = ts.getInc();
      index = 1;
      return index;
    }
  }
}
