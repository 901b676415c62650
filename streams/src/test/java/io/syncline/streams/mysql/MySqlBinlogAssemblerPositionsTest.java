package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.shyiko.mysql.binlog.event.Event;
import com.github.shyiko.mysql.binlog.event.EventData;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import com.github.shyiko.mysql.binlog.event.EventType;
import com.github.shyiko.mysql.binlog.event.MariadbGtidEventData;
import com.github.shyiko.mysql.binlog.event.RotateEventData;
import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.TableMapEventMetadata;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;
import com.github.shyiko.mysql.binlog.event.XidEventData;
import com.typesafe.config.ConfigFactory;
import io.syncline.persistence.BinlogPosition;
import io.syncline.persistence.SchemaHistoryStore;
import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.mysql.schema.SchemaTracker;
import io.syncline.streams.mysql.schema.TableName;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The positions the binlog assembler gives, on synthetic binlog events: a checkpoint's boundary is
 * before the next transaction's changes (issue 10, finding 1: the acknowledged position after
 * {@code T1} was {@code bin.000001:251} as a completed transaction, {@code T2}'s first change
 * {@code bin.000001:251#1} was not after it and was dropped after a restart).
 */
class MySqlBinlogAssemblerPositionsTest {

  private static final String FILE = "bin.000001";

  private static final MySqlSourceSettings SETTINGS = MySqlSourceSettings.create(ConfigFactory.parseMap(Map.of(
      "name", "s", "include-tables", List.of("db.t"))),
      ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults.mysql"));

  /** The server as the schema tracker sees it: one table, MariaDB. */
  private static final SchemaTracker.Server SERVER = new SchemaTracker.Server() {
    @Override
    public String showCreateTable(TableName table) {
      return "CREATE TABLE `t` (`id` bigint(20) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB";
    }

    @Override
    public BinlogPosition currentPosition() {
      return BinlogPosition.boundary(FILE, 4, null);
    }

    @Override
    public SchemaTracker.ServerInfo info() {
      return new SchemaTracker.ServerInfo(io.syncline.streams.mysql.schema.ServerVersion.MARIADB_11_4, "utf8mb4",
          Map.of(), true);
    }
  };

  private final List<CaptureRecord> out = new ArrayList<>();
  private final MySqlBinlogAssembler assembler = new MySqlBinlogAssembler(SETTINGS,
      List.of(new MySqlCatalog.MySqlTable("db", "t", List.of("id"), java.util.Set.of())), null,
      () -> GtidState.of("0-1-10", true), () -> BinlogPosition.boundary(FILE, 4, "0-1-10"),
      new SchemaTracker(SETTINGS, SchemaHistoryStore.inMemory(), SERVER));

  private void accept(Event e) {
    assembler.accept(e).forEach(out::addAll);
  }

  private static Event event(EventType type, long position, long next, EventData data) {
    EventHeaderV4 h = new EventHeaderV4();
    h.setEventType(type);
    h.setServerId(1);
    h.setTimestamp(1_700_000_000_000L);
    h.setEventLength(next - position);
    h.setNextPosition(next);
    return new Event(h, data);
  }

  /** One transaction of {@code rows} inserts starting at {@code at}; returns where it ends. */
  private long transaction(long at, long sequence, long... ids) {
    MariadbGtidEventData gtid = new MariadbGtidEventData();
    gtid.setDomainId(0);
    gtid.setSequence(sequence);
    accept(event(EventType.MARIADB_GTID, at, at + 40, gtid));
    TableMapEventData map = new TableMapEventData();
    map.setTableId(7);
    map.setDatabase("db");
    map.setTable("t");
    map.setColumnTypes(new byte[] {8}); // LONGLONG
    map.setColumnMetadata(new int[] {0});
    BitSet nullability = new BitSet();
    map.setColumnNullability(nullability);
    TableMapEventMetadata meta = new TableMapEventMetadata();
    meta.setColumnNames(List.of("id"));
    meta.setSignedness(new BitSet());
    map.setEventMetadata(meta);
    accept(event(EventType.TABLE_MAP, at + 40, at + 80, map));
    WriteRowsEventData rows = new WriteRowsEventData();
    rows.setTableId(7);
    BitSet columns = new BitSet();
    columns.set(0);
    rows.setIncludedColumns(columns);
    List<Serializable[]> values = new ArrayList<>();
    for (long id : ids) {
      values.add(new Serializable[] {id});
    }
    rows.setRows(values);
    accept(event(EventType.EXT_WRITE_ROWS, at + 80, at + 120, rows));
    accept(event(EventType.XID, at + 120, at + 151, new XidEventData()));
    return at + 151;
  }

  @Test
  void shouldPutEveryCheckpointBoundaryBeforeTheNextTransactionsChanges() {
    RotateEventData rotate = new RotateEventData();
    rotate.setBinlogFilename(FILE);
    rotate.setBinlogPosition(4);
    accept(event(EventType.ROTATE, 0, 0, rotate));
    long end1 = transaction(100, 11, 1, 2);
    accept(event(EventType.HEARTBEAT, end1, end1, null)); // idle: the server is at T1's end
    transaction(end1, 12, 3, 4);

    List<CaptureRecord.Checkpoint> checkpoints = out.stream()
        .filter(r -> r instanceof CaptureRecord.Checkpoint).map(r -> (CaptureRecord.Checkpoint) r).toList();
    List<SourcePosition> changes = out.stream().filter(r -> r instanceof CaptureRecord.Change)
        .map(r -> ((CaptureRecord.Change) r).event().position()).toList();
    assertThat(checkpoints).hasSize(4); // the start, T1, the heartbeat, T2
    assertThat(checkpoints.get(0).boundary()).isEqualTo(BinlogPosition.boundary(FILE, 4, "0-1-10"));
    assertThat(checkpoints.get(1).completed()).isEqualTo(new BinlogPosition(FILE, 100, BinlogPosition.COMPLETE,
        "0-1-11", "0-1-10"));
    assertThat(checkpoints.get(1).boundary()).isEqualTo(BinlogPosition.boundary(FILE, end1, "0-1-11"));
    assertThat(checkpoints.get(2).boundary()).isEqualTo(BinlogPosition.boundary(FILE, end1, "0-1-11"));
    // T2 starts exactly where T1 ended and the heartbeat pointed: both its changes are after both boundaries
    assertThat(changes.subList(2, 4)).allSatisfy(c -> {
      assertThat(c.isAfter(checkpoints.get(1).boundary())).as("%s after %s", c.display(),
          checkpoints.get(1).boundary().display()).isTrue();
      assertThat(c.isAfter(checkpoints.get(2).boundary())).isTrue();
    });
    // and T1's are before them: a restart from the boundary does not read T1 again
    assertThat(changes.subList(0, 2)).allSatisfy(c -> assertThat(checkpoints.get(1).boundary().isAfter(c)).isTrue());
  }
}
