package io.syncline.streams.transport;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One append-only file of JSON lines that a sink keeps open (a table's output, the dead-letter
 * file), written so that a line is either whole or absent:
 *
 * <ul>
 *   <li>{@link #open} cuts a torn last line (the writer was killed mid-write) before anything is
 *       appended, and {@link #repairTail()} does the same on the open file (a stream restarting on it);
 *   <li>a write that failed is undone with {@link #truncate} to the length before it, so the next
 *       write never appends to a fragment; a caller that cannot truncate must close the file and
 *       open it again (which cuts the torn tail);
 *   <li>a new file is created owner-only ({@code 0600}) and its directory entry forced to disk,
 *       and {@link #createDirectories} creates missing directories owner-only ({@code 0700}) and
 *       forces their entries: a forced file is found again after an OS crash.
 * </ul>
 *
 * <p>Writes go at the end of the file as this writer knows it (no {@code O_APPEND}: the file is
 * also read, to check its tail). One writer per file; not thread-safe.
 */
final class AppendOnlyFile implements Closeable {

  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIRECTORY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private final Path file;
  private final FileChannel channel;
  /** Bytes in the file as far as this writer knows: where the next write goes. */
  private long length;

  /** Over an open channel positioned at its end (tests wrap the channel to fail writes). */
  AppendOnlyFile(Path file, FileChannel channel) throws IOException {
    this.file = file;
    this.channel = channel;
    this.length = channel.size();
    channel.position(length);
  }

  /**
   * Opens a file for appending: creates it owner-only (and forces its directory entry) when it does
   * not exist, else cuts its torn last line. The directory must exist.
   */
  static AppendOnlyFile open(Path file) throws IOException {
    FileChannel ch;
    boolean created;
    try {
      ch = posix(file)
          ? FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
              StandardOpenOption.WRITE), OWNER_ONLY_FILE)
          : FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
      created = true;
    } catch (FileAlreadyExistsException e) {
      ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      created = false;
    }
    try {
      if (created) {
        forceDirectory(file.toAbsolutePath().getParent());
      } else {
        TornTail.dropTornLastLine(ch, file); // a torn line was never acknowledged: it comes again
      }
      return new AppendOnlyFile(file, ch);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * Creates {@code dir} and its missing parents owner-only ({@code 0700}) and forces each new entry
   * to disk; an existing directory is left as it is.
   *
   * @throws java.nio.file.FileAlreadyExistsException when {@code dir} exists but is not a directory
   */
  static void createDirectories(Path dir) throws IOException {
    Path absolute = dir.toAbsolutePath();
    if (Files.isDirectory(absolute)) {
      return;
    }
    List<Path> missing = new ArrayList<>();
    for (Path p = absolute; p != null && !Files.exists(p); p = p.getParent()) {
      missing.add(p);
    }
    if (posix(absolute)) {
      Files.createDirectories(absolute, OWNER_ONLY_DIRECTORY);
    } else {
      Files.createDirectories(absolute);
    }
    for (Path created : missing) {
      forceDirectory(created.getParent());
    }
  }

  private static boolean posix(Path p) {
    return p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** fsync of a directory: its entries (a new file or directory in it) survive an OS crash. */
  private static void forceDirectory(Path dir) throws IOException {
    if (dir == null) {
      return;
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  Path path() {
    return file;
  }

  /** Bytes in the file: where the next write goes, and what {@link #truncate} goes back to. */
  long length() {
    return length;
  }

  /** Appends every remaining byte of {@code bytes}; on failure part of them may be in the file (see {@link #truncate}). */
  void write(ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      length += channel.write(bytes);
    }
  }

  /** Forces the written data to disk ({@code fdatasync}). */
  void force() throws IOException {
    channel.force(false);
  }

  /** Cuts the file back to {@code size} bytes (undoing writes that failed) and forces the cut to disk. */
  void truncate(long size) throws IOException {
    channel.truncate(size);
    channel.position(size);
    channel.force(true);
    length = size;
  }

  /** Cuts a torn last line of the open file, if any; returns the bytes dropped. */
  long repairTail() throws IOException {
    long dropped = TornTail.dropTornLastLine(channel, file);
    length = channel.size();
    channel.position(length);
    return dropped;
  }

  boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
