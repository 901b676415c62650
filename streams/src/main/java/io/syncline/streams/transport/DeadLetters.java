package io.syncline.streams.transport;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.syncline.streams.event.TableRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a sink does with a record it refuses for good (a record larger than Kafka's limit, an
 * event too large for any SQS message): stop with a {@link io.syncline.streams.capture.Failures.Permanent} error
 * ({@link OnRefused#FAIL}, the default), or set it aside as a dead letter and go on
 * ({@link OnRefused#DEAD_LETTER}): into a file (the whole record) and/or a Kafka topic (what it
 * was and why, not its value, which is what was too large). Never retried: retrying a record that
 * can never be delivered only holds the source (a PostgreSQL slot's WAL) until the disk fills.
 */
public final class DeadLetters {

  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
  private static final JsonFactory JSON = new JsonFactory();
  /** The file dead letters are appended to, in {@link Settings#directory()}. */
  public static final String FILE_NAME = "dead-letters.jsonl";

  /** What a sink does with a record it refuses for good. */
  public enum OnRefused {
    /** Stop the source with an error naming the table, the position, the size, the limit and the fix. */
    FAIL,
    /** Put it in the dead-letter destinations, with the reason and the source position, and go on. */
    DEAD_LETTER
  }

  /**
   * Settings read from {@code syncline.transport.dead-letter}.
   *
   * @param onRefused {@code fail} or {@code dead-letter} ({@code on-refused-record})
   * @param directory where {@value #FILE_NAME} goes (whole records); null: no dead-letter file ({@code directory})
   * @param topic the dead-letter Kafka topic (reason, table, key, position, size; not the value); empty: none ({@code topic})
   */
  public record Settings(OnRefused onRefused, Path directory, String topic) {

    /** Where these settings live in the application configuration. */
    public static final String CONFIG_PATH = "syncline.transport.dead-letter";

    /** Refused records stop the source (the default). */
    public static final Settings FAIL = new Settings(OnRefused.FAIL, null, "");

    public Settings {
      topic = topic == null ? "" : topic.trim();
      if (onRefused == OnRefused.DEAD_LETTER && directory == null && topic.isEmpty()) {
        throw new IllegalArgumentException("'" + CONFIG_PATH + ".on-refused-record' = dead-letter needs a destination: set "
            + CONFIG_PATH + ".directory (whole records in a file) and/or " + CONFIG_PATH + ".topic (a Kafka topic)");
      }
    }

    /** Reads {@code syncline.transport.dead-letter}; missing keys take the defaults of {@code reference.conf}. */
    public static Settings create(Config deadLetter) {
      Config c = deadLetter.withFallback(ConfigFactory.defaultReference().getConfig(CONFIG_PATH));
      try {
        String mode = c.getString("on-refused-record").trim().toLowerCase(Locale.ROOT);
        OnRefused onRefused = switch (mode) {
          case "fail" -> OnRefused.FAIL;
          case "dead-letter" -> OnRefused.DEAD_LETTER;
          default -> throw new IllegalArgumentException("'" + CONFIG_PATH + ".on-refused-record' is '" + mode
              + "': use fail or dead-letter");
        };
        String dir = c.getString("directory").trim();
        return new Settings(onRefused, dir.isEmpty() ? null : Path.of(dir), c.getString("topic"));
      } catch (ConfigException e) {
        throw new IllegalArgumentException("dead-letter configuration (" + CONFIG_PATH + "): " + e.getMessage(), e);
      }
    }

    /** Whether refused records are set aside rather than stopping the source. */
    public boolean deadLetter() {
      return onRefused == OnRefused.DEAD_LETTER;
    }

    @Override
    public String toString() {
      if (!deadLetter()) {
        return "fail (stop the source)";
      }
      return "dead-letter to" + (directory == null ? "" : " " + directory.resolve(FILE_NAME))
          + (directory != null && !topic.isEmpty() ? " and" : "") + (topic.isEmpty() ? "" : " topic " + topic);
    }
  }

  /**
   * A record a sink refused for good.
   *
   * @param record the record
   * @param sink the sink's name ({@code kafka})
   * @param destination where it was going (the topic)
   * @param reason why it was refused, with the limit it broke
   */
  public record Refused(OutRecord record, String sink, String destination, String reason) {}

  private final Settings settings;
  private final Executor blockingIo;
  private AppendOnlyFile file;

  /** @param blockingIo where the dead-letter file is written (the writes block) */
  public DeadLetters(Settings settings, Executor blockingIo) {
    this.settings = settings;
    this.blockingIo = blockingIo;
  }

  public Settings settings() {
    return settings;
  }

  /** The dead-letter file, or null when there is none. */
  public Path file() {
    return settings.directory() == null ? null : settings.directory().resolve(FILE_NAME);
  }

  /**
   * Appends these dead letters to the dead-letter file and forces it to disk (completes at once
   * when there is no file). On failure nothing of them stays in the file, and the caller must not
   * acknowledge their batch.
   */
  public CompletionStage<Void> writeFile(List<Refused> refused) {
    if (settings.directory() == null || refused.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.runAsync(() -> {
      synchronized (this) {
        long before = -1;
        try {
          if (file == null) {
            AppendOnlyFile.createDirectories(settings.directory());
            file = AppendOnlyFile.open(file());
          }
          ByteArrayBuilder lines = new ByteArrayBuilder(4096);
          for (Refused r : refused) {
            lines.write(entry(r, true));
            lines.append('\n');
          }
          before = file.length();
          file.write(ByteBuffer.wrap(lines.toByteArray()));
          file.force();
        } catch (IOException e) {
          undo(before);
          throw new UncheckedIOException("could not write " + refused.size() + " dead letter(s) to " + file()
              + " (setting '" + Settings.CONFIG_PATH + ".directory'): " + e.getMessage(), e);
        }
        for (Refused r : refused) {
          log.warn("dead letter: a record of {} at source position {} ({} bytes) refused by {} ({}), written to {}",
              display(r.record().table()), position(r.record()), r.record().size(), r.sink(), r.reason(), file());
        }
      }
    }, blockingIo);
  }

  private void undo(long before) {
    if (file == null || before < 0) {
      return;
    }
    try {
      file.truncate(before);
    } catch (IOException e) {
      try {
        file.close(); // opened again (its torn tail cut) by the next write
      } catch (IOException ignored) {
        // closing a failed file
      }
      file = null;
    }
  }

  /**
   * One dead letter as a JSON object: {@code reason}, {@code sink}, {@code destination},
   * {@code source}, {@code database}, {@code schema}, {@code table}, {@code position} (the source
   * position, as the logs show it), {@code key} (the message key JSON), {@code size} (bytes of key
   * and value), {@code ts_ms} (when it was refused), and {@code value} (the envelope JSON) when
   * {@code withValue}, else {@code "value_omitted": true}.
   */
  public static byte[] entry(Refused r, boolean withValue) {
    OutRecord rec = r.record();
    TableRef t = rec.table();
    ByteArrayBuilder out = new ByteArrayBuilder(withValue ? rec.value().length + 512 : 512);
    try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("reason", r.reason());
      g.writeStringField("sink", r.sink());
      g.writeStringField("destination", r.destination());
      g.writeStringField("source", t.source());
      g.writeStringField("database", t.database());
      g.writeStringField("schema", t.schema());
      g.writeStringField("table", t.table());
      g.writeStringField("position", position(rec));
      g.writeFieldName("key");
      if (rec.key() == null) {
        g.writeNull();
      } else {
        g.writeRawValue(new String(rec.key(), java.nio.charset.StandardCharsets.UTF_8));
      }
      g.writeNumberField("size", rec.size());
      g.writeNumberField("ts_ms", System.currentTimeMillis());
      if (withValue) {
        g.writeFieldName("value");
        g.writeRawValue(new String(rec.value(), java.nio.charset.StandardCharsets.UTF_8));
      } else {
        g.writeBooleanField("value_omitted", true);
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static String position(OutRecord r) {
    return r.position() == null ? "(none)" : r.position().display();
  }

  static String display(TableRef t) {
    return t.source() + "." + t.schema() + "." + t.table();
  }

  /** Closes the dead-letter file. */
  public synchronized void close() {
    if (file != null) {
      try {
        file.close();
      } catch (IOException e) {
        log.warn("could not close {}: {}", file(), e.toString());
      }
      file = null;
    }
  }
}
