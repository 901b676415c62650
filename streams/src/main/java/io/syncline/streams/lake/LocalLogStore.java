package io.syncline.streams.lake;

import io.delta.storage.HDFSLogStore;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Delta log writes on the local file system with a real put-if-absent: the commit file is written
 * under a temporary name and then hard-linked to its name ({@code link(2)} fails when the name
 * exists, atomically), so that of two writers committing the same version exactly one wins and the
 * other gets {@link FileAlreadyExistsException} (Kernel then resolves the conflict). Hadoop's local
 * file system checks for the name and renames in two steps, and writes a checksum side file that a
 * concurrent reader can find out of step with its commit file: two writers on one table failed with
 * "Checksum error" on a commit file (LakeWriterTest.shouldNotCorruptATableWrittenByTwoWritersAtOnce).
 * Reads and listings are Hadoop's, as before. Set as Kernel's log store of the {@code file} scheme
 * ({@code io.delta.kernel.logStore.file.impl}) by {@link LakeWriter}.
 */
public final class LocalLogStore extends HDFSLogStore {

  public LocalLogStore(Configuration hadoopConf) {
    super(hadoopConf);
  }

  @Override
  public void write(Path path, Iterator<String> actions, Boolean overwrite, Configuration hadoopConf)
      throws IOException {
    String scheme = path.toUri().getScheme();
    if (scheme != null && !scheme.equals("file")) {
      super.write(path, actions, overwrite, hadoopConf);
      return;
    }
    java.nio.file.Path target = java.nio.file.Path.of(path.toUri().getPath());
    if (!overwrite && Files.exists(target)) {
      throw new FileAlreadyExistsException(path.toString());
    }
    Files.createDirectories(target.getParent());
    java.nio.file.Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      try (Writer w = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
        while (actions.hasNext()) {
          w.write(actions.next());
          w.write('\n');
        }
      }
      try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
        channel.force(true); // durable before it becomes visible under its name
      }
      if (overwrite) {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.createLink(target, temp); // fails atomically when another writer has the name
      }
    } catch (FileAlreadyExistsException e) {
      throw new FileAlreadyExistsException(path.toString());
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
