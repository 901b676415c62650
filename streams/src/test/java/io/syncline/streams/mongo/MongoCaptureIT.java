package io.syncline.streams.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import com.typesafe.config.ConfigFactory;
import io.syncline.embedded.MongoServer;
import io.syncline.persistence.MongoPosition;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.SourceRun;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The MongoDB source on the wire, against the embedded imitation (mongo-java-server): what it does
 * faithfully (inserts, deletes, resume, snapshot hand-off, collection resolution, bad input). Update
 * events of the imitation are incomplete: updates are covered by the decoder's golden tests.
 */
class MongoCaptureIT {

  private static MongoServer server;
  private static MongoClient client;
  private static ActorSystem system;

  @BeforeAll
  static void setUp() {
    server = MongoServer.shared();
    client = MongoClients.create(server.connectionString());
    system = ActorSystem.create("mongo-capture-it");
  }

  @AfterAll
  static void tearDown() {
    client.close();
    system.terminate();
  }

  static MongoCaptureSource source(String name, Map<String, Object> settings) {
    Map<String, Object> entry = new HashMap<>(Map.of("name", name, "connection-string", server.connectionString(),
        "snapshot-mode", "never", "connect-timeout", "3s"));
    entry.putAll(settings);
    return new MongoCaptureSource(MongoSourceSettings.create(ConfigFactory.parseMap(entry),
        ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mongodb")));
  }

  private static MongoCollection<BsonDocument> coll(String db, String name) {
    return client.getDatabase(db).getCollection(name, BsonDocument.class);
  }

  private static void insert(String db, String name, String... json) throws Exception {
    for (String j : json) {
      MongoCalls.first(coll(db, name).insertOne(BsonDocument.parse(j))).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static void delete(String db, String name, String filter) throws Exception {
    MongoCalls.first(coll(db, name).deleteOne(BsonDocument.parse(filter))).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Waits until the run took its start cluster time: what is written after it is captured. */
  private static void awaitStarted(MongoCaptureSource source) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!source.started()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("capture did not start within 30 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
    }
  }

  @Test
  void shouldStreamInsertsAndDeletesWithTheIdAsKey() throws Exception {
    insert("cap_basic", "items", "{_id: 0, seed: true}"); // the collection must exist before prepare()
    MongoCaptureSource source = source("basic", Map.of("include-tables", List.of("cap_basic.items")));
    try (SourceRun run = new SourceRun(system, source, Map.of())) {
      awaitStarted(source);
      insert("cap_basic", "items", "{_id: 1, name: 'one', n: 1}", "{_id: 2, name: 'two', tags: ['a', 'b']}");
      delete("cap_basic", "items", "{_id: 1}");
      List<JsonNode> d = run.await(3);
      assertThat(d).extracting(x -> x.get("op").asText()).containsExactly("c", "c", "d");
      assertThat(new String(run.records.peek().key())).contains("1");
      TableRef table = MongoChangeDecoder.table("basic", "cap_basic", "items");
      assertThat(run.records).allSatisfy(r -> assertThat(r.table()).isEqualTo(table));
      SourcePosition last = run.lastPosition(table);
      assertThat(last).isInstanceOfSatisfying(MongoPosition.class, p -> {
        assertThat(p.index()).isEqualTo(1);
        assertThat(p.resumeToken()).isNotNull();
      });
    }
  }

  @Test
  void shouldResumeAfterARestartWithExactlyWhatCameAfter() throws Exception {
    insert("cap_resume", "items", "{_id: 0}");
    MongoCaptureSource source = source("resume", Map.of("include-tables", List.of("cap_resume.items")));
    Map<TableRef, TableStart> recorded;
    try (SourceRun run = new SourceRun(system, source, Map.of())) {
      awaitStarted(source);
      insert("cap_resume", "items", "{_id: 1}", "{_id: 2}", "{_id: 3}");
      assertThat(run.await(3)).extracting(x -> x.at("/after/_id").toString()).hasSize(3);
      recorded = run.recorded();
    }
    // written while no reader runs
    insert("cap_resume", "items", "{_id: 4}", "{_id: 5}");
    try (SourceRun run = new SourceRun(system, source("resume", Map.of("include-tables", List.of("cap_resume.items"))),
        recorded)) {
      insert("cap_resume", "items", "{_id: 6}");
      List<JsonNode> d = run.await(3);
      assertThat(d).extracting(x -> x.get("op").asText()).containsExactly("c", "c", "c");
      assertThat(d).extracting(x -> x.at("/after/_id").toString()).containsExactly("4", "5", "6");
    }
  }

  /**
   * Finding 7a of issue 10: without a snapshot, a new collection starts after the run's cluster time
   * T0, and says so before any change (a table boundary, and a boundary for the whole source), so
   * that a run stopped before the collection's first change resumes there, not at a later T0.
   */
  @Test
  void shouldMarkWhereANewCollectionStartsBeforeAnyChange() throws Exception {
    insert("cap_start", "items", "{_id: 0}");
    TableRef table = MongoChangeDecoder.table("start", "cap_start", "items");
    MongoCaptureSource source = source("start", Map.of("include-tables", List.of("cap_start.items")));
    Map<TableRef, TableStart> recorded;
    try (SourceRun run = new SourceRun(system, source, Map.of())) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (run.recorded().get(table) == null && System.nanoTime() < deadline) {
        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
      }
      recorded = run.recorded();
      assertThat(run.progress.peek()).satisfies(first -> {
        assertThat(first.events()).isZero();
        assertThat(first.boundary()).as("a boundary for every collection").isNotNull();
        assertThat(first.tableBoundaries().get(table)).isEqualTo(first.boundary());
      });
    }
    assertThat(recorded.get(table).committed()).isInstanceOfSatisfying(MongoPosition.class, p -> {
      assertThat(p.isBoundary()).isTrue();
      assertThat(p.resumeToken()).as("a new stream starts at a cluster time").isNull();
    });
    insert("cap_start", "items", "{_id: 1}", "{_id: 2}"); // no reader runs
    try (SourceRun run = new SourceRun(system, source("start", Map.of("include-tables", List.of("cap_start.items"))),
        recorded)) {
      insert("cap_start", "items", "{_id: 3}");
      assertThat(run.await(3)).extracting(x -> x.at("/after/_id").toString()).containsExactly("1", "2", "3");
    }
  }

  @Test
  void shouldResumeAtARecordedClusterTimeDroppingWhatWasDelivered() throws Exception {
    insert("cap_time", "items", "{_id: 0}");
    TableRef table = MongoChangeDecoder.table("time", "cap_time", "items");
    MongoPosition second;
    MongoCaptureSource first = source("time", Map.of("include-tables", List.of("cap_time.items")));
    try (SourceRun run = new SourceRun(system, first, Map.of())) {
      awaitStarted(first);
      for (int id = 1; id <= 3; id++) { // one at a time: each in a batch of its own, to know the second's position
        insert("cap_time", "items", "{_id: " + id + "}");
        run.await(id);
      }
      MongoPosition p = (MongoPosition) run.progress.stream()
          .flatMap(pr -> pr.tables().entrySet().stream())
          .filter(e -> e.getKey().equals(table))
          .map(e -> (MongoPosition) e.getValue().position())
          .sorted().toList().get(1);
      second = new MongoPosition(p.seconds(), p.increment(), p.index(), null); // a time only, as after a snapshot
    }
    try (SourceRun run = new SourceRun(system, source("time", Map.of("include-tables", List.of("cap_time.items"))),
        Map.of(table, new TableStart(second, true)))) {
      List<JsonNode> d = run.await(1);
      assertThat(d).extracting(x -> x.at("/after/_id").toString()).containsExactly("3");
      assertThat(run.metrics.skippedDuplicates()).isEqualTo(1); // the event at that very time, read again
    }
  }

  @Test
  void shouldReadExistingDocumentsAsSnapshotThenStreamWhatCameAfter() throws Exception {
    insert("cap_snap", "items", "{_id: 1, v: 'a'}", "{_id: 2, v: 'b'}", "{_id: 3, v: 'c'}");
    MongoCaptureSource source = source("snap", Map.of("include-tables", List.of("cap_snap.items"),
        "snapshot-mode", "initial", "max-batch-size", 2)); // two getMore batches
    TableRef table = MongoChangeDecoder.table("snap", "cap_snap", "items");
    try (SourceRun run = new SourceRun(system, source, Map.of())) {
      List<JsonNode> snap = run.await(3);
      assertThat(snap).extracting(x -> x.get("op").asText()).containsExactly("r", "r", "r");
      assertThat(snap).extracting(x -> x.at("/after/_id").toString()).containsExactly("1", "2", "3");
      insert("cap_snap", "items", "{_id: 4, v: 'd'}");
      delete("cap_snap", "items", "{_id: 1}");
      List<JsonNode> d = run.await(5);
      assertThat(d).extracting(x -> x.get("op").asText()).containsExactly("r", "r", "r", "c", "d");
      List<CaptureRecord.SnapshotDone> done = run.progress.stream().flatMap(p -> p.snapshotsDone().stream()).toList();
      assertThat(done).singleElement().satisfies(s -> {
        assertThat(s.table()).isEqualTo(table);
        assertThat(s.rows()).isEqualTo(3);
        assertThat(((MongoPosition) s.position()).index()).isEqualTo(MongoPosition.COMPLETE);
      });
      assertThat(run.recorded().get(table).snapshotCompleted()).isTrue();
    }
  }

  @Test
  void shouldResolveIncludeAndExcludePatternsToCollections() throws Exception {
    insert("cap_pat", "orders_eu", "{_id: 1}");
    insert("cap_pat", "orders_us", "{_id: 1}");
    insert("cap_pat", "customers", "{_id: 1}");
    insert("cap_pat2", "orders_x", "{_id: 1}");
    List<TableRef> tables = source("pat", Map.of("include-tables", List.of("cap_pat.orders_*", "cap_pat?.orders_*"),
        "exclude-tables", List.of("cap_pat.*_us"))).prepare();
    assertThat(tables).extracting(TableRef::qualifiedName)
        .containsExactly("cap_pat.orders_eu", "cap_pat2.orders_x");
  }

  @Test
  void shouldRefuseAnIncludeEntryThatMatchesNoCollection() throws Exception {
    insert("cap_bad", "present", "{_id: 1}");
    assertThatThrownBy(() -> source("bad", Map.of("include-tables", List.of("cap_bad.present", "cap_bad.absent")))
        .prepare())
        .isInstanceOfSatisfying(MongoSourceException.class, e ->
            assertThat(e.reason()).isEqualTo(MongoSourceException.Reason.NO_SUCH_COLLECTION))
        .hasMessageContaining("'cap_bad.absent' matches no collection");
  }

  @Test
  void shouldNameAnUnreachableServerWithoutItsPassword() {
    MongoCaptureSource source = source("gone", Map.of("include-tables", List.of("x.y"),
        "connection-string", "mongodb://cdc:hunter2-secret@127.0.0.1:1/?authSource=admin", "connect-timeout", "1s"));
    assertThat(source.toString()).doesNotContain("hunter2-secret");
    assertThatThrownBy(source::prepare)
        .isInstanceOfSatisfying(MongoSourceException.class, e ->
            assertThat(e.reason()).isEqualTo(MongoSourceException.Reason.UNREACHABLE))
        .hasMessageContaining("no MongoDB server reachable at mongodb://cdc:****@127.0.0.1:1/")
        .hasMessageNotContaining("hunter2-secret");
  }
}
