package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.persistence.JournalSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data directory: owner-only, one node at a time, errors that name the directory and the fix. */
class DataDirectoryTest {

  @TempDir
  Path dir;

  private static JournalSettings h2(Path data) {
    return new JournalSettings(JournalSettings.Kind.H2, "jdbc:h2:file:" + data.resolve("journal") + ";WRITE_DELAY=0",
        "sa", "");
  }

  @Test
  void shouldCreateTheDirectoryAndTheJournalFileOwnerOnly() throws Exception {
    Path data = dir.resolve("a/b/data");
    try (DataDirectory d = DataDirectory.open(data, h2(data))) {
      assertThat(d.path()).isEqualTo(data);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("journal.mv.db"))))
          .isEqualTo("rw-------");
      Path trace = Files.createFile(data.resolve("journal.trace.db"));
      d.protectJournalFiles();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(trace))).isEqualTo("rw-------");
    }
  }

  @Test
  void shouldLetOneNodeAtATimeUseIt() {
    Path data = dir.resolve("data");
    try (DataDirectory first = DataDirectory.open(data, h2(data))) {
      assertThatThrownBy(() -> DataDirectory.open(data, h2(data)))
          .isInstanceOf(StartFailure.class)
          .hasMessageContaining("data-dir " + data + " is in use by another Syncline node")
          .hasMessageContaining("syncline.data-dir");
    }
    DataDirectory.open(data, h2(data)).close(); // released with the first
  }

  @Test
  void shouldNameTheDirectoryWhenItCannotBeCreated() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "x");
    assertThatThrownBy(() -> DataDirectory.open(file, h2(file)))
        .isInstanceOf(StartFailure.class)
        .hasMessageContaining("data-dir " + file + " exists and is not a directory");
    assertThatThrownBy(() -> DataDirectory.open(Path.of("/proc/syncline-data"), h2(Path.of("/proc/syncline-data"))))
        .isInstanceOf(StartFailure.class)
        .hasMessageStartingWith("cannot create data-dir /proc/syncline-data: ")
        .hasMessageContaining("(in /proc)")
        .hasMessageContaining("syncline.data-dir");
  }
}
