package io.syncline.streams.snapshot.incremental;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.persistence.IncrementalSnapshotState.TableJob;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stream side of incremental snapshots, with a scripted chunk reader run on the calling thread. */
class IncrementalSnapshotterTest {

  static final TableRef T = ChunkWindowTest.T;
  static final TableRef SIGNALS = new TableRef("postgresql", "s", "db", "public", "signals");
  static final RowSchema SIGNAL_SCHEMA = RowSchema.of(List.of("id", "type", "data"), List.of("id"));

  /** Returns rows by key from a fixed table, records what it was asked. */
  static final class FakeReader implements ChunkReader {
    final List<Long> table = new ArrayList<>(List.of(1L, 2L, 3L, 4L, 5L));
    final List<TableJob> asked = new ArrayList<>();
    final List<String> chunkIds = new ArrayList<>();
    RuntimeException failure;
    boolean closed;

    @Override
    public Chunk read(TableJob job, String chunkId, int chunkSize) {
      asked.add(job);
      chunkIds.add(chunkId);
      if (failure != null) {
        throw failure;
      }
      long after = job.lastKey() == null ? Long.MIN_VALUE : Long.parseLong(job.lastKey().get(0));
      List<Row> rows = table.stream().filter(k -> k > after).limit(chunkSize).map(k -> ChunkWindowTest.row(k, "v" + k))
          .toList();
      List<String> last = rows.isEmpty() ? job.lastKey() : List.of(String.valueOf(rows.get(rows.size() - 1).get(0)));
      return new Chunk(chunkId, rows, last, rows.size() < chunkSize);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  final FakeReader reader = new FakeReader();

  IncrementalSnapshotter snapshotter(IncrementalSnapshotState resume) {
    return new IncrementalSnapshotter("s", "public.signals", Map.of("public.t", T), reader, Runnable::run, 2, resume);
  }

  static CaptureRecord signal(String id, String type, String data) {
    return new CaptureRecord.Change(new ChangeEvent(SIGNALS, Op.CREATE, new PgPosition(50, 1), "9", 1, 0, false, null,
        new Row(SIGNAL_SCHEMA, new Object[] {id, type, data}), List.of()));
  }

  static CaptureRecord watermark(String type, String chunkId) {
    return new CaptureRecord.Change(new ChangeEvent(SIGNALS, Op.UPDATE, new PgPosition(60, 1), "9", 1, 0, false, null,
        new Row(SIGNAL_SCHEMA, new Object[] {"watermark:s", type, chunkId}), List.of()));
  }

  static CaptureRecord update(long id, String v) {
    return new CaptureRecord.Change(ChunkWindowTest.change(Op.UPDATE, null, ChunkWindowTest.row(id, v)));
  }

  static final CaptureRecord EXECUTE = signal("sig-1", "execute-snapshot",
      "{\"data-collections\":[\"public.t\"],\"type\":\"incremental\"}");

  @Test
  void shouldQueueTheTableAndKeepSignalsFromTheSink() {
    IncrementalSnapshotter s = snapshotter(null);
    CaptureRecord other = update(1, "x");
    List<CaptureRecord> out = s.process(List.of(other, EXECUTE));
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).isSameAs(other);
    assertThat(out.get(1)).isInstanceOfSatisfying(CaptureRecord.IncrementalSnapshotProgress.class,
        p -> assertThat(p.state().current().table()).isEqualTo("public.t"));
    assertThat(reader.asked).as("the first chunk, and the next one read ahead").hasSize(2);
    assertThat(reader.asked.get(0).lastKey()).isNull();
    assertThat(reader.asked.get(1).lastKey()).containsExactly("2");
  }

  @Test
  void shouldEmitTheChunkMinusTheKeysChangedBetweenItsWatermarks() {
    IncrementalSnapshotter s = snapshotter(null);
    s.process(List.of(EXECUTE));
    String chunk = reader.chunkIds.get(0);
    CaptureRecord before = update(1, "before the window"); // streamed before the low watermark: the chunk is newer
    CaptureRecord inside = update(2, "inside the window");
    List<CaptureRecord> out = s.process(List.of(before, watermark("snapshot-window-open", chunk), inside,
        watermark("snapshot-window-close", chunk)));
    assertThat(out).hasSize(4);
    assertThat(out.get(0)).isSameAs(before);
    assertThat(out.get(1)).isSameAs(inside);
    ChangeEvent read = ((CaptureRecord.Change) out.get(2)).event();
    assertThat(read.op()).isEqualTo(Op.READ);
    assertThat(read.snapshot()).isTrue();
    assertThat(read.after()).isEqualTo(ChunkWindowTest.row(1, "v1"));
    assertThat(out.get(3)).isInstanceOfSatisfying(CaptureRecord.IncrementalSnapshotProgress.class,
        p -> assertThat(p.state().current()).satisfies(j -> {
          assertThat(j.lastKey()).containsExactly("2");
          assertThat(j.rows()).isEqualTo(1);
        }));
    assertThat(reader.asked).as("chunks 2 and 3 read ahead").hasSize(3);
    assertThat(reader.asked.get(2).lastKey()).containsExactly("4");
  }

  @Test
  void shouldFinishTheTableAfterItsLastChunkAndRememberTheSignal() {
    IncrementalSnapshotter s = snapshotter(null);
    s.process(List.of(EXECUTE));
    List<CaptureRecord> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String chunk = reader.chunkIds.get(i);
      all.addAll(s.process(List.of(watermark("snapshot-window-open", chunk), watermark("snapshot-window-close", chunk))));
    }
    assertThat(all.stream().filter(r -> r instanceof CaptureRecord.Change).count()).isEqualTo(5);
    assertThat(s.state().isEmpty()).isTrue();
    assertThat(s.state().finishedSignals()).containsExactly("sig-1");
    assertThat(s.process(List.of(EXECUTE))).as("the same signal read again after a restart").isEmpty();
    assertThat(reader.asked).hasSize(3);
  }

  @Test
  void shouldIgnoreWatermarksOfOtherChunks() {
    IncrementalSnapshotter s = snapshotter(null);
    s.process(List.of(EXECUTE));
    List<CaptureRecord> out = s.process(List.of(watermark("snapshot-window-open", "chunk-of-an-earlier-run"),
        watermark("snapshot-window-close", "chunk-of-an-earlier-run")));
    assertThat(out).isEmpty();
    assertThat(reader.asked).hasSize(2);
  }

  @Test
  void shouldContinueAfterTheRecordedKey() {
    IncrementalSnapshotState recorded = IncrementalSnapshotState.EMPTY.enqueue(
        List.of(new TableJob("sig-1", "public.t", null, null, List.of("4"), 4)));
    IncrementalSnapshotter s = snapshotter(recorded);
    s.process(List.of());
    assertThat(reader.asked).as("the last chunk; nothing to read ahead").hasSize(1);
    assertThat(reader.asked.get(0).lastKey()).containsExactly("4");
    String chunk = reader.chunkIds.get(0);
    List<CaptureRecord> out = s.process(List.of(watermark("snapshot-window-open", chunk),
        watermark("snapshot-window-close", chunk)));
    assertThat(out).hasSize(2);
    assertThat(((CaptureRecord.Change) out.get(0)).event().after().get("id")).isEqualTo(5L);
    assertThat(s.state().finishedSignals()).containsExactly("sig-1");
  }

  @Test
  void shouldDropAStoppedTablesChunk() {
    IncrementalSnapshotter s = snapshotter(null);
    s.process(List.of(EXECUTE));
    String chunk = reader.chunkIds.get(0);
    String ahead = reader.chunkIds.get(1);
    List<CaptureRecord> out = s.process(List.of(signal("stop-1", "stop-snapshot", "{\"data-collections\":[\"public.t\"]}"),
        watermark("snapshot-window-open", chunk), watermark("snapshot-window-close", chunk),
        watermark("snapshot-window-open", ahead), update(3, "x"), watermark("snapshot-window-close", ahead)));
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).isInstanceOf(CaptureRecord.IncrementalSnapshotProgress.class);
    assertThat(((CaptureRecord.Change) out.get(1)).event().op()).isEqualTo(Op.UPDATE);
    assertThat(s.state().isEmpty()).isTrue();
    assertThat(s.awaitingWatermarks()).isFalse();
    assertThat(reader.asked).as("nothing read after the stop").hasSize(2);
  }

  @Test
  void shouldDeDuplicateEachReadAheadChunkInItsOwnWindow() {
    IncrementalSnapshotter s = snapshotter(null);
    s.process(List.of(EXECUTE));
    CaptureRecord between = update(3, "between the windows"); // before chunk 2's low watermark: its SELECT sees it
    CaptureRecord inside = update(4, "inside window 2");
    List<CaptureRecord> out = s.process(List.of(
        watermark("snapshot-window-open", reader.chunkIds.get(0)), watermark("snapshot-window-close", reader.chunkIds.get(0)),
        between,
        watermark("snapshot-window-open", reader.chunkIds.get(1)), inside, watermark("snapshot-window-close", reader.chunkIds.get(1))));
    assertThat(out.stream().filter(r -> r instanceof CaptureRecord.Change c && c.event().op() == Op.READ)
        .map(r -> ((CaptureRecord.Change) r).event().after().get("id"))).containsExactly(1L, 2L, 3L);
    assertThat(s.state().current().lastKey()).containsExactly("4");
    assertThat(s.state().current().rows()).isEqualTo(3);
  }

  @Test
  void shouldTakeOnlyInsertsAsSignals() {
    IncrementalSnapshotter s = snapshotter(null);
    CaptureRecord updated = new CaptureRecord.Change(new ChangeEvent(SIGNALS, Op.UPDATE, new PgPosition(50, 1), "9", 1, 0,
        false, null, new Row(SIGNAL_SCHEMA, new Object[] {"sig-1", "execute-snapshot",
        "{\"data-collections\":[\"public.t\"]}"}), List.of()));
    assertThat(s.process(List.of(updated))).isEmpty();
    assertThat(reader.asked).isEmpty();
  }

  @Test
  void shouldIgnoreTablesTheSourceDoesNotCapture() {
    IncrementalSnapshotter s = snapshotter(null);
    assertThat(s.process(List.of(signal("x", "execute-snapshot", "{\"data-collections\":[\"public.nope\"]}")))).isEmpty();
    assertThat(reader.asked).isEmpty();
  }

  @Test
  void shouldFailTheStreamWhenAChunkCannotBeRead() {
    reader.failure = new IllegalStateException("relation is gone");
    IncrementalSnapshotter s = snapshotter(null);
    assertThatThrownBy(() -> {
      s.process(List.of(EXECUTE));
      s.process(List.of());
    }).hasMessageContaining("relation is gone");
    s.close();
    assertThat(reader.closed).isTrue();
  }
}
