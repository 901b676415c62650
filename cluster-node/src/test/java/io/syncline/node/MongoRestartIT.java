package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import io.syncline.embedded.MongoServer;
import io.syncline.node.testing.Delivered;
import io.syncline.node.testing.NodeProcess;
import io.syncline.streams.mongo.MongoCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a MongoDB source starts, and what a collection without changes records, must never make a
 * restart skip a change (issue 10, findings 7a and 13). Node processes as a user runs them, against
 * the embedded imitation (mongo-java-server: no real mongod is obtainable here; it sends no
 * post-batch resume token and never truncates its oplog, see docs/mongodb-source.md). Each case ends
 * with "replay of what was delivered equals the collection".
 */
class MongoRestartIT {

  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir
  Path dir;

  private Path config(String name, String include, String extra) throws Exception {
    Path config = dir.resolve("node.conf");
    Files.writeString(config, String.join("\n",
        "syncline.data-dir = \"" + dir.resolve("state") + "\"",
        "syncline.transport.sinks = [jsonl]",
        "syncline.transport.jsonl.directory = \"" + dir.resolve("out") + "\"",
        "syncline.reader.idle-table-commit = 1s",
        "syncline.sources = [{ kind = mongodb, name = " + name + ", connection-string = \""
            + MongoServer.shared().connectionString() + "\", include-tables = [" + include + "], " + extra + " }]",
        "pekko.remote.artery.canonical.port = 0"));
    return config;
  }

  /**
   * Finding 7a for MongoDB: with {@code snapshot-mode = never} a collection recorded no position
   * before its first change, so a node stopped right after it reported capturing started again at
   * a new cluster time and lost what was written meanwhile.
   */
  @Test
  void shouldRecordWhereCaptureStartsBeforeReportingCapturing() throws Exception {
    String db = "mstart";
    try (MongoClient client = MongoClients.create(MongoServer.shared().connectionString())) {
      MongoCollection<Document> t = client.getDatabase(db).getCollection("t");
      await(t.drop());
      await(t.insertOne(new Document("_id", 0).append("v", 0))); // a collection exists from its first insert
      Path config = config("mst", "\"" + db + ".t\"", "snapshot-mode = never");
      Path file = dir.resolve("out").resolve("mst." + db + ".t.jsonl");

      try (NodeProcess node = NodeProcess.start(config, dir.resolve("node1.log"))) {
        node.awaitLog("': capturing ", WAIT);
        assertThat(node.stop(Duration.ofSeconds(60))).as("exit status after SIGTERM").isIn(0, 143);
      }
      List<Document> docs = new ArrayList<>();
      for (int i = 1; i <= 2000; i++) {
        docs.add(new Document("_id", i).append("v", i % 7));
      }
      await(t.insertMany(docs));
      await(t.deleteOne(new Document("_id", 0))); // written before capture started: a delete of nothing delivered

      try (NodeProcess node = NodeProcess.start(config, dir.resolve("node2.log"))) {
        awaitReplayEquals(node, file, rows(t));
        assertThat(Delivered.envelopes(file)).as("each of the 2,000 inserts delivered once, then the delete")
            .hasSize(2001);
      }
    }
  }

  /**
   * Finding 13: a collection without changes kept the resume token of its last change while another
   * collection was busy; after a restart it resumed from there. Here the quiet collection gets one
   * change, then only the busy one changes for a while, the node is killed, both get changes while it
   * is down, and it starts again: every change of both must arrive. (On MongoDB a quiet collection's
   * position moves with the change stream's post-batch resume token, so its resume point stays in
   * the oplog; the imitation keeps its whole oplog and sends no such token, so here this shows that
   * the restart misses nothing, not the refresh itself: see MongoChangeStreamReaderTest.)
   */
  @Test
  void shouldDeliverEveryChangeAfterARestartWithAQuietCollectionBesideABusyOne() throws Exception {
    String db = "mquiet";
    try (MongoClient client = MongoClients.create(MongoServer.shared().connectionString())) {
      MongoCollection<Document> quiet = client.getDatabase(db).getCollection("quiet");
      MongoCollection<Document> busy = client.getDatabase(db).getCollection("busy");
      await(quiet.drop());
      await(busy.drop());
      await(quiet.insertOne(new Document("_id", 0).append("v", 0)));
      await(busy.insertOne(new Document("_id", 0).append("v", 0)));
      Path config = config("mqu", "\"" + db + ".quiet\", \"" + db + ".busy\"", "snapshot-mode = initial");
      Path quietFile = dir.resolve("out").resolve("mqu." + db + ".quiet.jsonl");
      Path busyFile = dir.resolve("out").resolve("mqu." + db + ".busy.jsonl");

      int id = 0;
      try (NodeProcess node = NodeProcess.start(config, dir.resolve("node1.log"))) {
        node.awaitLog("': capturing ", WAIT);
        await(quiet.insertOne(new Document("_id", 1).append("v", 1)));
        node.await(() -> Delivered.count(quietFile) == 2, "the quiet collection's change delivered", WAIT);
        // only the busy collection changes now, for several idle-table-commit periods
        long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        while (System.nanoTime() < until) {
          await(busy.insertOne(new Document("_id", ++id).append("v", id)));
          int sent = id;
          node.await(() -> Delivered.count(busyFile) == sent + 1, "busy change " + sent + " delivered", WAIT);
        }
        node.kill();
      }
      for (int i = 2; i <= 101; i++) {
        await(quiet.insertOne(new Document("_id", i).append("v", i)));
        await(busy.insertOne(new Document("_id", ++id).append("v", id)));
      }
      await(quiet.deleteOne(new Document("_id", 1)));

      try (NodeProcess node = NodeProcess.start(config, dir.resolve("node2.log"))) {
        awaitReplayEquals(node, quietFile, rows(quiet));
        awaitReplayEquals(node, busyFile, rows(busy));
      }
    }
  }

  private static <T> List<T> await(org.reactivestreams.Publisher<T> call) throws Exception {
    return MongoCalls.all(call).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The collection's documents in the form {@link Delivered#replay} gives (every field as text). */
  private static Map<String, Map<String, String>> rows(MongoCollection<Document> c) throws Exception {
    Map<String, Map<String, String>> rows = new HashMap<>();
    for (Document d : await(c.find())) {
      Map<String, String> row = new LinkedHashMap<>();
      d.forEach((k, v) -> row.put(k, String.valueOf(v)));
      rows.put(String.valueOf(d.get("_id")), row);
    }
    return rows;
  }

  private static void awaitReplayEquals(NodeProcess node, Path file, Map<String, Map<String, String>> expected) {
    try {
      node.await(() -> Delivered.replay(file, "_id").equals(expected), "the delivered changes to replay into "
          + file.getFileName(), Duration.ofSeconds(60));
    } catch (AssertionError e) {
      throw new AssertionError(Delivered.difference(expected, Delivered.replay(file, "_id")) + "\n" + e.getMessage(), e);
    }
  }
}
