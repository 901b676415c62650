package io.syncline.streams.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.bson.BsonBinary;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.junit.jupiter.api.Test;

/**
 * Decoding resume tokens: the cluster time and the kind. The tokens below were returned by MongoDB
 * servers, as published with the decoders that read them (mongodb-js/mongodb-resumetoken-decoder's
 * tests, Airbyte's MongoDB source tests, a trace of a mongos reply); the version-2 high-water mark is
 * built by the server's rules ({@code resume_token.cpp}: a null UUID from version 2 on), no observed
 * one being at hand. No real {@code mongod} runs here.
 */
class MongoResumeTokenTest {

  private static Optional<MongoResumeToken> decode(String data) {
    return MongoResumeToken.decode(new BsonDocument("_data", new BsonString(data)));
  }

  private static MongoResumeToken token(long seconds, long increment, int version, MongoResumeToken.Kind kind) {
    return new MongoResumeToken(new BsonTimestamp((int) seconds, (int) increment), version, kind);
  }

  @Test
  void shouldReadTheClusterTimeOfAPostBatchHighWaterMark() {
    // a replica set's post-batch resume token (mongodb-resumetoken-decoder: "can decode non-document resume tokens")
    assertThat(decode("82612F653E000000022B0229296E04"))
        .contains(token(1630496062, 2, 1, MongoResumeToken.Kind.HIGH_WATER_MARK));
    // Airbyte's MongoDB source tests
    assertThat(decode("8264BEB9F3000000012B0229296E04"))
        .contains(token(0x64BEB9F3L, 1, 1, MongoResumeToken.Kind.HIGH_WATER_MARK));
    // the first reply of a change stream on mongos before any shard answered: Timestamp(1, 0)
    assertThat(decode("8200000001000000002B0229296E04"))
        .contains(token(1, 0, 1, MongoResumeToken.Kind.HIGH_WATER_MARK));
    // version 2 (MongoDB 6.0+ by default): the UUID is an explicit null (type byte 20)
    assertThat(decode("8266543210000000072B0429296E1404"))
        .contains(token(0x66543210L, 7, 2, MongoResumeToken.Kind.HIGH_WATER_MARK));
  }

  @Test
  void shouldTellAnEventTokenFromAHighWaterMark() {
    // version 1, an insert of {_id: '___x'} (the decoder's README)
    assertThat(decode("82612E8513000000012B022C0100296E5A1004A5093ABB38FE4B9EA67F01BB1A96D812463C5F6964003C5F5F5F78"
        + "000004")).contains(token(1630438675, 1, 1, MongoResumeToken.Kind.EVENT));
    // version 2, operationType and documentKey as the event identifier (the decoder's test "can decode new resume tokens")
    assertThat(decode("826275077A000000012B042C0100296E5A1004BFFDB617400E486099007C0E0048B305463C6F7065726174696F6E5479"
        + "7065003C696E736572740046646F63756D656E744B65790046645F696400646275077A2F3159F971E405C6000004"))
        .contains(token(1651836794, 1, 2, MongoResumeToken.Kind.EVENT));
  }

  @Test
  void shouldReadTheSecondsAsUnsigned() {
    assertThat(decode("82FFFFFFFF000000012B0229296E04")).hasValueSatisfying(t -> {
      assertThat(Integer.toUnsignedLong(t.clusterTime().getTime())).isEqualTo(0xFFFFFFFFL);
      assertThat(t.kind()).isEqualTo(MongoResumeToken.Kind.HIGH_WATER_MARK);
    });
  }

  @Test
  void shouldNotGuessWhatItDoesNotKnow() {
    // a version-0 token (MongoDB 4.0.0 to 4.0.6) has no token type
    assertThat(decode("825C0A1B2C000000012929")).contains(token(0x5C0A1B2CL, 1, 0, MongoResumeToken.Kind.UNKNOWN));
    // a token type other than 0 and 128
    assertThat(decode("82612F653E000000022B022B02296E04")).hasValueSatisfying(t ->
        assertThat(t.kind()).isEqualTo(MongoResumeToken.Kind.UNKNOWN));
    // the version is not an integer (a fraction follows)
    assertThat(decode("82612F653E000000022B03")).hasValueSatisfying(t ->
        assertThat(t.kind()).isEqualTo(MongoResumeToken.Kind.UNKNOWN));
    // ends after the timestamp
    assertThat(decode("82612F653E00000002")).hasValueSatisfying(t ->
        assertThat(t.kind()).isEqualTo(MongoResumeToken.Kind.UNKNOWN));
  }

  @Test
  void shouldDecodeNothingFromTokensOfAnotherForm() {
    // the embedded imitation (mongo-java-server): the oplog timestamp as a hex number
    assertThat(decode("6612abcd00000001")).isEmpty();
    assertThat(decode("not hex")).isEmpty();
    assertThat(decode("82612F")).isEmpty(); // shorter than a timestamp
    assertThat(decode("")).isEmpty();
    // MongoDB 3.6: BinData
    assertThat(MongoResumeToken.decode(new BsonDocument("_data", new BsonBinary(new byte[] {(byte) 0x82, 1, 2}))))
        .isEmpty();
    assertThat(MongoResumeToken.decode(new BsonDocument())).isEmpty();
    assertThat(MongoResumeToken.decode(null)).isEmpty();
  }
}
