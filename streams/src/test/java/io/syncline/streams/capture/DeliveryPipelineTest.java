package io.syncline.streams.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.syncline.persistence.PgPosition;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.transport.OutRecord;
import io.syncline.streams.transport.Outgoing;
import io.syncline.streams.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pipeline keeps log order and per-batch progress whatever the number of parallel encoders. */
class DeliveryPipelineTest {

  private static final TableRef T = new TableRef("postgresql", "src", "db", "public", "t");
  private static final RowSchema SCHEMA = RowSchema.of(List.of("id", "v"), List.of("id"));
  private static ActorSystem system;

  @BeforeAll
  static void start() {
    system = ActorSystem.create("delivery-pipeline-test");
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  /** Collects every delivered record, in delivery order. */
  private static final class Recording implements Transport {
    final List<OutRecord> delivered = Collections.synchronizedList(new ArrayList<>());

    @Override
    public CompletionStage<Done> prepare(Collection<TableRef> tables) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public <P> Flow<Outgoing<P>, P, NotUsed> flow() {
      return Flow.<Outgoing<P>>create().map(o -> {
        delivered.addAll(o.records());
        return o.passThrough();
      });
    }

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public void close() {}
  }

  private static List<List<CaptureRecord>> transactions(int count, int rowsEach) {
    List<List<CaptureRecord>> out = new ArrayList<>();
    long id = 0;
    for (int tx = 1; tx <= count; tx++) {
      List<CaptureRecord> chunk = new ArrayList<>();
      for (int i = 0; i < rowsEach; i++) {
        id++;
        Row after = new Row(SCHEMA, new Object[] {id, "v" + id});
        chunk.add(new CaptureRecord.Change(new ChangeEvent(T, Op.CREATE, new PgPosition(tx * 100L, i + 1), "tx" + tx,
            i + 1, tx, false, null, after, List.of())));
      }
      chunk.add(new CaptureRecord.Checkpoint(new PgPosition(tx * 100L, PgPosition.COMPLETE),
          PgPosition.boundary(tx * 100L + 50)));
      out.add(chunk);
    }
    return out;
  }

  private static List<Progress> run(int encoders, Recording transport, List<List<CaptureRecord>> input)
      throws Exception {
    return Source.from(input)
        .via(DeliveryPipeline.flow(transport, Map.of(), new CaptureMetrics(), 37, encoders))
        .runWith(Sink.seq(), system)
        .toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
  }

  @Test
  void parallelEncodersKeepTheOrderOfRecordsAndProgress() throws Exception {
    List<List<CaptureRecord>> input = transactions(400, 25);
    Recording one = new Recording();
    Recording four = new Recording();
    List<Progress> p1 = run(1, one, input);
    List<Progress> p4 = run(4, four, input);

    assertThat(four.delivered).hasSize(10_000);
    for (int i = 0; i < four.delivered.size(); i++) {
      String key = new String(four.delivered.get(i).key(), StandardCharsets.UTF_8);
      assertThat(key).isEqualTo("{\"id\":" + (i + 1) + "}");
      assertThat(withoutProcessingTime(four.delivered.get(i).value()))
          .isEqualTo(withoutProcessingTime(one.delivered.get(i).value()));
    }
    // acknowledged positions only move forward, and the last one is the last transaction's
    for (List<Progress> progress : List.of(p1, p4)) {
      long events = 0;
      PgPosition last = null;
      for (Progress p : progress) {
        events += p.events();
        if (p.boundary() != null) {
          PgPosition ack = (PgPosition) p.boundary();
          if (last != null) {
            assertThat(ack.isAfter(last) || ack.equals(last)).isTrue();
          }
          last = ack;
        }
      }
      assertThat(events).isEqualTo(10_000);
      assertThat(last).isEqualTo(PgPosition.boundary(400 * 100L + 50));
    }
  }

  /** The envelope without its processing times (the envelope's own ts_ms/ts_us: when it was encoded). */
  private static String withoutProcessingTime(byte[] value) {
    return new String(value, StandardCharsets.UTF_8).replaceAll("\"ts_(ms|us|ns)\":\\d+", "");
  }

  /**
   * An update that changes the key becomes a delete of the old key (before image, the new key in a
   * header, marked for a tombstone) and a create of the new one (after image, the old key in a
   * header), both at the change's position; an update keeping its key, and the batch's progress,
   * are as before (one update counted, one event, the same position).
   */
  @Test
  void shouldDeliverAKeyChangeAsADeleteOfTheOldKeyAndACreateOfTheNewOne() throws Exception {
    PgPosition pos = new PgPosition(500, PgPosition.COMPLETE);
    ChangeEvent keyChange = new ChangeEvent(T, Op.UPDATE, new PgPosition(500, 1), "tx9", 1, 42, false,
        new Row(SCHEMA, new Object[] {1L, null}), new Row(SCHEMA, new Object[] {2L, "b"}), List.of());
    ChangeEvent sameKey = new ChangeEvent(T, Op.UPDATE, new PgPosition(500, 2), "tx9", 2, 42, false,
        new Row(SCHEMA, new Object[] {2L, "b"}), new Row(SCHEMA, new Object[] {2L, "c"}), List.of());
    ChangeEvent delete = new ChangeEvent(T, Op.DELETE, new PgPosition(500, 3), "tx9", 3, 42, false,
        new Row(SCHEMA, new Object[] {2L, null}), null, List.of());
    Recording transport = new Recording();
    List<Progress> progress = run(1, transport, List.of(List.of(new CaptureRecord.Change(keyChange),
        new CaptureRecord.Change(sameKey), new CaptureRecord.Change(delete),
        new CaptureRecord.Checkpoint(pos, PgPosition.boundary(550)))));

    assertThat(transport.delivered).hasSize(4);
    OutRecord oldGone = transport.delivered.get(0);
    OutRecord newCame = transport.delivered.get(1);
    assertThat(utf8(oldGone.key())).isEqualTo("{\"id\":1}");
    assertThat(withoutProcessingTime(oldGone.value())).startsWith("{\"before\":{\"id\":1,\"v\":null},\"after\":null,")
        .contains("\"op\":\"d\"").contains("\"lsn\":500").contains("\"transaction\":{\"id\":\"tx9\",\"total_order\":1}");
    assertThat(oldGone.delete()).isTrue();
    assertThat(oldGone.headers()).singleElement().satisfies(h -> {
      assertThat(h.name()).isEqualTo("__debezium.newkey");
      assertThat(utf8(h.value())).isEqualTo("{\"id\":2}");
    });
    assertThat(utf8(newCame.key())).isEqualTo("{\"id\":2}");
    assertThat(withoutProcessingTime(newCame.value())).startsWith("{\"before\":null,\"after\":{\"id\":2,\"v\":\"b\"},")
        .contains("\"op\":\"c\"").contains("\"lsn\":500");
    assertThat(newCame.delete()).isFalse();
    assertThat(newCame.headers()).singleElement().satisfies(h -> {
      assertThat(h.name()).isEqualTo("__debezium.oldkey");
      assertThat(utf8(h.value())).isEqualTo("{\"id\":1}");
    });
    assertThat(List.of(oldGone.position(), newCame.position())).containsOnly(keyChange.position());

    assertThat(withoutProcessingTime(transport.delivered.get(2).value())).contains("\"op\":\"u\"");
    assertThat(transport.delivered.get(2).headers()).isEmpty();
    assertThat(transport.delivered.get(2).delete()).isFalse();
    assertThat(transport.delivered.get(3).delete()).isTrue();

    assertThat(progress).singleElement().satisfies(p -> {
      assertThat(p.events()).as("changes, not records").isEqualTo(3);
      assertThat(p.tables().get(T).counts().updates()).isEqualTo(2);
      assertThat(p.tables().get(T).counts().deletes()).isEqualTo(1);
      assertThat(p.tables().get(T).counts().inserts()).isZero();
      assertThat(p.tables().get(T).position()).isEqualTo(pos);
    });
  }

  private static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void refusesZeroEncoders() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> DeliveryPipeline.flow(new Recording(), Map.of(), new CaptureMetrics(), 10, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("encoders");
  }
}
