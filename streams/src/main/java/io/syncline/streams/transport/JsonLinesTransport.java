package io.syncline.streams.transport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.syncline.streams.event.TableRef;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
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
 * A batch's pass-through comes out once its lines are written to every file it touches and, by
 * default ({@link Settings#fsync()}), forced to disk, in batch order: a position acknowledged to the
 * source is never lost by an OS crash or power loss. With {@code fsync = false} (the fast mode) a
 * batch is acknowledged once the OS has it: a process crash loses nothing, an OS crash may lose the
 * last seconds of lines whose positions the source has already moved past.
 *
 * <p>A line is whole or absent ({@link AppendOnlyFile}): a torn last line is cut when a file is
 * opened and again whenever a capture stream (re)starts ({@link #prepare}), and a batch whose
 * write or fsync failed is cut off every file it touched before the failure goes up, so the batch
 * written again after the restart never lands on a fragment. Files are created owner-only
 * ({@code 0600}), the directory too ({@code 0700}) when the transport creates it.
 *
 * <p>All file I/O runs on Pekko's blocking I/O dispatcher ({@value #BLOCKING_IO_DISPATCHER}), never
 * on the default dispatcher. Files are opened once (in {@link #prepare} or on a table's first
 * record) and kept open until {@link #close()}.
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
   * @param directory where the files are written (created owner-only if missing) ({@code directory})
   * @param fsync force each touched file to disk before a batch is acknowledged ({@code fsync}, default true)
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

  /** Opens a table's file (tests wrap the channel to make writes fail). */
  @FunctionalInterface
  interface Opener {
    AppendOnlyFile open(Path file) throws IOException;
  }

  /** A file a batch wrote to, and its length before: where a failed batch is cut back to. */
  private record Touched(TableRef table, AppendOnlyFile file, long lengthBefore) {}

  private final Settings settings;
  private final Executor blockingIo;
  private final Opener opener;
  /** Open files by table. One materialization per source writes, prepare() may open concurrently. */
  private final ConcurrentMap<TableRef, AppendOnlyFile> files = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private JsonLinesTransport(Settings settings, Executor blockingIo, Opener opener) {
    this.settings = settings;
    this.blockingIo = blockingIo;
    this.opener = opener;
  }

  /**
   * Creates the transport; nothing is opened yet.
   *
   * @param system whose {@value #BLOCKING_IO_DISPATCHER} runs the file I/O ({@code prepare} included)
   * @throws IllegalArgumentException when {@code directory} exists but is not a directory
   */
  public static JsonLinesTransport create(ClassicActorSystemProvider system, Settings settings) {
    return create(system, settings, AppendOnlyFile::open);
  }

  static JsonLinesTransport create(ClassicActorSystemProvider system, Settings settings, Opener opener) {
    Path dir = settings.directory();
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw notADirectory(dir);
    }
    Executor io = system.classicSystem().dispatchers().lookup(BLOCKING_IO_DISPATCHER);
    if (!settings.fsync()) {
      log.info("JSON-lines transport: {} with fsync = false: an OS crash or power loss may lose lines already "
          + "acknowledged to the source", dir.toAbsolutePath());
    }
    return new JsonLinesTransport(settings, io, opener);
  }

  private static IllegalArgumentException notADirectory(Path dir) {
    return new IllegalArgumentException("JSON-lines transport setting '" + Settings.CONFIG_PATH + ".directory' is "
        + dir.toAbsolutePath() + ", which exists but is a file, not a directory. Fix: set "
        + Settings.CONFIG_PATH + ".directory to a directory (it is created if missing), or move the file away");
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

  /**
   * Creates the directory and opens (creates) the files of these tables, on the blocking I/O
   * dispatcher. Called before every (re)start of a capture stream: a file already open gets its
   * torn last line cut, if it has one.
   */
  @Override
  public CompletionStage<Done> prepare(Collection<TableRef> tables) {
    return CompletableFuture.supplyAsync(() -> {
      for (TableRef t : tables) {
        AppendOnlyFile open = files.get(t);
        if (open == null) {
          file(t);
        } else {
          try {
            open.repairTail();
          } catch (IOException e) {
            forget(t, open);
            throw new UncheckedIOException(problem("could not check the end of", open.path(), e), e);
          }
        }
      }
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

  /**
   * Appends a batch to its files (one write per file), forces them unless in fast mode; returns the
   * pass-through. On any failure every file the batch touched is cut back to its length before.
   */
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
    List<Touched> touched = new ArrayList<>(perTable.size());
    Path failing = null;
    try {
      for (Map.Entry<TableRef, ByteArrayOutputStream> e : perTable.entrySet()) {
        AppendOnlyFile f = file(e.getKey()); // fails naming the file and the setting
        touched.add(new Touched(e.getKey(), f, f.length()));
        failing = f.path();
        f.write(ByteBuffer.wrap(e.getValue().toByteArray()));
      }
      if (settings.fsync()) {
        for (Touched t : touched) {
          failing = t.file().path();
          t.file().force();
        }
      }
    } catch (IOException e) {
      undo(touched);
      throw new UncheckedIOException(problem("could not write a batch of " + batch.records().size() + " lines to",
          failing, e), e);
    } catch (RuntimeException e) {
      undo(touched);
      throw e;
    }
    return batch.passThrough();
  }

  /**
   * Cuts each file a failed batch touched back to its length before the batch, so that the batch
   * written again after the restart does not land on a fragment. A file that cannot be cut is
   * closed and forgotten: opening it again cuts its torn tail (or fails, naming the file).
   */
  private void undo(List<Touched> touched) {
    for (Touched t : touched) {
      try {
        t.file().truncate(t.lengthBefore());
      } catch (IOException | RuntimeException e) {
        log.warn("{}: could not cut an unacknowledged batch off the end ({}); the file is reopened, which cuts a "
            + "torn last line, before the next write", t.file().path(), e.toString());
        forget(t.table(), t.file());
      }
    }
  }

  private void forget(TableRef table, AppendOnlyFile file) {
    files.remove(table, file);
    try {
      file.close();
    } catch (IOException e) {
      log.debug("closing {} after a failure: {}", file.path(), e.toString());
    }
  }

  private String problem(String what, Path file, IOException e) {
    String reason = e.getMessage() == null ? e.toString() : e.getMessage();
    return what + " " + file.toAbsolutePath() + " (setting '" + Settings.CONFIG_PATH + ".directory' = "
        + settings.directory() + "): " + reason + "; the batch is not acknowledged and is written again after the"
        + " capture restarts";
  }

  /**
   * Compact JSON has no line breaks; pretty-printed JSON has them only between tokens (a raw line
   * break inside a JSON string is invalid), where a space means the same.
   */
  static byte[] oneLine(byte[] json) {
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

  private AppendOnlyFile file(TableRef table) {
    if (closed) {
      throw new IllegalStateException("JSON-lines transport is closed: no more writes to " + fileOf(table));
    }
    return files.computeIfAbsent(table, t -> {
      Path file = fileOf(t);
      try {
        AppendOnlyFile.createDirectories(settings.directory());
      } catch (FileAlreadyExistsException e) {
        throw notADirectory(settings.directory());
      } catch (IOException e) {
        throw new UncheckedIOException("could not create the directory " + settings.directory().toAbsolutePath()
            + " (setting '" + Settings.CONFIG_PATH + ".directory'): " + reason(e) + ". Fix: point "
            + Settings.CONFIG_PATH + ".directory at a directory this process may create and write", e);
      }
      try {
        AppendOnlyFile f = opener.open(file);
        log.debug("opened {}", file);
        return f;
      } catch (IOException e) {
        throw new UncheckedIOException("could not open " + file.toAbsolutePath() + " for appending (setting '"
            + Settings.CONFIG_PATH + ".directory' = " + settings.directory() + "): " + reason(e), e);
      }
    });
  }

  private static String reason(IOException e) {
    if (e instanceof FileSystemException fs && fs.getReason() != null) {
      return fs.getReason() + " (" + fs.getFile() + ")";
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  @Override
  public String name() {
    return "jsonl";
  }

  /** Closes every file, forcing it to disk first (in the fast mode too: a clean stop loses nothing). */
  @Override
  public void close() {
    closed = true;
    for (Map.Entry<TableRef, AppendOnlyFile> e : files.entrySet()) {
      try {
        if (e.getValue().isOpen()) {
          e.getValue().force();
        }
        e.getValue().close();
      } catch (IOException ex) {
        log.warn("could not close {}: {}", fileOf(e.getKey()), ex.toString());
      }
    }
    files.clear();
  }
}
