package io.syncline.streams.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.persistence.MongoPosition;
import io.syncline.streams.envelope.EnvelopeEncoder;
import io.syncline.streams.event.ChangeEvent;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.TableRef;
import java.nio.charset.StandardCharsets;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

class MongoChangeDecoderTest {

  private final MongoChangeDecoder decoder = new MongoChangeDecoder("m");

  private static BsonDocument insert(String db, String coll, String fullDocument) {
    return BsonDocument.parse("{\"_id\": {\"_data\": \"82AA\"}, \"operationType\": \"insert\","
        + " \"clusterTime\": {\"$timestamp\": {\"t\": 100, \"i\": 3}},"
        + " \"ns\": {\"db\": \"" + db + "\", \"coll\": \"" + coll + "\"},"
        + (fullDocument == null ? "" : " \"fullDocument\": " + fullDocument + ",")
        + " \"documentKey\": {\"_id\": 1}}");
  }

  private ChangeEvent change(BsonDocument event) {
    return ((MongoChangeDecoder.Decoded.Change) decoder.decode(event, 1)).event();
  }

  @Test
  void tableIsTheDatabaseAsSchemaAndTheCollection() {
    assertThat(MongoChangeDecoder.table("m", "shop", "orders"))
        .isEqualTo(new TableRef("mongodb", "m", "shop", "shop", "orders"));
  }

  @Test
  void documentsOfTheSameShapeShareOneSchemaAndOneTable() {
    ChangeEvent a = change(insert("shop", "orders", "{\"_id\": 1, \"x\": 1}"));
    ChangeEvent b = change(insert("shop", "orders", "{\"_id\": 2, \"x\": \"other type\"}"));
    ChangeEvent c = change(insert("shop", "orders", "{\"x\": 3, \"_id\": 3}"));
    assertThat(b.after().schema()).isSameAs(a.after().schema());
    assertThat(c.after().schema()).isNotEqualTo(a.after().schema());
    assertThat(c.after().schema().keyIndex(0)).isEqualTo(1);
    assertThat(b.table()).isSameAs(a.table());
  }

  @Test
  void withoutWallTimeTheCommitTimeIsTheClusterTimeSecond() {
    ChangeEvent e = change(insert("shop", "orders", "{\"_id\": 1}"));
    assertThat(e.commitMicros()).isEqualTo(100_000_000L);
    assertThat(e.position()).isEqualTo(new MongoPosition(100, 3, 1, "{\"_data\": \"82AA\"}"));
    assertThat(e.txId()).isNull();
    assertThat(e.txOrder()).isZero();
  }

  @Test
  void aSnapshotReadIsOpRWithTheSnapshotFlag() {
    TableRef t = MongoChangeDecoder.table("m", "shop", "orders");
    MongoPosition at = new MongoPosition(100, 3, 0, null);
    ChangeEvent e = decoder.snapshotRead(t, BsonDocument.parse("{\"_id\": {\"$oid\": \"659f0e1a2b3c4d5e6f708192\"},"
        + " \"d\": {\"$numberDecimal\": \"1.0\"}}"), at, 7_000L);
    assertThat(e.op()).isEqualTo(Op.READ);
    assertThat(e.snapshot()).isTrue();
    EnvelopeEncoder encoder = new EnvelopeEncoder(() -> 0L);
    assertThat(new String(encoder.encodeValue(e), StandardCharsets.UTF_8)).isEqualTo("{\"before\":null,"
        + "\"after\":{\"_id\":\"659f0e1a2b3c4d5e6f708192\",\"d\":\"1.0\"},\"source\":{\"version\":\"0.1.0\","
        + "\"connector\":\"mongodb\",\"name\":\"m\",\"ts_ms\":7,\"ts_us\":7000,\"snapshot\":\"true\",\"db\":\"shop\","
        + "\"collection\":\"orders\",\"ord\":3},\"op\":\"r\",\"ts_ms\":0,\"ts_us\":0,\"transaction\":null}");
    assertThat(new String(encoder.encodeKey(e), StandardCharsets.UTF_8))
        .isEqualTo("{\"_id\":\"659f0e1a2b3c4d5e6f708192\"}");
  }

  @Test
  void aDocumentWithoutIdHasNoKey() {
    TableRef t = MongoChangeDecoder.table("m", "shop", "orders");
    ChangeEvent e = decoder.snapshotRead(t, BsonDocument.parse("{\"a\": 1}"), new MongoPosition(1, 1, 0, null), 0);
    assertThat(new EnvelopeEncoder().encodeKey(e)).isNull();
  }

  @Test
  void anInsertWithoutItsDocumentNamesTheCollectionButNoData() {
    assertThatThrownBy(() -> decoder.decode(insert("shop", "orders", null), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("insert event on shop.orders has no 'fullDocument'");
  }

  @Test
  void malformedEventsAreRefusedWithoutTheirContent() {
    BsonDocument noClusterTime = insert("shop", "orders", "{\"_id\": 1, \"secret\": \"s3cr3t\"}");
    noClusterTime.remove("clusterTime");
    assertThatThrownBy(() -> decoder.decode(noClusterTime, 1))
        .hasMessageContaining("'insert' on shop.orders has no timestamp 'clusterTime'")
        .hasMessageNotContaining("s3cr3t");
    BsonDocument noNs = insert("shop", "orders", "{\"_id\": 1}");
    noNs.remove("ns");
    assertThatThrownBy(() -> decoder.decode(noNs, 1)).hasMessageContaining("has no 'ns.db' and 'ns.coll'");
    BsonDocument noOp = insert("shop", "orders", "{\"_id\": 1}");
    noOp.remove("operationType");
    assertThatThrownBy(() -> decoder.decode(noOp, 1)).hasMessageContaining("no string 'operationType'");
    BsonDocument update = insert("shop", "orders", null);
    update.put("operationType", new org.bson.BsonString("update"));
    assertThatThrownBy(() -> decoder.decode(update, 1))
        .hasMessageContaining("update event on shop.orders has no 'updateDescription'");
  }

  @Test
  void anUpdateWithTheFullDocumentButNoDescriptionIsAnUpdateWithoutOne() {
    // what the wire-compatible imitation sends with updateLookup; MongoDB itself always describes the update
    BsonDocument update = insert("shop", "orders", "{\"_id\": 1, \"status\": \"paid\"}");
    update.put("operationType", new org.bson.BsonString("update"));
    ChangeEvent e = change(update);
    assertThat(e.op()).isEqualTo(io.syncline.streams.event.Op.UPDATE);
    assertThat(e.after()).isNotNull();
    assertThat(e.updateDescription()).isNull();
  }

  @Test
  void theIndexIsOneBased() {
    assertThatThrownBy(() -> decoder.decode(insert("shop", "orders", "{\"_id\": 1}"), 0))
        .hasMessageContaining("must be 1 or more");
  }

  @Test
  void aSessionIdThatIsNoUuidStillMakesATransactionId() {
    BsonDocument e = insert("shop", "orders", "{\"_id\": 1}");
    e.put("lsid", BsonDocument.parse("{\"id\": {\"$binary\": {\"base64\": \"AQID\", \"subType\": \"00\"}}}"));
    e.put("txnNumber", new org.bson.BsonInt64(4));
    ChangeEvent c = change(e);
    assertThat(c.txId()).isEqualTo("AQID:4");
    assertThat(c.txOrder()).isEqualTo(1);
    assertThat(new String(new EnvelopeEncoder().encodeValue(c), StandardCharsets.UTF_8))
        .contains("\"ord\":3,\"lsid\":\"AQID\",\"txnNumber\":4}");
  }
}
