package io.syncline.streams.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.syncline.streams.event.TableRef;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    var s = JsonLinesTransport.Settings.create(ConfigFactory.parseString("directory = \"/tmp/x\", fsync = true"));
    assertThat(s).isEqualTo(new JsonLinesTransport.Settings(Path.of("/tmp/x"), true, false));
    var d = JsonLinesTransport.Settings.create(ConfigFactory.empty());
    assertThat(d.directory()).isEqualTo(Path.of("data/changes"));
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
