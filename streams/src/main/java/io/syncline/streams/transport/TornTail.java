package io.syncline.streams.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repairs an append-only record file after the writing process was killed mid-write: the bytes
 * after the last complete record are cut off. Nothing in them was acknowledged (a writer
 * acknowledges, or commits its input position, only after the write returned and was forced to
 * disk), so they will be delivered again; keeping them would glue the next record to a fragment.
 *
 * <p>Two record formats: lines ({@link #dropTornLastLine}: JSON lines, where a line break never
 * occurs inside a record) and RFC 4180 CSV ({@link #dropTornLastCsvRecord}: a quoted cell may hold
 * line breaks, so only a line break outside quotes ends a record).
 */
public final class TornTail {

  private static final Logger log = LoggerFactory.getLogger(TornTail.class);
  private static final int CHUNK = 64 * 1024;

  private TornTail() {}

  /**
   * Cuts everything after the last {@code '\n'} (the whole file when it has none).
   *
   * @return how many bytes were dropped (0 when the file is missing, empty or ends with a line break)
   */
  public static long dropTornLastLine(Path file) throws IOException {
    if (!Files.exists(file)) {
      return 0;
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      return dropTornLastLine(ch, file);
    }
  }

  /**
   * The same on an open channel (readable and writable), for a file a writer keeps open: cuts
   * everything after the last {@code '\n'}, and forces the cut to disk.
   *
   * @param file the channel's file, for the log line
   * @return how many bytes were dropped
   */
  public static long dropTornLastLine(FileChannel ch, Path file) throws IOException {
    long size = ch.size();
    if (size == 0) {
      return 0;
    }
    ByteBuffer one = ByteBuffer.allocate(1);
    long pos = size - 1;
    ch.read(one, pos);
    if (one.get(0) == '\n') {
      return 0;
    }
    ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
    long keep = 0;
    search:
    while (pos > 0) {
      long start = Math.max(0, pos - chunk.capacity());
      chunk.clear().limit((int) (pos - start));
      ch.read(chunk, start);
      for (int i = chunk.position() - 1; i >= 0; i--) {
        if (chunk.get(i) == '\n') {
          keep = start + i + 1;
          break search;
        }
      }
      pos = start;
    }
    return cut(ch, file, size, keep, "line");
  }

  /**
   * Cuts everything after the last {@code '\n'} that lies outside a quoted cell. In RFC 4180 a
   * quote inside a quoted cell is doubled, so the count of {@code '"'} bytes before a position tells
   * whether it is inside quotes: the file is read forward once (about a second per GB).
   *
   * @return how many bytes were dropped (0 when the file is missing, empty or ends with a complete record)
   */
  public static long dropTornLastCsvRecord(Path file) throws IOException {
    if (!Files.exists(file)) {
      return 0;
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
      boolean quoted = false;
      long keep = 0;
      long base = 0;
      while (base < size) {
        chunk.clear();
        int n = ch.read(chunk, base);
        if (n <= 0) {
          break;
        }
        for (int i = 0; i < n; i++) {
          byte b = chunk.get(i);
          if (b == '"') {
            quoted = !quoted;
          } else if (b == '\n' && !quoted) {
            keep = base + i + 1;
          }
        }
        base += n;
      }
      return cut(ch, file, size, keep, "CSV record");
    }
  }

  private static long cut(FileChannel ch, Path file, long size, long keep, String what) throws IOException {
    if (keep == size) {
      return 0;
    }
    log.warn("{}: dropping a torn last {} ({} bytes) left by an interrupted write; it will be delivered again",
        file, what, size - keep);
    ch.truncate(keep);
    ch.force(true);
    return size - keep;
  }
}
