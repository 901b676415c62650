package io.syncline.streams.postgres.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.persistence.Lsn;
import io.syncline.streams.postgres.pgoutput.PgMessage.Begin;
import io.syncline.streams.postgres.pgoutput.PgMessage.Commit;
import io.syncline.streams.postgres.pgoutput.PgMessage.Delete;
import io.syncline.streams.postgres.pgoutput.PgMessage.Insert;
import io.syncline.streams.postgres.pgoutput.PgMessage.LogicalMessage;
import io.syncline.streams.postgres.pgoutput.PgMessage.Origin;
import io.syncline.streams.postgres.pgoutput.PgMessage.Relation;
import io.syncline.streams.postgres.pgoutput.PgMessage.RelationColumn;
import io.syncline.streams.postgres.pgoutput.PgMessage.Truncate;
import io.syncline.streams.postgres.pgoutput.PgMessage.Type;
import io.syncline.streams.postgres.pgoutput.PgMessage.Update;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgOutputDecoderTest {

  /** 2024-01-02T03:04:05.123456Z in microseconds since 2000-01-01 (PostgreSQL's epoch). */
  private static final long PG_MICROS = 757_479_845_123_456L;
  private static final long UNIX_MICROS = 1_704_164_645_123_456L;

  /** Builds a message the way the server writes it: big-endian, NUL-terminated strings. */
  private static final class Msg {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Msg(char tag) {
      out.write(tag);
    }

    Msg i8(int v) {
      out.write(v);
      return this;
    }

    Msg i16(int v) {
      return i8(v >>> 8).i8(v);
    }

    Msg i32(int v) {
      return i16(v >>> 16).i16(v);
    }

    Msg i64(long v) {
      return i32((int) (v >>> 32)).i32((int) v);
    }

    Msg str(String s) {
      out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
      return i8(0);
    }

    Msg text(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      i8('t').i32(b.length);
      out.writeBytes(b);
      return this;
    }

    Msg bytes(byte[] b) {
      out.writeBytes(b);
      return this;
    }

    ByteBuffer buffer() {
      return ByteBuffer.wrap(out.toByteArray());
    }

    PgMessage decode() {
      return PgOutputDecoder.decode(buffer());
    }
  }

  @Test
  void shouldDecodeBeginWithUnixEpochCommitTime() {
    PgMessage m = new Msg('B').i64(0x16_B374D848L).i64(PG_MICROS).i32(0xFFFF_FFFE).decode();
    assertThat(m).isEqualTo(new Begin(new Lsn(0x16_B374D848L), UNIX_MICROS, 0xFFFF_FFFEL));
    assertThat(((Begin) m).finalLsn()).hasToString("16/B374D848");
  }

  @Test
  void shouldDecodeCommit() {
    PgMessage m = new Msg('C').i8(0).i64(100).i64(180).i64(PG_MICROS).decode();
    assertThat(m).isEqualTo(new Commit(0, new Lsn(100), new Lsn(180), UNIX_MICROS));
  }

  @Test
  void shouldDecodeOrigin() {
    assertThat(new Msg('O').i64(77).str("node_a").decode()).isEqualTo(new Origin(new Lsn(77), "node_a"));
  }

  @Test
  void shouldDecodeRelationWithKeyFlagsAndTypeModifiers() {
    PgMessage m = new Msg('R').i32(16_385).str("public").str("orders").i8('d').i16(3)
        .i8(1).str("id").i32(20).i32(-1)
        .i8(0).str("amount").i32(1700).i32((12 << 16 | 2) + 4)
        .i8(0).str("note ✓").i32(25).i32(-1)
        .decode();
    assertThat(m).isEqualTo(new Relation(16_385, "public", "orders", 'd', List.of(
        new RelationColumn(true, "id", 20, -1),
        new RelationColumn(false, "amount", 1700, (12 << 16 | 2) + 4),
        new RelationColumn(false, "note ✓", 25, -1))));
  }

  @Test
  void shouldNamePgCatalogWhenTheNamespaceIsEmpty() {
    Relation r = (Relation) new Msg('R').i32(1).str("").str("t").i8('n').i16(0).decode();
    assertThat(r.namespace()).isEqualTo("pg_catalog");
    assertThat(r.replicaIdentity()).isEqualTo('n');
    assertThat(r.columns()).isEmpty();
  }

  @Test
  void shouldDecodeType() {
    assertThat(new Msg('Y').i32(16_390).str("public").str("mood").decode())
        .isEqualTo(new Type(16_390, "public", "mood"));
  }

  @Test
  void shouldDecodeInsertWithNullUnchangedTextAndBinaryColumns() {
    Insert m = (Insert) new Msg('I').i32(16_385).i8('N').i16(4)
        .text("42").i8('n').i8('u').i8('b').i32(2).bytes(new byte[] {1, 2})
        .decode();
    TupleData t = m.newTuple();
    assertThat(m.relationOid()).isEqualTo(16_385);
    assertThat(t.size()).isEqualTo(4);
    assertThat(t.kind(0)).isEqualTo(TupleData.TEXT);
    assertThat(t.text(0)).isEqualTo("42");
    assertThat(t.isNull(1)).isTrue();
    assertThat(t.text(1)).isNull();
    assertThat(t.isUnchangedToast(2)).isTrue();
    assertThat(t.kind(3)).isEqualTo(TupleData.BINARY);
    assertThat(t.binary(3)).containsExactly(1, 2);
    assertThat(t.binary(0)).isNull();
  }

  @Test
  void shouldDecodeMultiByteTextAndEmptyStrings() {
    Insert m = (Insert) new Msg('I').i32(1).i8('N').i16(2).text("Grüße, 世界 🚀").text("").decode();
    assertThat(m.newTuple()).isEqualTo(TupleData.ofTexts("Grüße, 世界 🚀", ""));
  }

  @Test
  void shouldDecodeFromABufferWithAnArrayOffsetWithoutMovingItsPosition() {
    byte[] msg = new Msg('I').i32(1).i8('N').i16(1).text("abc").buffer().array();
    byte[] padded = new byte[msg.length + 5];
    System.arraycopy(msg, 0, padded, 3, msg.length);
    ByteBuffer slice = ByteBuffer.wrap(padded, 3, msg.length).slice();
    Insert m = (Insert) PgOutputDecoder.decode(slice);
    assertThat(m.newTuple().text(0)).isEqualTo("abc");
    assertThat(slice.position()).isZero();
  }

  @Test
  void shouldDecodeUpdateWithoutOldTuple() {
    Update m = (Update) new Msg('U').i32(7).i8('N').i16(2).text("1").i8('u').decode();
    assertThat(m).isEqualTo(new Update(7, (char) 0, null, new TupleData(new byte[] {'t', 'u'}, new String[] {"1", null}, null)));
  }

  @Test
  void shouldDecodeUpdateWithOldKey() {
    Update m = (Update) new Msg('U').i32(7).i8('K').i16(2).text("1").i8('n')
        .i8('N').i16(2).text("2").text("x").decode();
    assertThat(m.oldKind()).isEqualTo('K');
    assertThat(m.oldTuple()).isEqualTo(TupleData.ofTexts("1", null));
    assertThat(m.newTuple()).isEqualTo(TupleData.ofTexts("2", "x"));
  }

  @Test
  void shouldDecodeUpdateWithWholeOldRow() {
    Update m = (Update) new Msg('U').i32(7).i8('O').i16(1).text("old")
        .i8('N').i16(1).text("new").decode();
    assertThat(m.oldKind()).isEqualTo('O');
    assertThat(m.oldTuple().text(0)).isEqualTo("old");
    assertThat(m.newTuple().text(0)).isEqualTo("new");
  }

  @Test
  void shouldDecodeDeleteWithKeyAndWithWholeRow() {
    assertThat(new Msg('D').i32(9).i8('K').i16(2).text("5").i8('n').decode())
        .isEqualTo(new Delete(9, 'K', TupleData.ofTexts("5", null)));
    assertThat(new Msg('D').i32(9).i8('O').i16(2).text("5").text("v").decode())
        .isEqualTo(new Delete(9, 'O', TupleData.ofTexts("5", "v")));
  }

  @Test
  void shouldDecodeTruncateOfSeveralRelationsWithOptions() {
    Truncate m = (Truncate) new Msg('T').i32(3).i8(3).i32(16_385).i32(16_390).i32(-5).decode();
    assertThat(m.relationOids()).containsExactly(16_385, 16_390, -5);
    assertThat(m.cascade()).isTrue();
    assertThat(m.restartIdentity()).isTrue();
    assertThat(m).isEqualTo(new Truncate(3, new int[] {16_385, 16_390, -5}));

    Truncate plain = (Truncate) new Msg('T').i32(1).i8(0).i32(1).decode();
    assertThat(plain.cascade()).isFalse();
    assertThat(plain.restartIdentity()).isFalse();
    Truncate restartOnly = (Truncate) new Msg('T').i32(1).i8(2).i32(1).decode();
    assertThat(restartOnly.cascade()).isFalse();
    assertThat(restartOnly.restartIdentity()).isTrue();
  }

  @Test
  void shouldDecodeTransactionalAndNonTransactionalMessages() {
    byte[] content = {0, 1, 2, (byte) 0xFF};
    LogicalMessage tx = (LogicalMessage) new Msg('M').i8(1).i64(500).str("syncline.heartbeat")
        .i32(4).bytes(content).decode();
    assertThat(tx).isEqualTo(new LogicalMessage(1, new Lsn(500), "syncline.heartbeat", content.clone()));
    assertThat(tx.transactional()).isTrue();

    LogicalMessage nonTx = (LogicalMessage) new Msg('M').i8(0).i64(501).str("p").i32(0).decode();
    assertThat(nonTx.transactional()).isFalse();
    assertThat(nonTx.content()).isEmpty();
    assertThat(nonTx.toString()).doesNotContain("[0, 1");
  }

  @Test
  void shouldNeverPrintValuesInToString() {
    Insert m = (Insert) new Msg('I').i32(1).i8('N').i16(3).text("secret-value").i8('n').i8('u').decode();
    assertThat(m.toString()).doesNotContain("secret-value").contains("tnu");
  }

  @Test
  void shouldRejectUnknownTagNamingIt() {
    assertThatThrownBy(() -> new Msg('Z').decode())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Z'").hasMessageContaining("0x5A");
    assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.wrap(new byte[] {(byte) 0x99})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0x99");
  }

  @Test
  void shouldRejectStreamingAndTwoPhaseMessagesNamingTheProtocolVersion() {
    for (char tag : new char[] {'S', 'E', 'c', 'A'}) {
      assertThatThrownBy(() -> new Msg(tag).i32(1).i8(1).decode())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + tag + "'").hasMessageContaining("proto_version=1");
    }
    assertThatThrownBy(() -> new Msg('P').decode()).hasMessageContaining("two_phase");
  }

  @Test
  void shouldRejectTruncatedMessagesNamingTheType() {
    assertThatThrownBy(() -> new Msg('B').i64(1).decode())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Begin");
    assertThatThrownBy(() -> new Msg('I').i32(1).i8('N').i16(1).i8('t').i32(10).bytes(new byte[] {1}).decode())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("column 0");
    assertThatThrownBy(() -> new Msg('R').i32(1).str("public").bytes(new byte[] {'t'}).decode())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unterminated");
    assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.allocate(0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
  }

  @Test
  void shouldRejectUnknownTupleKindAndMissingMarkers() {
    assertThatThrownBy(() -> new Msg('I').i32(1).i8('N').i16(2).text("1").i8('x').decode())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'").hasMessageContaining("column 1");
    assertThatThrownBy(() -> new Msg('I').i32(1).i8('K').i16(0).decode())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 'N'");
    assertThatThrownBy(() -> new Msg('U').i32(1).i8('X').decode())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'K', 'O' or 'N'");
    assertThatThrownBy(() -> new Msg('D').i32(1).i8('N').i16(0).decode())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'K' or 'O'");
  }
}
