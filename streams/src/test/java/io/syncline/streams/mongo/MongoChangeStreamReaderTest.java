package io.syncline.streams.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.persistence.MongoPosition;
import io.syncline.streams.capture.CaptureRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.junit.jupiter.api.Test;

/**
 * The change-stream reader over scripted server batches, as the sync driver's cursor hands them
 * out: each batch's events, then its post-batch resume token. This is the path the embedded
 * imitation cannot exercise (it sends no post-batch token); the tokens are in MongoDB's format
 * (see {@link MongoResumeTokenTest}).
 */
class MongoChangeStreamReaderTest {

  private static final MongoCatalog.MongoTable TABLE =
      new MongoCatalog.MongoTable("shop", "orders", MongoChangeDecoder.table("m", "shop", "orders"));

  /** A high-water-mark token (version 1) at cluster time (seconds, increment). */
  private static BsonDocument hwm(long seconds, long increment) {
    return new BsonDocument("_data", new BsonString(String.format("82%08X%08X2B0229296E04", seconds, increment)));
  }

  /** An event token (version 2) at (seconds, increment) for document {@code id}. */
  private static BsonDocument eventToken(long seconds, long increment, int id) {
    return new BsonDocument("_data", new BsonString(String.format("82%08X%08X2B042C0100296E5A1004%032X04", seconds,
        increment, id)));
  }

  private static BsonDocument insert(long seconds, long increment, int id) {
    return new BsonDocument("_id", eventToken(seconds, increment, id))
        .append("operationType", new BsonString("insert"))
        .append("clusterTime", new BsonTimestamp((int) seconds, (int) increment))
        .append("ns", BsonDocument.parse("{db: 'shop', coll: 'orders'}"))
        .append("documentKey", BsonDocument.parse("{_id: " + id + "}"))
        .append("fullDocument", BsonDocument.parse("{_id: " + id + ", v: 1}"));
  }

  private static String json(BsonDocument token) {
    return token.toJson(MongoChangeDecoder.CANONICAL);
  }

  /** One server batch: its events and its post-batch resume token (null: the server sent none). */
  private record Batch(List<BsonDocument> events, BsonDocument postBatchToken) {}

  private static Batch batch(BsonDocument postBatchToken, BsonDocument... events) {
    return new Batch(Arrays.asList(events), postBatchToken);
  }

  /** The sync driver's cursor, over scripted batches: the token rules of MongoChangeStreamCursorImpl. */
  private static final class ScriptedCursor implements MongoChangeStreamReader.Cursor {
    private final Deque<Batch> script = new ArrayDeque<>();
    private Deque<BsonDocument> current = new ArrayDeque<>();
    private BsonDocument postBatchToken;
    private BsonDocument resumeToken;
    int getMores;
    boolean serverClosed;
    boolean closed;

    ScriptedCursor(BsonDocument startToken, Batch... batches) {
      resumeToken = startToken;
      script.addAll(List.of(batches));
    }

    @Override
    public BsonDocument tryNext() {
      if (current.isEmpty()) {
        getMores++;
        Batch b = script.poll();
        if (b == null) {
          return null; // the server waited max-await-time: nothing new, the same token
        }
        current = new ArrayDeque<>(b.events());
        postBatchToken = b.postBatchToken();
        if (current.isEmpty()) {
          if (postBatchToken != null) {
            resumeToken = postBatchToken;
          }
          return null;
        }
      }
      BsonDocument e = current.poll();
      resumeToken = e.getDocument("_id");
      if (current.isEmpty() && postBatchToken != null) {
        resumeToken = postBatchToken;
      }
      return e;
    }

    @Override
    public int available() {
      return current.size();
    }

    @Override
    public BsonDocument resumeToken() {
      return resumeToken;
    }

    @Override
    public boolean closed() {
      return serverClosed;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private static MongoChangeStreamReader reader(MongoChangeStreamReader.Start start, int maxBatch,
      ScriptedCursor cursor) {
    return new MongoChangeStreamReader("m", TABLE, start, maxBatch, cursor);
  }

  /** Resuming after the recorded event (100, 1)#1 with its token. */
  private static MongoChangeStreamReader.Start afterEvent() {
    return new MongoChangeStreamReader.Start(new BsonTimestamp(100, 1), json(eventToken(100, 1, 1)), 1, null);
  }

  private static List<CaptureRecord> read(MongoChangeStreamReader r) {
    return r.read().orElseThrow();
  }

  private static CaptureRecord.TableCheckpoint boundary(long seconds, long increment) {
    return new CaptureRecord.TableCheckpoint(TABLE.ref(), MongoPosition.boundary(seconds, increment,
        json(hwm(seconds, increment))));
  }

  private static List<MongoPosition> positions(List<CaptureRecord> records) {
    List<MongoPosition> out = new ArrayList<>();
    for (CaptureRecord r : records) {
      if (r instanceof CaptureRecord.Change c) {
        out.add((MongoPosition) c.event().position());
      }
    }
    return out;
  }

  @Test
  void shouldMarkAQuietCollectionWithEachNewHighWaterMark() {
    ScriptedCursor cursor = new ScriptedCursor(eventToken(100, 1, 1),
        batch(hwm(105, 2)), batch(hwm(105, 2)), batch(hwm(110, 3)));
    MongoChangeStreamReader r = reader(afterEvent(), 10, cursor);

    assertThat(read(r)).containsExactly(boundary(105, 2));
    assertThat(read(r)).as("the same token again says nothing new").isEmpty();
    assertThat(read(r)).containsExactly(boundary(110, 3));
    assertThat(read(r)).as("no batch at all (server idle, token unchanged)").isEmpty();
    assertThat(cursor.getMores).as("one server batch per read").isEqualTo(4);
    CaptureRecord.TableCheckpoint last = boundary(110, 3);
    assertThat(last.boundary().isBoundary()).isTrue();
    assertThat(((MongoPosition) last.boundary()).resumeToken()).isEqualTo("{\"_data\": \"820000006E000000032B0229296E04\"}");
  }

  @Test
  void shouldPutTheBoundaryAfterTheEventsOfItsBatch() {
    ScriptedCursor cursor = new ScriptedCursor(eventToken(100, 1, 1),
        batch(hwm(201, 5), insert(200, 1, 2), insert(200, 1, 3), insert(201, 4, 4)));
    List<CaptureRecord> records = read(reader(afterEvent(), 10, cursor));

    assertThat(positions(records)).containsExactly(new MongoPosition(200, 1, 1, json(eventToken(200, 1, 2))),
        new MongoPosition(200, 1, 2, json(eventToken(200, 1, 3))), new MongoPosition(201, 4, 1, json(eventToken(201, 4, 4))));
    assertThat(records).hasSize(4);
    assertThat(records.get(3)).isEqualTo(boundary(201, 5));
    assertThat(((CaptureRecord.TableCheckpoint) records.get(3)).boundary().isAfter(positions(records).get(2))).isTrue();
  }

  @Test
  void shouldGiveNoBoundaryFromAnEventsOwnToken() {
    // a server before 4.0.7 sends no post-batch token: the driver keeps the last event's; a sharded cluster may
    // send an event token as the post-batch token
    ScriptedCursor cursor = new ScriptedCursor(eventToken(100, 1, 1),
        batch(null, insert(200, 1, 2)), batch(null), batch(eventToken(200, 1, 2)), batch(eventToken(300, 1, 9)));
    MongoChangeStreamReader r = reader(afterEvent(), 10, cursor);

    assertThat(read(r)).singleElement().isInstanceOf(CaptureRecord.Change.class);
    assertThat(read(r)).isEmpty();
    assertThat(read(r)).isEmpty();
    assertThat(read(r)).isEmpty();
  }

  @Test
  void shouldGiveNoBoundaryNotAfterWhatTheStreamAlreadyHas() {
    // a freshly snapshotted collection streams from T0 = (300, 4), dropping its events up to (300, 4, COMPLETE)
    MongoChangeStreamReader.Start fenced = new MongoChangeStreamReader.Start(new BsonTimestamp(300, 4), null, 0,
        new MongoPosition(300, 4, MongoPosition.COMPLETE, null));
    ScriptedCursor cursor = new ScriptedCursor(null,
        batch(hwm(300, 4)), batch(hwm(1, 0)), batch(hwm(300, 4), insert(300, 4, 7)), batch(hwm(300, 5)));
    MongoChangeStreamReader r = reader(fenced, 10, cursor);

    assertThat(read(r)).as("the stream's own start").isEmpty();
    assertThat(read(r)).as("mongos before any shard answered: Timestamp(1, 0)").isEmpty();
    assertThat(read(r)).as("an event inside the fence is dropped; its batch's token is not after the fence").isEmpty();
    assertThat(read(r)).containsExactly(boundary(300, 5));
  }

  @Test
  void shouldNeverWaitForASecondBatchNorReadMoreThanMaxBatch() {
    ScriptedCursor cursor = new ScriptedCursor(eventToken(100, 1, 1),
        batch(hwm(400, 9), insert(400, 1, 1), insert(400, 2, 2), insert(400, 3, 3), insert(400, 4, 4), insert(400, 5, 5)),
        batch(null, insert(401, 1, 6)));
    MongoChangeStreamReader r = reader(afterEvent(), 3, cursor);

    List<CaptureRecord> first = read(r);
    assertThat(positions(first)).hasSize(3);
    assertThat(first).as("the batch is not used up: its token is not yet the stream's").hasSize(3);
    List<CaptureRecord> second = read(r);
    assertThat(positions(second)).extracting(MongoPosition::increment).containsExactly(4L, 5L);
    assertThat(second.get(2)).isEqualTo(boundary(400, 9));
    assertThat(cursor.getMores).isEqualTo(1);
    assertThat(positions(read(r))).extracting(MongoPosition::seconds).containsExactly(401L);
    assertThat(cursor.getMores).isEqualTo(2);
  }

  @Test
  void shouldNotDropTheFirstEventAtTheClusterTimeOfARecordedBoundary() {
    // recorded: the boundary of a high-water mark at (500, 7); the next event happens at that very cluster time
    MongoChangeStreamReader.Start afterBoundary = new MongoChangeStreamReader.Start(new BsonTimestamp(500, 7),
        json(hwm(500, 7)), 0, null);
    ScriptedCursor cursor = new ScriptedCursor(hwm(500, 7), batch(null, insert(500, 7, 1), insert(500, 7, 2)));
    List<MongoPosition> delivered = positions(read(reader(afterBoundary, 10, cursor)));

    MongoPosition recorded = MongoPosition.boundary(500, 7, json(hwm(500, 7)));
    assertThat(delivered).extracting(MongoPosition::index).containsExactly(1L, 2L);
    assertThat(delivered).allSatisfy(p -> assertThat(p.isAfter(recorded)).isTrue());
  }

  @Test
  void shouldGoOnWithoutBoundariesWhenTheTokenFormIsUnknown() {
    // a version-0 token (MongoDB 4.0.0 to 4.0.6), then the embedded imitation's form
    ScriptedCursor cursor = new ScriptedCursor(eventToken(100, 1, 1),
        batch(new BsonDocument("_data", new BsonString("825C0A1B2C000000012929"))),
        batch(new BsonDocument("_data", new BsonString("6612abcd00000001")), insert(600, 1, 1)));
    MongoChangeStreamReader r = reader(afterEvent(), 10, cursor);

    assertThat(read(r)).isEmpty();
    assertThat(read(r)).singleElement().isInstanceOf(CaptureRecord.Change.class);
  }

  @Test
  void shouldEndAfterAnInvalidateOrWhenTheServerClosedTheCursor() {
    BsonDocument invalidate = new BsonDocument("_id", eventToken(700, 2, 0))
        .append("operationType", new BsonString("invalidate"))
        .append("clusterTime", new BsonTimestamp(700, 2));
    ScriptedCursor cursor = new ScriptedCursor(eventToken(100, 1, 1),
        batch(hwm(800, 1), insert(700, 1, 1), invalidate, insert(700, 3, 3)));
    MongoChangeStreamReader r = reader(afterEvent(), 10, cursor);
    assertThat(read(r)).singleElement().isInstanceOf(CaptureRecord.Change.class);
    assertThat(r.read()).isEmpty();

    ScriptedCursor closedByServer = new ScriptedCursor(eventToken(100, 1, 1));
    closedByServer.serverClosed = true;
    MongoChangeStreamReader gone = reader(afterEvent(), 10, closedByServer);
    assertThat(gone.read()).isEqualTo(Optional.empty());
    gone.close();
    assertThat(closedByServer.closed).isTrue();
  }

  @Test
  void shouldCountTheOrderOfEventsOfOneClusterTimeAcrossBatches() {
    ScriptedCursor cursor = new ScriptedCursor(eventToken(100, 1, 1),
        batch(null, insert(100, 1, 2)), batch(null, insert(100, 1, 3), insert(100, 2, 4)));
    MongoChangeStreamReader r = reader(afterEvent(), 10, cursor);
    assertThat(positions(read(r))).extracting(MongoPosition::index).containsExactly(2L);
    assertThat(positions(read(r))).extracting(MongoPosition::index).containsExactly(3L, 1L);
  }
}
