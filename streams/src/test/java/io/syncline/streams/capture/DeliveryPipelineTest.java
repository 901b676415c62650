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

  @Test
  void refusesZeroEncoders() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> DeliveryPipeline.flow(new Recording(), Map.of(), new CaptureMetrics(), 10, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("encoders");
  }
}
