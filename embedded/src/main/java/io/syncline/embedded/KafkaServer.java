package io.syncline.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.Server;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka broker in KRaft mode (combined broker and controller), running
 * inside this JVM: the storage is formatted with Kafka's own {@code kafka-storage format} tool,
 * then a {@code kafka.server.KafkaRaftServer} is started on free loopback ports. For tests and the demo only:
 * replication factor 1, no authentication, and automatic topic creation is off so that whatever
 * creates topics (the Kafka transport) is really exercised.
 *
 * <p>Kafka logs through SLF4J; the loggers {@code kafka}, {@code org.apache.kafka} and
 * {@code state.change.logger} are chatty at INFO: set them to WARN in the host's logging
 * configuration (the test {@code logback-test.xml} files do).
 */
public final class KafkaServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KafkaServer.class);
  private static KafkaServer shared;

  private final Server server;
  private final String bootstrapServers;
  private final Path logDir;
  private final boolean deleteOnClose;
  private final int extraPort;
  private boolean closed;

  private KafkaServer(Server server, String bootstrapServers, Path logDir, boolean deleteOnClose, int extraPort) {
    this.server = server;
    this.extraPort = extraPort;
    this.bootstrapServers = bootstrapServers;
    this.logDir = logDir;
    this.deleteOnClose = deleteOnClose;
  }

  /** The broker every test in this JVM shares: started on first use, stopped when the JVM exits. */
  public static synchronized KafkaServer shared() {
    if (shared == null) {
      shared = start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "kafka-server-shutdown"));
    }
    return shared;
  }

  /** Starts a new broker in a fresh temporary directory, deleted again on {@link #close()}. */
  public static KafkaServer start() {
    return start(Map.of(), null);
  }

  /**
   * Starts a new broker.
   *
   * @param overrides broker properties that replace the defaults chosen here (e.g.
   *     {@code auto.create.topics.enable=true}); listeners and directories are set by this class
   * @param logDirectory where the log segments and metadata live (kept after close, and reused if
   *     already formatted), or null for a fresh temporary directory deleted on close
   */
  public static KafkaServer start(Map<String, String> overrides, Path logDirectory) {
    return start(overrides, logDirectory, null);
  }

  /**
   * A second PLAINTEXT listener of the broker, for clients that must reach it by another path than
   * the loopback one (e.g. through a delaying proxy, or from a network namespace): the broker binds
   * {@code bindHost:bindPort} and tells the clients that bootstrap through it to connect to
   * {@code advertisedHost:advertisedPort}, so that every later connection also takes that path.
   *
   * @param name the listener's name, upper case (e.g. {@code REMOTE}); not PLAINTEXT or CONTROLLER
   * @param bindPort 0 for a free loopback port (only with bind host 127.0.0.1)
   */
  public record ExtraListener(String name, String bindHost, int bindPort, String advertisedHost, int advertisedPort) {
    public ExtraListener {
      if (name == null || !name.matches("[A-Z][A-Z0-9_]*") || name.equals("PLAINTEXT") || name.equals("CONTROLLER")) {
        throw new IllegalArgumentException("extra Kafka listener name '" + name
            + "': use upper-case letters, digits and _, other than PLAINTEXT and CONTROLLER");
      }
    }
  }

  /**
   * Starts a new broker with a second listener besides the loopback one ({@link #extraListenerPort()}
   * is the port it binds).
   *
   * @param extra the second listener, or null for none
   */
  public static KafkaServer start(Map<String, String> overrides, Path logDirectory, ExtraListener extra) {
    long t0 = System.nanoTime();
    boolean temporary = logDirectory == null;
    try {
      Path dir = temporary ? Files.createTempDirectory("syncline-kafka-") : Files.createDirectories(logDirectory);
      int brokerPort = freePort();
      int controllerPort = freePort();
      Properties props = new Properties();
      props.putAll(defaults(dir, brokerPort, controllerPort));
      props.putAll(overrides);
      props.put("log.dirs", dir.toAbsolutePath().toString());
      int extraPort = -1;
      if (extra != null) {
        extraPort = extra.bindPort() == 0 ? freePort() : extra.bindPort();
        props.put("listeners", props.getProperty("listeners") + "," + extra.name() + "://" + extra.bindHost() + ":" + extraPort);
        props.put("advertised.listeners", props.getProperty("advertised.listeners") + "," + extra.name() + "://"
            + extra.advertisedHost() + ":" + (extra.advertisedPort() == 0 ? extraPort : extra.advertisedPort()));
        props.put("listener.security.protocol.map", props.getProperty("listener.security.protocol.map") + ","
            + extra.name() + ":PLAINTEXT");
      }

      format(dir, props);
      Server server = newRaftServer(props);
      try {
        server.startup(); // returns once the broker is registered and unfenced
      } catch (RuntimeException e) {
        server.shutdown();
        throw e;
      }
      String bootstrap = "127.0.0.1:" + brokerPort;
      log.info("Kafka broker (KRaft) started on {} in {} ms, log dir {}", bootstrap,
          (System.nanoTime() - t0) / 1_000_000, dir);
      if (extra != null) {
        log.info("Kafka broker listener {} on {}:{}, advertised as {}:{}", extra.name(), extra.bindHost(), extraPort,
            extra.advertisedHost(), extra.advertisedPort() == 0 ? extraPort : extra.advertisedPort());
      }
      return new KafkaServer(server, bootstrap, dir, temporary, extraPort);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the embedded Kafka broker", e);
    }
  }

  /**
   * {@code new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM)}, called through
   * reflection: {@code KafkaConfig} extends {@code AbstractKafkaConfig} from {@code kafka-server},
   * which {@code kafka_2.13}'s POM puts on the runtime class path only, so Java code cannot name
   * it at compile time. (Declaring {@code org.apache.kafka:kafka-server} with compile scope in this
   * module's POM would allow the direct call.)
   */
  private static Server newRaftServer(Properties props) {
    try {
      Class<?> configClass = Class.forName("kafka.server.KafkaConfig");
      Object config = configClass.getMethod("fromProps", Properties.class, boolean.class).invoke(null, props, false);
      return (Server) Class.forName("kafka.server.KafkaRaftServer")
          .getConstructor(configClass, Time.class)
          .newInstance(config, Time.SYSTEM);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException r ? r
          : new IllegalStateException("invalid embedded Kafka configuration: " + cause, cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("kafka_2.13 on the class path does not have the 3.9 KafkaRaftServer API", e);
    }
  }

  private static Map<String, String> defaults(Path dir, int brokerPort, int controllerPort) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("num.partitions", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("auto.create.topics.enable", "false");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // the broker is unfenced on its first heartbeat after catching up: beat often so start-up is quick
    p.put("broker.heartbeat.interval.ms", "200");
    p.put("log.dirs", dir.toAbsolutePath().toString());
    return p;
  }

  /**
   * Runs {@code kafka-storage format --ignore-formatted} on the directory (what the shell script
   * does). A directory formatted before keeps its cluster id: the broker refuses to start when the
   * id it is given differs from the one in {@code meta.properties}, so a broker restarted on its
   * own directory (the fault tests stop and start it) must be given that one.
   */
  private static void format(Path dir, Properties props) throws IOException {
    Path propertiesFile = dir.resolve("server.properties");
    try (OutputStream out = Files.newOutputStream(propertiesFile)) {
      props.store(out, "written by Syncline's embedded Kafka broker");
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int rc;
    try (PrintStream ps = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      rc = StorageTool.execute(new String[] {
          "format", "--config", propertiesFile.toString(),
          "--cluster-id", clusterId(dir), "--ignore-formatted"}, ps);
    }
    if (rc != 0) {
      throw new IllegalStateException("formatting the Kafka log directory " + dir + " failed (exit " + rc + "): "
          + output.toString(StandardCharsets.UTF_8).trim());
    }
  }

  /** The cluster id of a directory formatted before ({@code meta.properties}), else a new one. */
  private static String clusterId(Path dir) throws IOException {
    Path meta = dir.resolve("meta.properties");
    if (Files.exists(meta)) {
      Properties p = new Properties();
      try (var in = Files.newInputStream(meta)) {
        p.load(in);
      }
      String id = p.getProperty("cluster.id");
      if (id != null && !id.isBlank()) {
        return id.trim();
      }
    }
    return Uuid.randomUuid().toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  /** {@code host:port} of the PLAINTEXT listener, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The port the {@link ExtraListener} binds, or -1 when the broker has none. */
  public int extraListenerPort() {
    return extraPort;
  }

  /** The broker's log directory. */
  public Path logDirectory() {
    return logDir;
  }

  /** Stops the broker and waits for it; deletes the log directory if it was a temporary one. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long t0 = System.nanoTime();
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      log.warn("embedded Kafka broker did not stop cleanly: {}", e.toString());
    }
    if (deleteOnClose) {
      deleteRecursively(logDir);
    }
    log.info("Kafka broker on {} stopped in {} ms", bootstrapServers, (System.nanoTime() - t0) / 1_000_000);
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log.warn("could not delete the Kafka log directory {}: {}", dir, e.toString());
    }
  }
}
