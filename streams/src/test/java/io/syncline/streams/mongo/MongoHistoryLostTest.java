package io.syncline.streams.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.MongoCommandException;
import com.mongodb.ServerAddress;
import io.syncline.persistence.MongoPosition;
import io.syncline.streams.capture.CaptureRecord;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The history-lost policy around a collection's change stream. The embedded imitation never loses
 * history, so the server's error is made here: a command error with MongoDB's code and message.
 */
class MongoHistoryLostTest {

  private static ActorSystem system;

  @BeforeAll
  static void start() {
    system = ActorSystem.create("history-lost-test");
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  private static MongoCommandException serverError(int code, String name) {
    return new MongoCommandException(BsonDocument.parse("{ok: 0, code: " + code + ", codeName: '" + name
        + "', errmsg: 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.'}"),
        new ServerAddress("db1", 27017));
  }

  private static final List<CaptureRecord> SNAPSHOT_CHUNK = List.of(new CaptureRecord.SnapshotDone(
      MongoChangeDecoder.table("m", "shop", "orders"), new MongoPosition(1700000100, 1, MongoPosition.COMPLETE, null), 0));

  private static Source<List<CaptureRecord>, NotUsed> resnapshot() {
    return Source.single(SNAPSHOT_CHUNK);
  }

  private static List<List<CaptureRecord>> run(Source<List<CaptureRecord>, NotUsed> s) throws Exception {
    return s.runWith(Sink.seq(), system).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void failPolicyStopsWithTheCollectionThePointAndTheFix() {
    Source<List<CaptureRecord>, NotUsed> lost = MongoCaptureSource.onHistoryLost(
        Source.failed(serverError(286, "ChangeStreamHistoryLost")), MongoSourceSettings.HistoryLostPolicy.FAIL,
        "collection shop.orders of source 'm' cannot resume at cluster time Timestamp(1700000000, 5)#3",
        MongoHistoryLostTest::resnapshot);
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> run(lost));
    while (t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException) {
      t = t.getCause();
    }
    assertThat(t).isInstanceOfSatisfying(MongoSourceException.class,
            e -> assertThat(e.reason()).isEqualTo(MongoSourceException.Reason.HISTORY_LOST))
        .hasMessageContaining("collection shop.orders of source 'm'")
        .hasMessageContaining("Timestamp(1700000000, 5)")
        .hasMessageContaining("no longer in the oplog (MongoCommandException 286)")
        .hasMessageContaining("Fix: set on-history-lost = resnapshot");
  }

  @Test
  void resnapshotPolicyGoesOnWithTheCollectionReadAgain() throws Exception {
    List<List<CaptureRecord>> out = run(MongoCaptureSource.onHistoryLost(
        Source.failed(serverError(280, "ChangeStreamFatalError")), MongoSourceSettings.HistoryLostPolicy.RESNAPSHOT,
        "collection shop.orders of source 'm' cannot resume", MongoHistoryLostTest::resnapshot));
    assertThat(out).containsExactly(SNAPSHOT_CHUNK);
  }

  @Test
  void otherServerErrorsAreNotTakenForLostHistory() {
    Source<List<CaptureRecord>, NotUsed> other = MongoCaptureSource.onHistoryLost(
        Source.failed(serverError(13, "Unauthorized")), MongoSourceSettings.HistoryLostPolicy.RESNAPSHOT,
        "collection shop.orders", MongoHistoryLostTest::resnapshot);
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> run(other));
    while (t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException) {
      t = t.getCause();
    }
    assertThat(t).isInstanceOf(MongoCommandException.class);
  }
}
