package io.syncline.streams.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoCredential;
import com.mongodb.MongoException;
import com.mongodb.MongoSecurityException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.MongoClientSettings;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import io.syncline.streams.capture.TablePatterns;
import io.syncline.streams.event.TableRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * What a MongoDB source asks the server outside the change streams: the connection, whether the
 * deployment has change streams, which collections the include list means, and the current cluster
 * time. Blocking methods ({@link #resolveCollections}, {@link #checkChangeStreams}) are for
 * {@code prepare()}, which runs on a blocking dispatcher; the rest answer futures.
 */
final class MongoCatalog {

  private static final Logger log = LoggerFactory.getLogger(MongoCatalog.class);
  private static final int NOT_A_REPLICA_SET = 40573;
  private static final Set<String> SYSTEM_DATABASES = Set.of("admin", "local", "config");

  /** One captured collection. */
  record MongoTable(String database, String collection, TableRef ref) {
    String namespace() {
      return database + "." + collection;
    }
  }

  private final MongoSourceSettings settings;
  private final MongoClient client;

  MongoCatalog(MongoSourceSettings settings, MongoClient client) {
    this.settings = settings;
    this.client = client;
  }

  /** A client for the source's deployment; the password from {@code password} when given. */
  static MongoClient connect(MongoSourceSettings settings) {
    return MongoClients.create(clientSettings(settings));
  }

  /**
   * A client of the sync driver for the same deployment, for the change streams: its cursor keeps
   * the post-batch resume token, which the reactive driver does not expose (JAVA-3521).
   */
  static com.mongodb.client.MongoClient connectSync(MongoSourceSettings settings) {
    return com.mongodb.client.MongoClients.create(clientSettings(settings));
  }

  private static MongoClientSettings clientSettings(MongoSourceSettings settings) {
    ConnectionString cs = new ConnectionString(settings.connectionString());
    MongoClientSettings.Builder b = MongoClientSettings.builder()
        .applyConnectionString(cs)
        .applicationName("syncline-" + settings.name())
        .applyToClusterSettings(c -> c.serverSelectionTimeout(settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS))
        .applyToSocketSettings(s -> s.connectTimeout((int) settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS));
    if (!settings.password().isEmpty()) {
      MongoCredential given = cs.getCredential();
      if (given == null) {
        throw new IllegalArgumentException("source '" + settings.name() + "': setting 'password' is set but"
            + " 'connection-string' names no user: write it as mongodb://<user>@host/...");
      }
      b.credential(MongoCredential.createCredential(given.getUserName(), given.getSource(),
          settings.password().value().toCharArray()));
    }
    return b.build();
  }

  /**
   * Fails unless the deployment serves change streams (a replica set or a sharded cluster): opens
   * one on {@code probe} and closes it at once. A standalone server answers error 40573.
   */
  void checkChangeStreams(MongoTable probe) {
    BsonDocument cmd = new BsonDocument("aggregate", new BsonString(probe.collection()))
        .append("pipeline", new BsonArray(List.of(new BsonDocument("$changeStream", new BsonDocument()))))
        .append("cursor", new BsonDocument("batchSize", new BsonInt32(0)));
    BsonDocument reply;
    try {
      reply = await(MongoCalls.first(client.getDatabase(probe.database()).runCommand(cmd, BsonDocument.class)));
    } catch (MongoCommandException e) {
      if (e.getErrorCode() == NOT_A_REPLICA_SET) {
        throw new MongoSourceException(MongoSourceException.Reason.NO_CHANGE_STREAMS, "source '" + settings.name()
            + "': the server at " + settings.maskedConnectionString() + " is a standalone mongod, which has no change"
            + " streams: run it as a replica set (a single member is enough: start mongod with --replSet rs0 and run"
            + " rs.initiate()) and add ?replicaSet=rs0 to 'connection-string'", e);
      }
      throw e;
    }
    long cursorId = reply.getDocument("cursor", new BsonDocument()).getNumber("id", new BsonInt64(0)).longValue();
    if (cursorId != 0) {
      BsonDocument kill = new BsonDocument("killCursors", new BsonString(probe.collection()))
          .append("cursors", new BsonArray(List.of(new BsonInt64(cursorId))));
      try {
        await(MongoCalls.first(client.getDatabase(probe.database()).runCommand(kill, BsonDocument.class)));
      } catch (MongoException e) {
        log.debug("source '{}': closing the probe change stream failed: {}", settings.name(), e.getMessage());
      }
    }
  }

  /**
   * The collections {@code include-tables} minus {@code exclude-tables} name, in name order. Every
   * include entry must match at least one collection (a typo would silently capture nothing).
   */
  List<MongoTable> resolveCollections() {
    Set<String> databases = new LinkedHashSet<>();
    boolean anyDatabase = false;
    for (String e : settings.include()) {
      String db = e.substring(0, e.indexOf('.'));
      if (TablePatterns.isPattern(db)) {
        anyDatabase = true;
      } else {
        databases.add(db);
      }
    }
    if (anyDatabase) {
      for (String db : await(MongoCalls.all(client.listDatabaseNames()))) {
        if (!SYSTEM_DATABASES.contains(db)) {
          databases.add(db);
        }
      }
    }
    List<String> namespaces = new ArrayList<>();
    for (String db : databases) {
      for (String coll : await(MongoCalls.all(client.getDatabase(db).listCollectionNames()))) {
        if (!coll.startsWith("system.")) {
          namespaces.add(db + "." + coll);
        }
      }
    }
    namespaces.sort(null);
    for (String e : settings.include()) {
      if (namespaces.stream().noneMatch(ns -> TablePatterns.glob(e).matcher(ns).matches())) {
        throw new MongoSourceException(MongoSourceException.Reason.NO_SUCH_COLLECTION, "source '" + settings.name()
            + "': include-tables entry '" + e + "' matches no collection (MongoDB creates a collection on its first"
            + " insert): create it (db.createCollection), or fix or remove the entry");
      }
    }
    List<MongoTable> tables = new ArrayList<>();
    for (String ns : namespaces) {
      if (TablePatterns.matchesAny(settings.include(), ns) && !TablePatterns.matchesAny(settings.exclude(), ns)) {
        int dot = ns.indexOf('.');
        String db = ns.substring(0, dot);
        String coll = ns.substring(dot + 1);
        tables.add(new MongoTable(db, coll, MongoChangeDecoder.table(settings.name(), db, coll)));
      }
    }
    if (tables.isEmpty()) {
      throw new MongoSourceException(MongoSourceException.Reason.NO_SUCH_COLLECTION, "source '" + settings.name()
          + "': exclude-tables " + settings.exclude() + " excludes every collection include-tables "
          + settings.include() + " matches: nothing to capture");
    }
    return tables;
  }

  /**
   * The deployment's current cluster time: the {@code operationTime} (or {@code $clusterTime}) a
   * replica set or mongos returns with every command; where the server returns neither (the
   * embedded imitation), the timestamp of the newest oplog entry, or now when the oplog is empty.
   */
  CompletionStage<BsonTimestamp> clusterTime() {
    BsonDocument ping = new BsonDocument("ping", new BsonInt32(1));
    return MongoCalls.first(client.getDatabase("admin").runCommand(ping, BsonDocument.class)).thenCompose(reply -> {
      BsonValue op = reply == null ? null : reply.get("operationTime");
      if (op != null && op.isTimestamp()) {
        return java.util.concurrent.CompletableFuture.completedFuture(op.asTimestamp());
      }
      BsonValue gossip = reply == null ? null : reply.get("$clusterTime");
      if (gossip != null && gossip.isDocument() && gossip.asDocument().isTimestamp("clusterTime")) {
        return java.util.concurrent.CompletableFuture.completedFuture(gossip.asDocument().getTimestamp("clusterTime"));
      }
      return MongoCalls.first(client.getDatabase("local").getCollection("oplog.rs", BsonDocument.class).find()
              .sort(new BsonDocument("$natural", new BsonInt32(-1))).limit(1))
          .thenApply(last -> {
            if (last != null && last.isTimestamp("ts")) {
              return last.getTimestamp("ts");
            }
            log.debug("source '{}': no operationTime and an empty oplog: taking the wall clock", settings.name());
            return new BsonTimestamp((int) Instant.now().getEpochSecond(), 0);
          });
    });
  }

  /** Waits for a call made from {@code prepare()}; a server that cannot be reached is named with the fix. */
  <T> T await(CompletionStage<T> call) {
    try {
      return call.toCompletableFuture().get(settings.connectTimeout().toMillis() + 30_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof MongoTimeoutException) {
        throw unreachable(cause);
      }
      if (cause instanceof MongoSecurityException) {
        throw new MongoSourceException(MongoSourceException.Reason.OTHER, "source '" + settings.name()
            + "': authentication failed at " + settings.maskedConnectionString() + ": check the user, 'password'"
            + " and the authSource of 'connection-string'", cause);
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new MongoSourceException(MongoSourceException.Reason.OTHER, "source '" + settings.name() + "': "
          + cause.getMessage(), cause);
    } catch (TimeoutException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MongoSourceException(MongoSourceException.Reason.OTHER, "source '" + settings.name() + "': interrupted", e);
    }
  }

  private MongoSourceException unreachable(Throwable cause) {
    return new MongoSourceException(MongoSourceException.Reason.UNREACHABLE, "source '" + settings.name()
        + "': no MongoDB server reachable at " + settings.maskedConnectionString() + " within "
        + settings.connectTimeout().toSeconds() + " s: check the hosts and ports of 'connection-string', that the"
        + " server runs and that this node may reach it (raise 'connect-timeout' for a slow network)", cause);
  }
}
