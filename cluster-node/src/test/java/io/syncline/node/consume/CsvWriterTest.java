package io.syncline.node.consume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.streams.transport.TornTail;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvWriterTest {

  private static final String SOURCE = "\"source\":{\"connector\":\"postgresql\",\"ts_ms\":1700000000123,\"table\":\"t\"}";

  @TempDir
  Path dir;

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] envelope(String op, String before, String after) {
    return bytes("{\"before\":" + before + ",\"after\":" + after + "," + SOURCE + ",\"op\":\"" + op
        + "\",\"ts_ms\":1700000000999,\"transaction\":null}");
  }

  private String read(String file) throws Exception {
    return Files.readString(dir.resolve(file));
  }

  @Test
  void shouldQuoteByRfc4180WriteNullsAsEmptyCellsAndJsonAsItsText() throws Exception {
    try (CsvWriter w = CsvWriter.open(dir)) {
      w.append(0, 7, bytes("{\"id\":1}"), envelope("c", "null",
          "{\"id\":1,\"name\":\"a,\\\"b\\\"\\nc\",\"empty\":\"\",\"none\":null,\"doc\":{\"k\":[1, 2],\"s\":\"x,y\"},"
              + "\"arr\":[1,\"z\"],\"amount\":\"12.50\",\"ratio\":1.5e3,\"ok\":true,\"uni\":\"é→\"}"));
      w.flush();
    }
    assertThat(read("inserts.csv")).isEqualTo(
        "_op,_ts_ms,_partition,_offset,id,name,empty,none,doc,arr,amount,ratio,ok,uni\r\n"
            + "c,1700000000123,0,7,1,\"a,\"\"b\"\"\nc\",\"\",,\"{\"\"k\"\":[1, 2],\"\"s\"\":\"\"x,y\"\"}\","
            + "\"[1,\"\"z\"\"]\",12.50,1.5e3,true,é→\r\n");
    assertThat(read("deletes.csv")).isEmpty();
  }

  @Test
  void shouldWriteAnUpdateAsADeleteOfTheKeyAndAnInsertOfTheNewRowAtTheSameOffset() throws Exception {
    try (CsvWriter w = CsvWriter.open(dir)) {
      w.append(2, 40, bytes("{\"id\":5}"), envelope("r", "null", "{\"id\":5,\"v\":\"old\"}"));
      // PostgreSQL without REPLICA IDENTITY FULL: before is null, the key identifies the old row
      w.append(2, 41, bytes("{\"id\":5}"), envelope("u", "null", "{\"id\":5,\"v\":\"new\"}"));
      // ... and a delete carries the key columns in before
      w.append(2, 42, bytes("{\"id\":5}"), envelope("d", "{\"id\":5}", "null"));
      w.append(2, 43, bytes("{\"id\":5}"), null); // tombstone: nothing
      w.flush();
      assertThat(w.tombstones()).isEqualTo(1);
    }
    assertThat(read("inserts.csv")).isEqualTo("_op,_ts_ms,_partition,_offset,id,v\r\n"
        + "r,1700000000123,2,40,5,old\r\n"
        + "u,1700000000123,2,41,5,new\r\n");
    assertThat(read("deletes.csv")).isEqualTo("_op,_ts_ms,_partition,_offset,id\r\n"
        + "u,1700000000123,2,41,5\r\n"
        + "d,1700000000123,2,42,5\r\n");
  }

  @Test
  void shouldWriteTheWholeBeforeImageOfAnUpdateWhenTheSourceSendsIt() throws Exception {
    try (CsvWriter w = CsvWriter.open(dir)) {
      // MariaDB (and PostgreSQL with REPLICA IDENTITY FULL): the whole row before the change
      w.append(1, 9, bytes("{\"id\":6}"), envelope("u", "{\"id\":6,\"v\":\"a\"}", "{\"id\":6,\"v\":\"b\"}"));
      w.flush();
    }
    assertThat(read("deletes.csv")).isEqualTo("_op,_ts_ms,_partition,_offset,id,v\r\nu,1700000000123,1,9,6,a\r\n");
    assertThat(read("inserts.csv")).isEqualTo("_op,_ts_ms,_partition,_offset,id,v\r\nu,1700000000123,1,9,6,b\r\n");
  }

  @Test
  void shouldWriteATruncateAsADeletesRowWithEmptyCells() throws Exception {
    try (CsvWriter w = CsvWriter.open(dir)) {
      w.append(0, 1, bytes("{\"id\":1}"), envelope("d", "{\"id\":1,\"v\":\"x\"}", "null"));
      w.append(0, 2, null, bytes("{\"before\":null,\"after\":null," + SOURCE + ",\"op\":\"t\"}"));
      w.flush();
    }
    assertThat(read("deletes.csv")).isEqualTo("_op,_ts_ms,_partition,_offset,id,v\r\n"
        + "d,1700000000123,0,1,1,x\r\n"
        + "t,1700000000123,0,2,,\r\n");
  }

  @Test
  void shouldRotateTheFileWhenRowsGainAColumnAndPlaceFewerColumnsByName() throws Exception {
    try (CsvWriter w = CsvWriter.open(dir)) {
      w.append(0, 1, null, envelope("c", "null", "{\"id\":1,\"a\":\"x\"}"));
      w.append(0, 2, null, envelope("c", "null", "{\"a\":\"y\",\"id\":2}"));
      w.append(0, 3, null, envelope("c", "null", "{\"id\":3}"));
      w.append(0, 4, null, envelope("c", "null", "{\"id\":4,\"a\":\"z\",\"b\":true}"));
      w.flush();
    }
    assertThat(read("inserts.1.csv")).isEqualTo("_op,_ts_ms,_partition,_offset,id,a\r\n"
        + "c,1700000000123,0,1,1,x\r\nc,1700000000123,0,2,2,y\r\nc,1700000000123,0,3,3,\r\n");
    assertThat(read("inserts.csv")).isEqualTo("_op,_ts_ms,_partition,_offset,id,a,b\r\n"
        + "c,1700000000123,0,4,4,z,true\r\n");
  }

  @Test
  void shouldReadDebeziumEnvelopesWithSchemasEnabled() throws Exception {
    try (CsvWriter w = CsvWriter.open(dir)) {
      w.append(0, 1, bytes("{\"schema\":{\"type\":\"struct\"},\"payload\":{\"id\":9}}"),
          bytes("{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":{\"before\":null,\"after\":null,"
              + SOURCE + ",\"op\":\"d\"}}"));
      w.flush();
    }
    assertThat(read("deletes.csv")).isEqualTo("_op,_ts_ms,_partition,_offset,id\r\nd,1700000000123,0,1,9\r\n");
  }

  @Test
  void shouldAppendAfterARestartAndCutATornRecordEvenInsideAQuotedLineBreak() throws Exception {
    try (CsvWriter w = CsvWriter.open(dir)) {
      w.append(0, 1, null, envelope("c", "null", "{\"id\":1,\"v\":\"a\\nb\"}"));
      w.flush();
    }
    Path inserts = dir.resolve("inserts.csv");
    // a kill -9 in the middle of the next write: the cut falls after a line break inside quotes
    Files.writeString(inserts, "c,1700000000123,0,2,2,\"first line\r\nsecond", java.nio.file.StandardOpenOption.APPEND);
    try (CsvWriter w = CsvWriter.open(dir)) {
      w.append(0, 2, null, envelope("c", "null", "{\"id\":2,\"v\":\"first line\\r\\nsecond\"}"));
      w.flush();
    }
    assertThat(read("inserts.csv")).isEqualTo("_op,_ts_ms,_partition,_offset,id,v\r\n"
        + "c,1700000000123,0,1,1,\"a\nb\"\r\n"
        + "c,1700000000123,0,2,2,\"first line\r\nsecond\"\r\n");
  }

  @Test
  void shouldCutOnlyTheTornTailOfACsvFile() throws Exception {
    Path f = dir.resolve("x.csv");
    Files.writeString(f, "a,b\r\n1,\"x\"\"\ny\"\r\n2,\"open");
    assertThat(TornTail.dropTornLastCsvRecord(f)).isEqualTo(7);
    assertThat(Files.readString(f)).isEqualTo("a,b\r\n1,\"x\"\"\ny\"\r\n");
    assertThat(TornTail.dropTornLastCsvRecord(f)).isZero();
    Files.writeString(f, "a,b");
    TornTail.dropTornLastCsvRecord(f);
    assertThat(Files.readString(f)).isEmpty();
  }

  @Test
  void shouldRefuseAFileItDidNotWriteAndRecordsThatAreNoEnvelope() throws Exception {
    Files.writeString(dir.resolve("inserts.csv"), "id,name\r\n1,x\r\n");
    assertThatThrownBy(() -> CsvWriter.open(dir)).hasMessageContaining("does not start with [_op, _ts_ms, _partition, _offset]")
        .hasMessageContaining("Fix: choose another --out directory");
    Files.delete(dir.resolve("inserts.csv"));
    try (CsvWriter w = CsvWriter.open(dir)) {
      assertThatThrownBy(() -> w.append(0, 1, null, bytes("{\"id\":1}"))).hasMessageContaining("no \"op\" field");
      assertThatThrownBy(() -> w.append(0, 1, null, bytes("not json"))).hasMessageContaining("not valid JSON");
      assertThatThrownBy(() -> w.append(0, 1, null, envelope("u", "{\"_id\":1}", "null")))
          .hasMessageContaining("full-document = updateLookup");
      assertThatThrownBy(() -> w.append(0, 1, null, envelope("c", "null", "{\"_op\":1}")))
          .hasMessageContaining("column named '_op'");
    }
  }

  @Test
  void shouldNotWriteRowsThatWereNeverFlushed() throws Exception {
    try (CsvWriter w = CsvWriter.open(dir)) {
      w.append(0, 1, null, envelope("c", "null", "{\"id\":1}"));
      w.flush();
      w.append(0, 2, null, envelope("c", "null", "{\"id\":2}"));
    }
    assertThat(read("inserts.csv")).isEqualTo("_op,_ts_ms,_partition,_offset,id\r\nc,1700000000123,0,1,1\r\n");
  }
}
