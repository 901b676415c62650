package io.syncline.streams.mysql;

import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.snapshot.SnapshotChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a run of a MySQL/MariaDB source does before reading the binlog, decided from the snapshot
 * mode and what the table entities recorded:
 * <ul>
 *   <li>{@code never}, or every table's snapshot completed: no snapshot; the binlog from the earliest
 *       recorded position (none recorded: from its current end)</li>
 *   <li>{@code initial} and no table's snapshot completed (first start, or a snapshot interrupted
 *       before any table finished): snapshot every table, then the binlog from the snapshot's position</li>
 *   <li>{@code initial} and some completed (a table added to include-tables later, or a crash between
 *       two tables): snapshot only the others at a new consistent point, and read the binlog from the
 *       earliest position the completed tables recorded; the binlog changes of a freshly snapshotted
 *       table up to its snapshot position are dropped ({@link MySqlSnapshotFilter})</li>
 * </ul>
 *
 * @param snapshot the tables to snapshot, in order (empty: none)
 * @param resumeFrom where the binlog must be read from regardless of the snapshot (null: from the
 *     snapshot's position, or the binlog's current end when there is no snapshot)
 */
record MySqlSnapshotPlan(List<MySqlCatalog.MySqlTable> snapshot, BinlogPosition resumeFrom) {

  MySqlSnapshotPlan {
    snapshot = List.copyOf(snapshot);
  }

  static MySqlSnapshotPlan of(MySqlSourceSettings settings, List<MySqlCatalog.MySqlTable> tables,
      Map<TableRef, TableStart> recorded) {
    List<MySqlCatalog.MySqlTable> incomplete = new ArrayList<>();
    BinlogPosition earliestAll = null;
    BinlogPosition earliestCompleted = earliestChunk(recorded); // an interrupted snapshot resumes its binlog
    for (MySqlCatalog.MySqlTable t : tables) {
      TableStart s = recorded.getOrDefault(ref(settings, t), TableStart.NEW);
      BinlogPosition committed = s.committed() instanceof BinlogPosition b ? b : null;
      earliestAll = earlier(earliestAll, committed);
      if (s.snapshotCompleted()) {
        earliestCompleted = earlier(earliestCompleted, committed);
      } else {
        incomplete.add(t);
      }
    }
    if (settings.snapshotMode() == MySqlSourceSettings.SnapshotMode.NEVER || incomplete.isEmpty()) {
      return new MySqlSnapshotPlan(List.of(), earliestAll);
    }
    if (incomplete.size() == tables.size() && earliestCompleted == null) {
      return new MySqlSnapshotPlan(tables, null);
    }
    return new MySqlSnapshotPlan(incomplete, earliestCompleted);
  }

  /**
   * The earliest view a recorded chunk of an unfinished snapshot was read at (null: none): the
   * binlog of a resumed snapshot is read from there, the rest of its chunks at a new view.
   */
  static BinlogPosition earliestChunk(Map<TableRef, TableStart> recorded) {
    BinlogPosition min = null;
    for (TableStart s : recorded.values()) {
      if (!s.snapshotCompleted()) {
        for (SnapshotChunk c : s.snapshotChunks()) {
          if (c.view() instanceof BinlogPosition b) {
            min = earlier(min, b);
          }
        }
      }
    }
    return min;
  }

  /** Chunks of unfinished snapshots, per table. */
  static Map<TableRef, List<SnapshotChunk>> recordedChunks(Map<TableRef, TableStart> recorded) {
    Map<TableRef, List<SnapshotChunk>> out = new java.util.HashMap<>();
    recorded.forEach((t, s) -> {
      if (!s.snapshotCompleted() && !s.snapshotChunks().isEmpty()) {
        out.put(t, s.snapshotChunks());
      }
    });
    return Map.copyOf(out);
  }

  /** Where the binlog is read from, given the snapshot's position (null when there was none). */
  BinlogPosition streamFrom(BinlogPosition snapshotPosition) {
    return earlier(resumeFrom, snapshotPosition);
  }

  static TableRef ref(MySqlSourceSettings settings, MySqlCatalog.MySqlTable t) {
    return new TableRef("mysql", settings.name(), t.database(), t.database(), t.table());
  }

  private static BinlogPosition earlier(BinlogPosition a, BinlogPosition b) {
    if (a == null) {
      return b;
    }
    return b == null || a.compareTo(b) <= 0 ? a : b;
  }
}
