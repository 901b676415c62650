package io.syncline.node;

import io.syncline.persistence.JournalSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's {@code data-dir}, held for the node's lifetime: created owner-only (0700), locked so
 * that a second node on the same directory stops at once with a clear line instead of waiting on
 * the H2 file lock, and the embedded journal's files created owner-only (0600; they hold positions
 * and row keys). Errors are {@link StartFailure}s that name the directory and the fix.
 */
final class DataDirectory implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DataDirectory.class);

  static final String LOCK_FILE = "syncline.lock";
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
  private static final String H2_SUFFIX = ".mv.db";

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Optional<Path> h2File;

  private DataDirectory(Path dir, FileChannel lockChannel, FileLock lock, Optional<Path> h2File) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.h2File = h2File;
  }

  /**
   * Creates the directory if missing (owner-only), takes its lock and creates the H2 journal file
   * owner-only if the journal is an H2 file database that does not exist yet.
   */
  static DataDirectory open(Path configured, JournalSettings journal) {
    Path dir = configured.toAbsolutePath().normalize();
    create(dir, "data-dir");
    if (!Files.isWritable(dir) || !Files.isExecutable(dir)) {
      throw new StartFailure("data-dir " + dir + " is not writable by user " + System.getProperty("user.name")
          + ". Fix: give the user write access to it, or set syncline.data-dir (SYNCLINE_DATA_DIR) to a directory it owns");
    }
    warnIfOthersCanRead(dir);
    Path lockPath = dir.resolve(LOCK_FILE);
    FileChannel channel;
    try {
      channel = FileChannel.open(lockPath, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE), ownerOnly(OWNER_FILE));
    } catch (IOException e) {
      throw new StartFailure("data-dir " + dir + ": cannot create " + LOCK_FILE + " (" + reason(e)
          + "). Fix: give the user write access to the directory, or set syncline.data-dir to another one", e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by this process already
    } catch (IOException e) {
      close(channel);
      throw new StartFailure("data-dir " + dir + ": cannot lock " + lockPath + " (" + reason(e) + ")", e);
    }
    if (lock == null) {
      String holder = holder(channel);
      close(channel);
      throw new StartFailure("data-dir " + dir + " is in use by another Syncline node" + holder
          + ". Fix: stop that node first, or give this one its own syncline.data-dir (SYNCLINE_DATA_DIR)");
    }
    writePid(channel);
    Optional<Path> h2 = journal.h2File().map(p -> p.toAbsolutePath().normalize());
    DataDirectory d = new DataDirectory(dir, channel, lock, h2);
    try {
      h2.ifPresent(DataDirectory::createH2File);
    } catch (StartFailure e) {
      d.close();
      throw e;
    }
    return d;
  }

  Path path() {
    return dir;
  }

  /**
   * Makes every file of the H2 journal owner-only (H2 creates its trace and temporary files with
   * the process's umask); call once the journal is open.
   */
  void protectJournalFiles() {
    h2File.ifPresent(base -> {
      Path parent = base.getParent();
      String prefix = base.getFileName() + ".";
      try (Stream<Path> files = Files.list(parent)) {
        files.filter(f -> f.getFileName().toString().startsWith(prefix)).forEach(f -> setPermissions(f, OWNER_FILE));
      } catch (IOException e) {
        log.warn("could not make the journal files in {} owner-only: {}", parent, reason(e));
      }
    });
  }

  /** Releases the lock. */
  @Override
  public void close() {
    try {
      if (lock.isValid()) {
        lock.release();
      }
    } catch (IOException e) {
      log.debug("releasing {}", dir.resolve(LOCK_FILE), e);
    }
    close(lockChannel);
  }

  private static void create(Path dir, String what) {
    if (Files.isDirectory(dir)) {
      return;
    }
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir)) {
      throw new StartFailure(what + " " + dir + " exists and is not a directory. Fix: set syncline.data-dir"
          + " (SYNCLINE_DATA_DIR) to a directory");
    }
    Path missing = dir;
    while (missing.getParent() != null && !Files.exists(missing.getParent())) {
      missing = missing.getParent();
    }
    Path parent = missing.getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new StartFailure("cannot create " + what + " " + dir + ": " + parent + " is not a directory. Fix: set"
          + " syncline.data-dir (SYNCLINE_DATA_DIR) to a path under a directory");
    }
    try {
      Files.createDirectories(dir, ownerOnly(OWNER_DIR));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw new StartFailure(what + " " + dir + " exists and is not a directory", e);
      }
    } catch (IOException e) {
      throw new StartFailure("cannot create " + what + " " + dir + ": " + reason(e) + (parent == null ? ""
          : " (in " + parent + ")") + ". Fix: create it for the user " + System.getProperty("user.name")
          + ", or set syncline.data-dir (SYNCLINE_DATA_DIR) to a writable directory", e);
    }
  }

  private static void createH2File(Path base) {
    Path file = base.resolveSibling(base.getFileName() + H2_SUFFIX);
    if (Files.exists(file)) {
      setPermissions(file, OWNER_FILE);
      return;
    }
    Path parent = file.getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      create(parent, "journal directory");
    }
    try {
      // H2 opens an empty file as a new database and keeps its permissions
      Files.createFile(file, ownerOnly(OWNER_FILE));
    } catch (FileAlreadyExistsException e) {
      setPermissions(file, OWNER_FILE);
    } catch (IOException e) {
      throw new StartFailure("cannot create the journal file " + file + ": " + reason(e)
          + ". Fix: make its directory writable, or change syncline.journal.url", e);
    }
  }

  private static void warnIfOthersCanRead(Path dir) {
    try {
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(dir);
      if (p.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
        log.warn("data-dir {} is open to other users ({}); it holds the journal: chmod 700 {}", dir,
            PosixFilePermissions.toString(p), dir);
      }
    } catch (UnsupportedOperationException | IOException e) {
      // not a POSIX file system: nothing to check
    }
  }

  private static FileAttribute<?>[] ownerOnly(Set<PosixFilePermission> permissions) {
    boolean posix = java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)} : new FileAttribute<?>[0];
  }

  private static void setPermissions(Path file, Set<PosixFilePermission> permissions) {
    try {
      Files.setPosixFilePermissions(file, permissions);
    } catch (NoSuchFileException e) {
      // gone meanwhile (a temporary file)
    } catch (IOException e) {
      log.warn("could not make {} owner-only: {}", file, reason(e));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system
    }
  }

  /** " (pid 1234)" from the lock file, or empty. */
  private static String holder(FileChannel channel) {
    try {
      ByteBuffer b = ByteBuffer.allocate(32);
      channel.read(b, 0);
      String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
      return pid.matches("\\d+") ? " (pid " + pid + ")" : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static void writePid(FileChannel channel) {
    try {
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      channel.force(false);
    } catch (IOException e) {
      log.debug("could not write the pid into the lock file", e);
    }
  }

  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException fs && fs.getReason() != null) {
      return fs.getReason();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static void close(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }
}
