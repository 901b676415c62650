package io.syncline.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class PositionTest {

  @Test
  void shouldOrderBinlogPositionsByFileNumberThenOffsetThenRow() {
    BinlogPosition a = new BinlogPosition("mariadb-bin.000009", 900, 3, null);
    BinlogPosition b = new BinlogPosition("mariadb-bin.000010", 4, 1, null);
    BinlogPosition c = new BinlogPosition("mariadb-bin.000010", 4, BinlogPosition.COMPLETE, "0-1-77");
    assertThat(b.isAfter(a)).isTrue(); // .000010 after .000009 although "4" < "900"
    assertThat(c.isAfter(b)).isTrue();
    assertThat(a.isAfter(c)).isFalse();
    assertThat(c.display()).isEqualTo("mariadb-bin.000010:4 (0-1-77)");
  }

  @Test
  void shouldOrderLsnsUnsigned() {
    assertThat(new Lsn(-1L).isAfter(new Lsn(1L))).isTrue();
    assertThat(Lsn.parse("16/B374D848").toString()).isEqualTo("16/B374D848");
    assertThat(new PgPosition(Lsn.parse("0/100").value(), 2).isAfter(new PgPosition(Lsn.parse("0/100").value(), 1))).isTrue();
  }

  @Test
  void shouldRefuseToOrderPositionsOfDifferentSources() {
    assertThatThrownBy(() -> new PgPosition(1, 1).isAfter(new BinlogPosition("b.000001", 4, 1, null)))
        .hasMessageContaining("cannot order a PostgreSQL position against BinlogPosition");
  }

  @Test
  void shouldRoundTripThroughJsonWithTheirTypeNames() throws Exception {
    ObjectMapper json = new ObjectMapper();
    SourcePosition binlog = new BinlogPosition("mariadb-bin.000003", 1234, 5, "0-1-9", "0-1-8,1-2-3");
    String text = json.writeValueAsString(binlog);
    assertThat(text).contains("\"kind\":\"binlog\"");
    assertThat(json.readValue(text, SourcePosition.class)).isEqualTo(binlog);
    // written before resumeGtids existed: still reads, with no GTID state
    assertThat(json.readValue("{\"kind\":\"binlog\",\"file\":\"mariadb-bin.000003\",\"offset\":1234,\"index\":5,"
        + "\"gtid\":\"0-1-9\"}", SourcePosition.class)).isEqualTo(new BinlogPosition("mariadb-bin.000003", 1234, 5, "0-1-9"));
    String pg = json.writeValueAsString(new PgPosition(42, PgPosition.COMPLETE));
    assertThat(pg).contains("\"kind\":\"pg\"");
    assertThat(json.readValue(pg, SourcePosition.class)).isEqualTo(new PgPosition(42, PgPosition.COMPLETE));
  }

  @Test
  void shouldOrderMongoPositionsByClusterTimeThenIndexAndRoundTrip() throws Exception {
    MongoPosition a = new MongoPosition(1700000000, 5, 2, "{\"_data\": \"82AB\"}");
    MongoPosition b = new MongoPosition(1700000000, 6, 0, null);
    MongoPosition c = new MongoPosition(1700000001, 1, MongoPosition.COMPLETE, null);
    assertThat(b.isAfter(a)).isTrue();
    assertThat(c.isAfter(b)).isTrue();
    assertThat(a.isAfter(new MongoPosition(1700000000, 5, 1, null))).isTrue();
    assertThat(a.display()).isEqualTo("Timestamp(1700000000, 5)#2");
    ObjectMapper json = new ObjectMapper();
    String text = json.writeValueAsString(a);
    assertThat(text).contains("\"kind\":\"mongo\"");
    assertThat(json.readValue(text, SourcePosition.class)).isEqualTo(a);
  }
}
