package io.syncline.streams.transport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.syncline.streams.event.TableRef;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default transport, with no Kafka: one file per table,
 * {@code <directory>/<source>.<schema>.<table>.jsonl}, one envelope JSON per line, appended.
 * A batch's pass-through comes out once its lines are written to every file it touches (and the
 * files are {@code fsync}ed when {@link Settings#fsync()} is set), in batch order.
 *
 * <p>All file I/O runs on Pekko's blocking I/O dispatcher
 * ({@value #BLOCKING_IO_DISPATCHER}), never on the default dispatcher. Files are opened once (in
 * {@link #prepare} or on a table's first record) and kept open until {@link #close()}.
 */
public final class JsonLinesTransport implements Transport {

  /** The dispatcher every file operation runs on. */
  public static final String BLOCKING_IO_DISPATCHER = "pekko.stream.materializer.blocking-io-dispatcher";

  private static final Logger log = LoggerFactory.getLogger(JsonLinesTransport.class);
  private static final byte[] KEY_PREFIX = "{\"key\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] VALUE_PREFIX = ",\"value\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

  /**
   * Settings of the JSON-lines transport, read from {@code syncline.transport.jsonl}.
   *
   * @param directory where the files are written (created if missing) ({@code directory})
   * @param fsync force each touched file to disk before a batch is acknowledged ({@code fsync})
   * @param keys write {@code {"key":…,"value":…}} lines instead of the bare envelope ({@code keys})
   */
  public record Settings(Path directory, boolean fsync, boolean keys) {

    /** Where these settings live in the application configuration. */
    public static final String CONFIG_PATH = "syncline.transport.jsonl";

    public Settings {
      if (directory == null || directory.toString().isBlank()) {
        throw new IllegalArgumentException("JSON-lines transport setting '" + CONFIG_PATH
            + ".directory' is required: the directory the .jsonl files go to");
      }
    }

    /** Reads {@code syncline.transport.jsonl}; missing keys take the defaults of {@code reference.conf}. */
    public static Settings create(Config jsonl) {
      Config c = jsonl.withFallback(ConfigFactory.defaultReference().getConfig(CONFIG_PATH));
      try {
        return new Settings(Path.of(c.getString("directory")), c.getBoolean("fsync"), c.getBoolean("keys"));
      } catch (ConfigException e) {
        throw new IllegalArgumentException("JSON-lines transport configuration (" + CONFIG_PATH + "): "
            + e.getMessage(), e);
      }
    }
  }

  private final Settings settings;
  private final Executor blockingIo;
  /** Open files by table. One materialization at a time writes, prepare() may open concurrently. */
  private final ConcurrentMap<TableRef, FileChannel> files = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private JsonLinesTransport(Settings settings, Executor blockingIo) {
    this.settings = settings;
    this.blockingIo = blockingIo;
  }

  /**
   * Creates the transport; nothing is opened yet.
   *
   * @param system whose {@value #BLOCKING_IO_DISPATCHER} runs the file I/O ({@code prepare} included)
   */
  public static JsonLinesTransport create(ClassicActorSystemProvider system, Settings settings) {
    Executor io = system.classicSystem().dispatchers().lookup(BLOCKING_IO_DISPATCHER);
    return new JsonLinesTransport(settings, io);
  }

  /** The settings this transport runs with. */
  public Settings settings() {
    return settings;
  }

  /** The file a table's lines go to. */
  public Path fileOf(TableRef table) {
    String name = table.source() + "." + table.schema() + "." + table.table() + ".jsonl";
    return settings.directory().resolve(name.replaceAll("[/\\\\\\x00]", "_"));
  }

  /** Creates the directory and opens (creates) the files of these tables, on the blocking I/O dispatcher. */
  @Override
  public CompletionStage<Done> prepare(Collection<TableRef> tables) {
    return CompletableFuture.supplyAsync(() -> {
      tables.forEach(this::channel);
      return Done.getInstance();
    }, blockingIo);
  }

  @Override
  public <P> Flow<Outgoing<P>, P, NotUsed> flow() {
    // the dispatcher attribute also makes this stage its own asynchronous island
    return Flow.<Outgoing<P>>create()
        .map(this::write)
        .addAttributes(ActorAttributes.dispatcher(BLOCKING_IO_DISPATCHER));
  }

  /** Appends a batch to its files (one write per file), forces them if asked; returns the pass-through. */
  private <P> P write(Outgoing<P> batch) throws IOException {
    if (batch.records().isEmpty()) {
      return batch.passThrough();
    }
    Map<TableRef, ByteArrayOutputStream> perTable = new LinkedHashMap<>();
    for (OutRecord r : batch.records()) {
      ByteArrayOutputStream out = perTable.computeIfAbsent(r.table(), t -> new ByteArrayOutputStream(8192));
      if (settings.keys()) {
        out.write(KEY_PREFIX);
        out.write(r.key() == null ? NULL : oneLine(r.key()));
        out.write(VALUE_PREFIX);
        out.write(oneLine(r.value()));
        out.write('}');
      } else {
        out.write(oneLine(r.value()));
      }
      out.write('\n');
    }
    for (Map.Entry<TableRef, ByteArrayOutputStream> e : perTable.entrySet()) {
      FileChannel ch = channel(e.getKey());
      ByteBuffer buf = ByteBuffer.wrap(e.getValue().toByteArray());
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
    if (settings.fsync()) {
      for (TableRef t : perTable.keySet()) {
        files.get(t).force(false);
      }
    }
    return batch.passThrough();
  }

  /**
   * Compact JSON has no line breaks; pretty-printed JSON has them only between tokens (a raw line
   * break inside a JSON string is invalid), where a space means the same.
   */
  private static byte[] oneLine(byte[] json) {
    for (int i = 0; i < json.length; i++) {
      if (json[i] == '\n' || json[i] == '\r') {
        byte[] copy = json.clone();
        for (int j = i; j < copy.length; j++) {
          if (copy[j] == '\n' || copy[j] == '\r') {
            copy[j] = ' ';
          }
        }
        return copy;
      }
    }
    return json;
  }

  private FileChannel channel(TableRef table) {
    if (closed) {
      throw new IllegalStateException("JSON-lines transport is closed: no more writes to " + fileOf(table));
    }
    return files.computeIfAbsent(table, t -> {
      Path file = fileOf(t);
      try {
        Files.createDirectories(settings.directory());
        TornTail.dropTornLastLine(file); // a torn line was never acknowledged: it comes again
        FileChannel ch = FileChannel.open(file,
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        log.debug("opened {}", file);
        return ch;
      } catch (IOException e) {
        throw new UncheckedIOException("could not open " + file.toAbsolutePath() + " for appending (setting '"
            + Settings.CONFIG_PATH + ".directory' = " + settings.directory() + "): " + e.getMessage(), e);
      }
    });
  }

  @Override
  public String name() {
    return "jsonl";
  }

  /** Closes every file (forcing it to disk first when {@code fsync} is set). */
  @Override
  public void close() {
    closed = true;
    for (Map.Entry<TableRef, FileChannel> e : files.entrySet()) {
      try {
        if (settings.fsync() && e.getValue().isOpen()) {
          e.getValue().force(false);
        }
        e.getValue().close();
      } catch (IOException ex) {
        log.warn("could not close {}: {}", fileOf(e.getKey()), ex.toString());
      }
    }
    files.clear();
  }
}
