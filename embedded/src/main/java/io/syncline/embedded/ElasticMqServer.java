package io.syncline.embedded;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.elasticmq.NodeAddress;
import org.elasticmq.StrictSQSLimits$;
import org.elasticmq.actor.QueueManagerActor;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder$;
import org.elasticmq.util.NowProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * An SQS-compatible server (ElasticMQ) inside this JVM, on a free loopback port: standard and FIFO
 * queues, batched sends, message attributes and deduplication as SQS does them, with SQS's strict
 * limits (256 KiB messages, 10 entries per batch). In memory: its queues and messages live as long
 * as the object. For tests and the demo only. It accepts any credentials (ElasticMQ checks none)
 * and creates no queue by itself: whatever creates queues (the SQS transport) is really exercised.
 *
 * <p>ElasticMQ runs on its own Pekko actor system, configured here rather than from the
 * {@code application.conf} its jar carries (which sets {@code pekko.loglevel = DEBUG}), so it does
 * not share dispatchers or settings with the system under test.
 */
public final class ElasticMqServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ElasticMqServer.class);
  private static ElasticMqServer shared;

  private final ActorSystem system;
  private final ActorRef queues;
  private final int port;
  private SQSRestServer server;
  private boolean closed;

  private ElasticMqServer(ActorSystem system, ActorRef queues, int port) {
    this.system = system;
    this.queues = queues;
    this.port = port;
  }

  /** The server every test in this JVM shares: started on first use, stopped when the JVM exits. */
  public static synchronized ElasticMqServer shared() {
    if (shared == null) {
      shared = start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "elasticmq-shutdown"));
    }
    return shared;
  }

  /** Starts a new server with no queues on a free loopback port. */
  public static ElasticMqServer start() {
    long t0 = System.nanoTime();
    int port = freePort();
    ActorSystem system = ActorSystem.create("elasticmq", config(), ElasticMqServer.class.getClassLoader());
    try {
      ActorRef queues = system.actorOf(Props.create(QueueManagerActor.class,
          () -> new QueueManagerActor(new NowProvider(), StrictSQSLimits$.MODULE$, Option.empty())), "queues");
      ElasticMqServer s = new ElasticMqServer(system, queues, port);
      s.bind();
      log.info("ElasticMQ (SQS) started on {} in {} ms", s.endpoint(), (System.nanoTime() - t0) / 1_000_000);
      return s;
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  private static Config config() {
    return ConfigFactory.parseString("""
        pekko.loglevel = WARNING
        pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
        pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
        pekko.log-dead-letters = off
        pekko.log-dead-letters-during-shutdown = off
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        pekko.http.server.parsing.illegal-header-warnings = off
        pekko.http.server.request-timeout = 21 s
        pekko.http.server.parsing.max-uri-length = 256k
        """).withFallback(ConfigFactory.defaultReference(ElasticMqServer.class.getClassLoader()));
  }

  private void bind() {
    SQSRestServer s = SQSRestServerBuilder$.MODULE$
        .withActorSystem(system)
        .withQueueManagerActor(queues)
        .withInterface("127.0.0.1")
        .withPort(port)
        .withServerAddress(new NodeAddress("http", "127.0.0.1", port, ""))
        .withSQSLimits(StrictSQSLimits$.MODULE$)
        .start();
    s.waitUntilStarted();
    server = s;
  }

  /** The endpoint to give an SQS client ({@code endpointOverride}), e.g. {@code http://127.0.0.1:40123}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** The region ElasticMQ puts into queue ARNs; any region works for clients. */
  public String region() {
    return "elasticmq";
  }

  /**
   * Stops listening, as a server going down does: clients get connection refused until
   * {@link #startAgain()}. Queues and messages are kept. For fault tests.
   */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    long t0 = System.nanoTime();
    try {
      server.stopAndWait();
    } catch (RuntimeException e) {
      log.warn("ElasticMQ did not stop cleanly: {}", e.toString());
    }
    server = null;
    log.info("ElasticMQ on {} stopped in {} ms (queues kept)", endpoint(), (System.nanoTime() - t0) / 1_000_000);
  }

  /** Listens again on the same port, with the queues and messages it had. */
  public synchronized void startAgain() {
    if (closed) {
      throw new IllegalStateException("ElasticMQ on " + endpoint() + " is closed");
    }
    if (server != null) {
      return;
    }
    bind();
    log.info("ElasticMQ started again on {}", endpoint());
  }

  /** Stops the server and its actor system; queues and messages are gone. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    stop();
    closed = true;
    system.terminate();
    try {
      scala.concurrent.Await.ready(system.whenTerminated(),
          scala.concurrent.duration.Duration.fromNanos(Duration.ofSeconds(30).toNanos()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.TimeoutException e) {
      log.warn("ElasticMQ's actor system did not terminate within 30 s");
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port for ElasticMQ", e);
    }
  }
}
