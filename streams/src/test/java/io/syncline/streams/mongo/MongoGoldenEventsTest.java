package io.syncline.streams.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncline.persistence.MongoPosition;
import io.syncline.streams.envelope.EnvelopeEncoder;
import io.syncline.streams.event.ChangeEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden tests of the decoder and the envelope: change events in the shapes of MongoDB's manual
 * (reference/change-events), as canonical Extended JSON in {@code golden/mongo/<case>.event.json}
 * ({@code {"index": n, "event": {...}}}), decoded and encoded, compared with
 * {@code <case>.expected.json}. These shapes are verified only against the documentation: no real
 * mongod is available to the tests (see docs/mongodb-source.md).
 */
class MongoGoldenEventsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long NOW = 1_705_300_000_000_000L;

  @ParameterizedTest
  @ValueSource(strings = {
    "insert", "insert_all_types", "update_delta", "update_lookup", "update_lookup_deleted", "update_pre_post_images",
    "replace", "delete", "delete_pre_image", "drop", "rename", "dropDatabase", "invalidate", "transaction_insert",
    "create_expanded"
  })
  void decodesAndEncodesTheDocumentedEventShape(String name) throws IOException {
    BsonDocument input = BsonDocument.parse(resource(name + ".event.json"));
    MongoChangeDecoder decoder = new MongoChangeDecoder("mongo1");
    MongoChangeDecoder.Decoded decoded = decoder.decode(input.getDocument("event"), input.getNumber("index").longValue());

    JsonNode actual = JSON.readTree(JSON.writeValueAsString(describe(decoded))); // number nodes as a parser makes them
    String expectedText = resourceOrNull(name + ".expected.json");
    if (expectedText == null) {
      fail("no golden file " + name + ".expected.json; this run produced:\n"
          + JSON.writerWithDefaultPrettyPrinter().writeValueAsString(actual));
    }
    JsonNode expected = JSON.readTree(expectedText);
    if (!actual.equals(expected)) {
      fail(name + " differs from its golden file; this run produced:\n"
          + JSON.writerWithDefaultPrettyPrinter().writeValueAsString(actual));
    }
  }

  @Test
  void theAllTypesDocumentHoldsEveryBsonType() throws IOException {
    BsonDocument doc = BsonDocument.parse(resource("insert_all_types.event.json"))
        .getDocument("event").getDocument("fullDocument");
    Set<BsonType> seen = EnumSet.noneOf(BsonType.class);
    collect(doc, seen);
    Set<BsonType> all = EnumSet.allOf(BsonType.class);
    all.remove(BsonType.END_OF_DOCUMENT);
    assertThat(seen).containsAll(all);
  }

  private static void collect(BsonValue v, Set<BsonType> seen) {
    seen.add(v.getBsonType());
    if (v.isDocument()) {
      v.asDocument().values().forEach(x -> collect(x, seen));
    } else if (v.isArray()) {
      v.asArray().forEach(x -> collect(x, seen));
    }
  }

  private static JsonNode describe(MongoChangeDecoder.Decoded decoded) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    out.put("decoded", decoded.getClass().getSimpleName());
    MongoPosition p = decoded.position();
    ObjectNode position = out.putObject("position");
    position.put("seconds", p.seconds());
    position.put("increment", p.increment());
    position.put("index", p.index());
    position.put("resumeToken", p.resumeToken());
    if (decoded instanceof MongoChangeDecoder.Decoded.Change c) {
      envelope(out, c.event());
    } else if (decoded instanceof MongoChangeDecoder.Decoded.Dropped d) {
      out.put("table", d.table().toString());
      envelope(out, d.truncate());
    } else if (decoded instanceof MongoChangeDecoder.Decoded.Renamed r) {
      out.put("from", r.from().toString());
      out.put("to", r.to().toString());
      envelope(out, r.truncate());
    } else if (decoded instanceof MongoChangeDecoder.Decoded.DatabaseDropped d) {
      out.put("database", d.database());
      out.put("commitMicros", d.commitMicros());
    } else if (decoded instanceof MongoChangeDecoder.Decoded.Invalidated i) {
      out.put("commitMicros", i.commitMicros());
    } else if (decoded instanceof MongoChangeDecoder.Decoded.Ignored i) {
      out.put("operationType", i.operationType());
    }
    return out;
  }

  private static void envelope(ObjectNode out, ChangeEvent event) throws IOException {
    EnvelopeEncoder encoder = new EnvelopeEncoder(() -> NOW);
    byte[] key = encoder.encodeKey(event);
    out.set("key", key == null ? null : JSON.readTree(key));
    out.set("value", JSON.readTree(encoder.encodeValue(event)));
  }

  private static String resource(String name) throws IOException {
    String text = resourceOrNull(name);
    if (text == null) {
      throw new IOException("no test resource golden/mongo/" + name);
    }
    return text;
  }

  private static String resourceOrNull(String name) throws IOException {
    try (InputStream in = MongoGoldenEventsTest.class.getResourceAsStream("/golden/mongo/" + name)) {
      return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
