package io.syncline.streams.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.syncline.streams.event.TableRef;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestPublisher;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.stream.testkit.javadsl.TestSource;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesTransportTest {

  private static final TableRef ORDERS = new TableRef("postgresql", "shop", "app", "public", "orders");
  private static final TableRef ITEMS = new TableRef("postgresql", "shop", "app", "sales", "items");

  private static ActorSystem system;

  @TempDir Path dir;

  @BeforeAll
  static void startSystem() {
    system = ActorSystem.create("jsonl-test");
  }

  @AfterAll
  static void stopSystem() {
    TestKit.shutdownActorSystem(system);
  }

  private static OutRecord rec(TableRef t, String key, String value) {
    return new OutRecord(t, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8));
  }

  private JsonLinesTransport transport(boolean fsync, boolean keys) {
    return JsonLinesTransport.create(system, new JsonLinesTransport.Settings(dir, fsync, keys));
  }

  private static List<String> lines(Path file) throws Exception {
    return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
  }

  @Test
  void shouldWriteOneFilePerTableWithLinesInBatchOrder() throws Exception {
    try (JsonLinesTransport t = transport(false, false)) {
      t.prepare(List.of(ORDERS, ITEMS)).toCompletableFuture().get(5, TimeUnit.SECONDS);
      List<Outgoing<Integer>> batches = List.of(
          new Outgoing<>(List.of(rec(ORDERS, "{\"id\":1}", "{\"op\":\"c\",\"n\":1}"),
              rec(ITEMS, "{\"id\":7}", "{\"op\":\"c\",\"n\":2}"),
              rec(ORDERS, "{\"id\":1}", "{\"op\":\"u\",\"n\":3}")), 1),
          new Outgoing<>(List.of(), 2),
          new Outgoing<>(List.of(rec(ORDERS, "{\"id\":2}", "{\"op\":\"d\",\"n\":4}")), 3));

      List<Integer> out = Source.from(batches).via(t.<Integer>flow()).runWith(Sink.seq(), system)
          .toCompletableFuture().get(10, TimeUnit.SECONDS);

      assertThat(out).containsExactly(1, 2, 3);
      assertThat(t.fileOf(ORDERS)).isEqualTo(dir.resolve("shop.public.orders.jsonl"));
      assertThat(lines(dir.resolve("shop.public.orders.jsonl"))).containsExactly(
          "{\"op\":\"c\",\"n\":1}", "{\"op\":\"u\",\"n\":3}", "{\"op\":\"d\",\"n\":4}");
      assertThat(lines(dir.resolve("shop.sales.items.jsonl"))).containsExactly("{\"op\":\"c\",\"n\":2}");
      try (var files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .containsExactlyInAnyOrder("shop.public.orders.jsonl", "shop.sales.items.jsonl");
      }
    }
  }

  @Test
  void shouldEmitPassThroughOnlyAfterTheBatchIsOnDisk() throws Exception {
    try (JsonLinesTransport t = transport(true, false)) {
      var probes = TestSource.<Outgoing<Integer>>probe(system)
          .via(t.<Integer>flow())
          .toMat(TestSink.probe(system), org.apache.pekko.stream.javadsl.Keep.both())
          .run(system);
      TestPublisher.Probe<Outgoing<Integer>> in = probes.first();
      TestSubscriber.Probe<Integer> out = probes.second();
      Path file = dir.resolve("shop.public.orders.jsonl");

      out.request(1);
      in.sendNext(new Outgoing<>(List.of(rec(ORDERS, null, "{\"n\":1}"), rec(ORDERS, null, "{\"n\":2}")), 10));
      assertThat(out.expectNext(Duration.ofSeconds(5))).isEqualTo(10);
      assertThat(lines(file)).containsExactly("{\"n\":1}", "{\"n\":2}");

      // no demand: the batch may be written, but its pass-through must not come out before it is
      in.sendNext(new Outgoing<>(List.of(rec(ORDERS, null, "{\"n\":3}")), 11));
      out.request(1);
      assertThat(out.expectNext(Duration.ofSeconds(5))).isEqualTo(11);
      assertThat(lines(file)).containsExactly("{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
      in.sendComplete();
      out.expectComplete();
    }
  }

  @Test
  void shouldAppendAcrossMaterializationsAndRestarts() throws Exception {
    Path file = dir.resolve("shop.public.orders.jsonl");
    try (JsonLinesTransport t = transport(false, false)) {
      for (int run = 0; run < 2; run++) {
        int n = run;
        Source.single(new Outgoing<>(List.of(rec(ORDERS, null, "{\"run\":" + n + "}")), n))
            .via(t.<Integer>flow()).runWith(Sink.ignore(), system).toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
    }
    try (JsonLinesTransport t = transport(false, false)) {
      Source.single(new Outgoing<>(List.of(rec(ORDERS, null, "{\"run\":2}")), 2))
          .via(t.<Integer>flow()).runWith(Sink.ignore(), system).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    assertThat(lines(file)).containsExactly("{\"run\":0}", "{\"run\":1}", "{\"run\":2}");
  }

  @Test
  void shouldKeepOrderOverManyBatches() throws Exception {
    List<Outgoing<Integer>> batches = new ArrayList<>();
    for (int b = 0; b < 200; b++) {
      List<OutRecord> rs = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        rs.add(rec(i % 2 == 0 ? ORDERS : ITEMS, null, "{\"seq\":" + (b * 50 + i) + "}"));
      }
      batches.add(new Outgoing<>(rs, b));
    }
    try (JsonLinesTransport t = transport(false, false)) {
      List<Integer> out = Source.from(batches).via(t.<Integer>flow()).runWith(Sink.seq(), system)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertThat(out).isSorted().hasSize(200);
    }
    List<String> orders = lines(dir.resolve("shop.public.orders.jsonl"));
    assertThat(orders).hasSize(5000);
    for (int i = 0; i < orders.size(); i++) {
      assertThat(orders.get(i)).isEqualTo("{\"seq\":" + (2 * i) + "}");
    }
  }

  @Test
  void shouldWriteKeyAndValueLinesWhenKeysIsSetAndKeepMultiLineJsonOnOneLine() throws Exception {
    try (JsonLinesTransport t = transport(false, true)) {
      Source.single(new Outgoing<>(List.of(
              rec(ORDERS, "{\"id\":1}", "{\n  \"op\": \"c\"\n}"),
              rec(ORDERS, null, "{\"op\":\"r\"}")), "done"))
          .via(t.<String>flow()).runWith(Sink.ignore(), system).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    assertThat(lines(dir.resolve("shop.public.orders.jsonl"))).containsExactly(
        "{\"key\":{\"id\":1},\"value\":{   \"op\": \"c\" }}",
        "{\"key\":null,\"value\":{\"op\":\"r\"}}");
  }

  @Test
  void shouldFailTheStreamWhenTheFileCannotBeOpened() throws Exception {
    Path notADir = Files.writeString(dir.resolve("plain-file"), "x");
    try (JsonLinesTransport t = JsonLinesTransport.create(system,
        new JsonLinesTransport.Settings(notADir.resolve("sub"), false, false))) {
      var result = Source.single(new Outgoing<>(List.of(rec(ORDERS, null, "{}")), 1))
          .via(t.<Integer>flow()).runWith(Sink.seq(), system).toCompletableFuture();
      assertThatThrownBy(() -> result.get(5, TimeUnit.SECONDS))
          .hasRootCauseInstanceOf(java.nio.file.FileSystemException.class)
          .hasMessageContaining("syncline.transport.jsonl.directory");
    }
  }

  @Test
  void shouldReadSettingsWithDefaultsFromReferenceConf() {
    var s = JsonLinesTransport.Settings.create(ConfigFactory.parseString("directory = \"/tmp/x\", fsync = false"));
    assertThat(s).isEqualTo(new JsonLinesTransport.Settings(Path.of("/tmp/x"), false, false));
    var d = JsonLinesTransport.Settings.create(ConfigFactory.empty());
    assertThat(d.directory()).isEqualTo(Path.of("data/changes"));
    assertThat(d.fsync()).as("durable by default").isTrue();
  }

  @Test
  void shouldRefuseADirectorySettingThatIsAFileNamingTheSettingAndTheFix() throws Exception {
    Path file = Files.writeString(dir.resolve("out"), "x");
    assertThatThrownBy(() -> JsonLinesTransport.create(system, new JsonLinesTransport.Settings(file, true, false)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'syncline.transport.jsonl.directory' is " + file)
        .hasMessageContaining("exists but is a file, not a directory")
        .hasMessageContaining("Fix: set syncline.transport.jsonl.directory to a directory");
  }

  @Test
  void shouldCreateFilesOwnerOnlyAndTheDirectoryOwnerOnlyWhenItCreatesIt() throws Exception {
    Path out = dir.resolve("new/out");
    try (JsonLinesTransport t = JsonLinesTransport.create(system, new JsonLinesTransport.Settings(out, true, false))) {
      t.prepare(List.of(ORDERS)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.getParent()))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("shop.public.orders.jsonl"))))
        .isEqualTo("rw-------");
    // an existing directory is left as its owner made it
    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-x---"));
    try (JsonLinesTransport t = JsonLinesTransport.create(system, new JsonLinesTransport.Settings(out, true, false))) {
      t.prepare(List.of(ITEMS)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rwxr-x---");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("shop.sales.items.jsonl"))))
        .isEqualTo("rw-------");
  }

  /**
   * The disk fails a write of the second file of a batch after part of it landed (as a full disk or
   * a file-size limit does): the stream fails, both files are cut back to the batch before, and the
   * batch written again by the next materialization gives whole lines, each once.
   */
  @Test
  void shouldCutAFailedBatchOffEveryFileItTouchedSoTheBatchWrittenAgainIsWhole() throws Exception {
    FailingChannels disk = new FailingChannels();
    try (JsonLinesTransport t = JsonLinesTransport.create(system, new JsonLinesTransport.Settings(dir, true, false),
        disk::open)) {
      run(t, new Outgoing<>(List.of(rec(ORDERS, null, "{\"n\":1}"), rec(ITEMS, null, "{\"n\":1}")), 1));
      Outgoing<Integer> second = new Outgoing<>(List.of(rec(ORDERS, null, "{\"n\":2}"),
          rec(ITEMS, null, "{\"n\":2,\"padding\":\"" + "x".repeat(100) + "\"}")), 2);
      disk.failAfter(dir.resolve("shop.sales.items.jsonl"), 10, false); // 10 bytes of the line land, then ENOSPC
      assertThatThrownBy(() -> run(t, second))
          .hasRootCauseMessage("No space left on device")
          .hasMessageContaining("could not write a batch of 2 lines to " + dir.resolve("shop.sales.items.jsonl"))
          .hasMessageContaining("syncline.transport.jsonl.directory");
      assertThat(disk.partialWrites).as("the failed write left a fragment before it was cut").isEqualTo(1);
      assertThat(lines(dir.resolve("shop.public.orders.jsonl"))).containsExactly("{\"n\":1}");
      assertThat(Files.readString(dir.resolve("shop.sales.items.jsonl"))).isEqualTo("{\"n\":1}\n");

      disk.heal();
      run(t, second);
      run(t, new Outgoing<>(List.of(rec(ITEMS, null, "{\"n\":3}")), 3));
    }
    assertThat(lines(dir.resolve("shop.public.orders.jsonl"))).containsExactly("{\"n\":1}", "{\"n\":2}");
    assertThat(lines(dir.resolve("shop.sales.items.jsonl"))).hasSize(3).allSatisfy(l -> assertThat(l).startsWith("{"))
        .last().isEqualTo("{\"n\":3}");
  }

  /**
   * The fragment cannot be cut (the disk refuses the truncate as well): the file is closed and
   * forgotten, and opening it again for the next write cuts the torn line first.
   */
  @Test
  void shouldReopenAndRepairAFileWhoseFailedWriteCouldNotBeCut() throws Exception {
    FailingChannels disk = new FailingChannels();
    Path items = dir.resolve("shop.sales.items.jsonl");
    try (JsonLinesTransport t = JsonLinesTransport.create(system, new JsonLinesTransport.Settings(dir, false, false),
        disk::open)) {
      run(t, new Outgoing<>(List.of(rec(ITEMS, null, "{\"n\":1}")), 1));
      disk.failAfter(items, 4, true);
      Outgoing<Integer> second = new Outgoing<>(List.of(rec(ITEMS, null, "{\"n\":2}")), 2);
      assertThatThrownBy(() -> run(t, second)).hasRootCauseMessage("No space left on device");
      assertThat(Files.readString(items)).as("the fragment is still there").isEqualTo("{\"n\":1}\n{\"n\"");

      disk.heal();
      run(t, second);
      assertThat(disk.opened(items)).as("reopened after the failure").isEqualTo(2);
    }
    assertThat(lines(items)).containsExactly("{\"n\":1}", "{\"n\":2}");
  }

  /** A capture stream restarting on an open file (prepare) finds a torn line another writer left and cuts it. */
  @Test
  void shouldCutATornLastLineOfAnOpenFileWhenAStreamRestarts() throws Exception {
    Path orders = dir.resolve("shop.public.orders.jsonl");
    try (JsonLinesTransport t = transport(true, false)) {
      t.prepare(List.of(ORDERS)).toCompletableFuture().get(5, TimeUnit.SECONDS);
      run(t, new Outgoing<>(List.of(rec(ORDERS, null, "{\"n\":1}")), 1));
      Files.writeString(orders, "{\"n\":2, \"torn\": \"a longer line than the next", java.nio.file.StandardOpenOption.APPEND);
      t.prepare(List.of(ORDERS)).toCompletableFuture().get(5, TimeUnit.SECONDS);
      run(t, new Outgoing<>(List.of(rec(ORDERS, null, "{\"n\":2}")), 2));
    }
    assertThat(lines(orders)).containsExactly("{\"n\":1}", "{\"n\":2}");
  }

  private static void run(JsonLinesTransport t, Outgoing<Integer> batch) throws Exception {
    Source.single(batch).via(t.<Integer>flow()).runWith(Sink.ignore(), system).toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
  }

  /**
   * Opens real files whose writes can be made to fail the way a full disk does: the first bytes of a
   * write land in the file, then the write fails with ENOSPC (and the truncate too, if asked).
   */
  private static final class FailingChannels {
    private final java.util.Map<Path, Integer> opens = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Path failing;
    private volatile long budget;
    private volatile boolean failTruncate;
    volatile int partialWrites;

    AppendOnlyFile open(Path file) throws java.io.IOException {
      opens.merge(file, 1, Integer::sum);
      AppendOnlyFile.open(file).close(); // created owner-only, its torn tail cut: reopened through the failing channel
      FileChannel ch = FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
          java.nio.file.StandardOpenOption.WRITE);
      return new AppendOnlyFile(file, new Failing(file, ch));
    }

    void failAfter(Path file, long bytes, boolean truncateToo) {
      budget = bytes;
      failTruncate = truncateToo;
      failing = file;
    }

    void heal() {
      failing = null;
    }

    int opened(Path file) {
      return opens.getOrDefault(file, 0);
    }

    private final class Failing extends FileChannel {
      private final Path file;
      private final FileChannel d;

      Failing(Path file, FileChannel d) {
        this.file = file;
        this.d = d;
      }

      private boolean armed() {
        return file.equals(failing);
      }

      @Override
      public int write(java.nio.ByteBuffer src) throws java.io.IOException {
        if (!armed()) {
          return d.write(src);
        }
        if (budget <= 0) {
          throw new java.io.IOException("No space left on device");
        }
        int n = (int) Math.min(budget, src.remaining());
        java.nio.ByteBuffer part = src.slice().limit(n);
        int written = d.write(part);
        src.position(src.position() + written);
        budget -= written;
        partialWrites++;
        return written;
      }

      @Override
      public FileChannel truncate(long size) throws java.io.IOException {
        if (armed() && failTruncate) {
          throw new java.io.IOException("Input/output error");
        }
        d.truncate(size);
        return this;
      }

      @Override
      public int read(java.nio.ByteBuffer dst) throws java.io.IOException {
        return d.read(dst);
      }

      @Override
      public long read(java.nio.ByteBuffer[] dsts, int offset, int length) throws java.io.IOException {
        return d.read(dsts, offset, length);
      }

      @Override
      public long write(java.nio.ByteBuffer[] srcs, int offset, int length) throws java.io.IOException {
        throw new UnsupportedOperationException("not used by AppendOnlyFile");
      }

      @Override
      public long position() throws java.io.IOException {
        return d.position();
      }

      @Override
      public FileChannel position(long p) throws java.io.IOException {
        d.position(p);
        return this;
      }

      @Override
      public long size() throws java.io.IOException {
        return d.size();
      }

      @Override
      public void force(boolean metaData) throws java.io.IOException {
        d.force(metaData);
      }

      @Override
      public long transferTo(long position, long count, java.nio.channels.WritableByteChannel target)
          throws java.io.IOException {
        return d.transferTo(position, count, target);
      }

      @Override
      public long transferFrom(java.nio.channels.ReadableByteChannel src, long position, long count)
          throws java.io.IOException {
        return d.transferFrom(src, position, count);
      }

      @Override
      public int read(java.nio.ByteBuffer dst, long position) throws java.io.IOException {
        return d.read(dst, position);
      }

      @Override
      public int write(java.nio.ByteBuffer src, long position) throws java.io.IOException {
        throw new UnsupportedOperationException("not used by AppendOnlyFile");
      }

      @Override
      public java.nio.MappedByteBuffer map(MapMode mode, long position, long size) throws java.io.IOException {
        return d.map(mode, position, size);
      }

      @Override
      public java.nio.channels.FileLock lock(long position, long size, boolean shared) throws java.io.IOException {
        return d.lock(position, size, shared);
      }

      @Override
      public java.nio.channels.FileLock tryLock(long position, long size, boolean shared) throws java.io.IOException {
        return d.tryLock(position, size, shared);
      }

      @Override
      protected void implCloseChannel() throws java.io.IOException {
        d.close();
      }
    }
  }

  @Test
  void shouldDropATornLastLineLeftByAKilledProcess(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("torn.jsonl");
    java.nio.file.Files.writeString(file, "{\"a\":1}\n{\"a\":2}\n{\"a\":");
    TornTail.dropTornLastLine(file);
    org.assertj.core.api.Assertions.assertThat(java.nio.file.Files.readString(file)).isEqualTo("{\"a\":1}\n{\"a\":2}\n");
    java.nio.file.Files.writeString(file, "no newline at all");
    TornTail.dropTornLastLine(file);
    org.assertj.core.api.Assertions.assertThat(java.nio.file.Files.readString(file)).isEmpty();
    java.nio.file.Files.writeString(file, "{}\n");
    TornTail.dropTornLastLine(file);
    org.assertj.core.api.Assertions.assertThat(java.nio.file.Files.readString(file)).isEqualTo("{}\n");
  }
}
