package io.syncline.streams.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.PgPosition;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.event.TableRef;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SqsMessagesTest {

  private static final TableRef TABLE = new TableRef("postgresql", "shop", "shopdb", "public", "orders");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static OutRecord record(long lsn, long index, int id, String payload) {
    return new OutRecord(TABLE, ("{\"id\":" + id + "}").getBytes(StandardCharsets.UTF_8),
        ("{\"before\":null,\"after\":{\"id\":" + id + ",\"note\":\"" + payload + "\"},\"op\":\"c\"}")
            .getBytes(StandardCharsets.UTF_8),
        new PgPosition(lsn, index), false, List.of());
  }

  /** Records like a busy table's: similar rows with some random text, so gzip has something to do. */
  private static List<OutRecord> records(int n, int payloadChars) {
    Random random = new Random(42);
    List<OutRecord> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder payload = new StringBuilder();
      for (int c = 0; c < payloadChars; c++) {
        payload.append(c % 4 == 0 ? (char) ('a' + random.nextInt(26)) : 'x');
      }
      list.add(record(1000 + i / 3, 1 + i % 3, i, payload.toString()));
    }
    return list;
  }

  private static void assertUnpacksTo(List<SqsMessages.Packed> messages, List<OutRecord> records) throws Exception {
    List<SqsMessages.Entry> all = new ArrayList<>();
    for (SqsMessages.Packed m : messages) {
      List<SqsMessages.Entry> entries = SqsMessages.unpack(m.body());
      assertThat(entries).hasSize(Integer.parseInt(m.attributes().get(SqsMessages.A_COUNT)));
      assertThat(JSON.readValue(m.attributes().get(SqsMessages.A_FIRST), SourcePosition.class))
          .isEqualTo(entries.get(0).position());
      assertThat(JSON.readValue(m.attributes().get(SqsMessages.A_LAST), SourcePosition.class))
          .isEqualTo(entries.get(entries.size() - 1).position());
      all.addAll(entries);
    }
    assertThat(all).hasSize(records.size());
    for (int i = 0; i < records.size(); i++) {
      OutRecord r = records.get(i);
      SqsMessages.Entry e = all.get(i);
      assertThat(e.position()).isEqualTo(r.position());
      assertThat(e.key()).isEqualTo(new String(r.key(), StandardCharsets.UTF_8));
      assertThat(e.value()).isEqualTo(new String(r.value(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void shouldPackManyEventsPerMessageAndUnpackThemExactly() throws Exception {
    List<OutRecord> records = records(5_000, 200);
    for (boolean gzip : new boolean[] {false, true}) {
      SqsMessages.Packing packing = SqsMessages.pack(TABLE, records, 262_144, gzip, 1);
      assertThat(packing.oversized()).isEmpty();
      assertUnpacksTo(packing.messages(), records);
      for (SqsMessages.Packed m : packing.messages()) {
        int counted = m.body().getBytes(StandardCharsets.UTF_8).length + m.attributes().entrySet().stream()
            .mapToInt(a -> a.getKey().length() + "String".length() + a.getValue().getBytes(StandardCharsets.UTF_8).length)
            .sum();
        assertThat(m.size()).isEqualTo(counted).isLessThanOrEqualTo(262_144);
        assertThat(m.attributes().get(SqsMessages.A_ENCODING))
            .isEqualTo(gzip ? SqsMessages.ENCODING_GZIP : SqsMessages.ENCODING_JSONL);
      }
      // every message but the last is nearly full: packing, not one event per message
      List<SqsMessages.Packed> full = packing.messages().subList(0, packing.messages().size() - 1);
      assertThat(full).allSatisfy(m -> assertThat(m.size()).as("gzip=" + gzip).isGreaterThan(262_144 * 9 / 10));
      assertThat(packing.messages().size()).as("gzip=" + gzip).isLessThanOrEqualTo(gzip ? 2 : 7);
    }
  }

  @Test
  void shouldLeaveOutARecordTooLargeForAnyMessageAndPackTheOthers() throws Exception {
    List<OutRecord> records = new ArrayList<>(records(10, 50));
    Random random = new Random(1);
    StringBuilder big = new StringBuilder();
    for (int i = 0; i < 300_000; i++) {
      big.append((char) ('a' + random.nextInt(26))); // random letters: gzip+base64 does not get it under 256 KiB
    }
    OutRecord huge = record(5000, 1, 99, big.toString());
    records.add(5, huge);
    for (boolean gzip : new boolean[] {false, true}) {
      SqsMessages.Packing packing = SqsMessages.pack(TABLE, records, 262_144, gzip, 1);
      assertThat(packing.oversized()).singleElement().satisfies(o -> {
        assertThat(o.record()).isSameAs(huge);
        assertThat(o.size()).isGreaterThan(262_144);
      });
      List<OutRecord> others = new ArrayList<>(records);
      others.remove(huge);
      assertUnpacksTo(packing.messages(), others);
    }
    // compressible, the same size fits once gzipped
    OutRecord compressible = record(5000, 1, 99, "y".repeat(300_000));
    assertThat(SqsMessages.pack(TABLE, List.of(compressible), 262_144, true, 1).oversized()).isEmpty();
    assertThat(SqsMessages.pack(TABLE, List.of(compressible), 262_144, false, 1).oversized()).hasSize(1);
  }

  @Test
  void shouldFillAMessageWithOneLargeEventRightUpToTheLimit() throws Exception {
    // a line whose message is exactly the limit fits; one byte more does not
    OutRecord probe = record(7, 1, 1, "");
    int base = SqsMessages.pack(TABLE, List.of(probe), 262_144, false, 1).messages().get(0).size();
    OutRecord exact = record(7, 1, 1, "z".repeat(10_000 - base));
    assertThat(SqsMessages.pack(TABLE, List.of(exact), 10_000, false, 1).messages().get(0).size()).isEqualTo(10_000);
    assertThat(SqsMessages.pack(TABLE, List.of(exact), 9_999, false, 1).oversized()).singleElement()
        .satisfies(o -> assertThat(o.size()).isEqualTo(10_000));
  }

  @Test
  void shouldKeepEachLineOnOneLineAndWithinTheCharactersSqsAccepts() throws Exception {
    // pretty-printed JSON (a PostgreSQL json column keeps its line breaks) and U+FFFF, which SQS refuses in bodies
    OutRecord r = new OutRecord(TABLE, "{\"id\":1}".getBytes(StandardCharsets.UTF_8),
        "{\"after\":{\"id\":1,\"doc\":{\n  \"a\": [1,\r\n 2]},\"s\":\"x\uFFFFy\uFFFEz\"},\"op\":\"c\"}"
            .getBytes(StandardCharsets.UTF_8), new PgPosition(9, 1), false, List.of());
    SqsMessages.Packed m = SqsMessages.pack(TABLE, List.of(r), 262_144, false, 1).messages().get(0);
    assertThat(m.body()).doesNotContain("\uFFFF", "\uFFFE", "\r").endsWith("}\n");
    assertThat(m.body().indexOf('\n')).isEqualTo(m.body().length() - 1);
    SqsMessages.Entry e = SqsMessages.unpack(m.body()).get(0);
    assertThat(JSON.readTree(e.value())).isEqualTo(JSON.readTree(r.value()));
    assertThat(JSON.readTree(e.value()).get("after").get("s").asText()).isEqualTo("x\uFFFFy\uFFFEz");
  }

  @Test
  void shouldGiveTheSameDeduplicationIdToTheSameEventsOnly() {
    List<OutRecord> records = records(10, 20);
    String id = SqsMessages.pack(TABLE, records, 262_144, true, 1).messages().get(0).deduplicationId();
    assertThat(SqsMessages.pack(TABLE, records, 262_144, true, 1).messages().get(0).deduplicationId())
        .isEqualTo(id).hasSize(64);
    assertThat(SqsMessages.pack(TABLE, records.subList(0, 9), 262_144, true, 1).messages().get(0).deduplicationId())
        .isNotEqualTo(id);
    // snapshot rows share the snapshot's position: their keys tell two messages apart
    PgPosition snapshot = PgPosition.boundary(777);
    List<OutRecord> a = List.of(new OutRecord(TABLE, "{\"id\":1}".getBytes(StandardCharsets.UTF_8),
        "{}".getBytes(StandardCharsets.UTF_8), snapshot, false, List.of()));
    List<OutRecord> b = List.of(new OutRecord(TABLE, "{\"id\":2}".getBytes(StandardCharsets.UTF_8),
        "{}".getBytes(StandardCharsets.UTF_8), snapshot, false, List.of()));
    assertThat(SqsMessages.pack(TABLE, a, 262_144, false, 1).messages().get(0).deduplicationId())
        .isNotEqualTo(SqsMessages.pack(TABLE, b, 262_144, false, 1).messages().get(0).deduplicationId());
  }

  @Test
  void shouldMarkTheCreateOfAKeyChangeAsTheSecondEventOfItsPosition() {
    BinlogPosition at = new BinlogPosition("mariadb-bin.000003", 4711, 2, "0-1-9");
    OutRecord delete = new OutRecord(TABLE, "{\"id\":1}".getBytes(StandardCharsets.UTF_8),
        "{\"op\":\"d\"}".getBytes(StandardCharsets.UTF_8), at, true,
        List.of(new OutRecord.Header(OutRecord.NEW_KEY, "{\"id\":2}".getBytes(StandardCharsets.UTF_8))));
    OutRecord create = new OutRecord(TABLE, "{\"id\":2}".getBytes(StandardCharsets.UTF_8),
        "{\"op\":\"c\"}".getBytes(StandardCharsets.UTF_8), at, false,
        List.of(new OutRecord.Header(OutRecord.OLD_KEY, "{\"id\":1}".getBytes(StandardCharsets.UTF_8))));
    List<SqsMessages.Entry> entries = SqsMessages.unpack(
        SqsMessages.pack(TABLE, List.of(delete, create), 262_144, true, 1).messages().get(0).body());
    assertThat(entries).extracting(SqsMessages.Entry::seq).containsExactly(0, 1);
    assertThat(entries).extracting(SqsMessages.Entry::position).containsExactly(at, at);
  }

  @Test
  void shouldNameTheGroupAfterTheTableWithinSqsRules() {
    assertThat(SqsMessages.groupId(TABLE)).isEqualTo("shop.public.orders");
    assertThat(SqsMessages.groupId(new TableRef("postgresql", "shop", "d", "public", "bestellungen_über")))
        .isEqualTo("shop.public.bestellungen__ber");
    assertThat(SqsMessages.groupId(new TableRef("postgresql", "shop", "d", "public", "t".repeat(200)))).hasSize(128);
  }

  @Test
  void shouldRefuseABodyInAnotherFormatNamingTheLine() {
    assertThatThrownBy(() -> SqsMessages.unpack("{\"position\":null,\"seq\":0,\"key\":null,\"value\":{}}\n{\"x\":1}\n"))
        .hasMessageContaining("line 2").hasMessageContaining("no \"value\"");
    assertThatThrownBy(() -> SqsMessages.unpack("not base64 at all!")).hasMessageContaining("neither JSON lines nor base64");
  }
}
