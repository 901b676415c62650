package io.syncline.embedded;

import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process MongoDB <em>imitation</em> for tests and the demo: bwaldvogel's mongo-java-server
 * with the in-memory backend and its oplog enabled, so that change streams work. It speaks the
 * MongoDB wire protocol but is not MongoDB. What it does faithfully and what it does not (see
 * ../shared/TESTING.md and docs/mongodb-source.md, "Tested against"):
 * <ul>
 *   <li>right: insert and delete change events, {@code documentKey}, {@code fullDocument} of inserts,
 *       resume after a resume token or at an operation time, collection-level {@code watch()}</li>
 *   <li>not right: update events (no {@code updateDescription}, a partial {@code fullDocument}),
 *       database-level {@code watch()} (gives nothing), transactions, snapshot reads at a cluster
 *       time, pre-images, oplog truncation (history is never lost)</li>
 * </ul>
 * Starting takes milliseconds; tests share one per JVM ({@link #shared()}) and use their own
 * database names.
 */
public final class MongoServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MongoServer.class);
  private static MongoServer shared;

  private final de.bwaldvogel.mongo.MongoServer server;
  private final InetSocketAddress address;

  private MongoServer(de.bwaldvogel.mongo.MongoServer server, InetSocketAddress address) {
    this.server = server;
    this.address = address;
  }

  /** The server every test in this JVM shares: started on first use, stopped when the JVM exits. */
  public static synchronized MongoServer shared() {
    if (shared == null) {
      shared = start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "mongo-server-shutdown"));
    }
    return shared;
  }

  /** Starts a new server on a free port of 127.0.0.1, with the oplog (change streams) enabled. */
  public static MongoServer start() {
    de.bwaldvogel.mongo.MongoServer server = new de.bwaldvogel.mongo.MongoServer(new MemoryBackend());
    server.enableOplog();
    server.bind("127.0.0.1", 0);
    InetSocketAddress address = server.getLocalAddress();
    log.info("embedded MongoDB imitation (mongo-java-server) listening on {}", address);
    return new MongoServer(server, address);
  }

  public String host() {
    return address.getHostString();
  }

  public int port() {
    return address.getPort();
  }

  /** {@code mongodb://127.0.0.1:<port>/}: no credentials (the imitation has no authentication). */
  public String connectionString() {
    return "mongodb://" + host() + ":" + port() + "/";
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  @Override
  public String toString() {
    return "MongoServer[" + connectionString() + "]";
  }
}
