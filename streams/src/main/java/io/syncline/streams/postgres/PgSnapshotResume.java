package io.syncline.streams.postgres;

import io.syncline.persistence.Lsn;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.snapshot.SnapshotChunk;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What resuming an interrupted PostgreSQL snapshot needs: which recorded chunks belong to the
 * snapshot of the slot that exists now, and a new consistent view to read the rest at.
 */
final class PgSnapshotResume {

  private PgSnapshotResume() {}

  /**
   * The chunks recorded for tables whose snapshot did not complete, read at or after the slot's
   * confirmed position: chunks of a snapshot of an earlier slot (dropped since, which started the
   * snapshot over) are older than the slot and are not trusted. Empty: nothing to resume.
   */
  static Map<TableRef, List<SnapshotChunk>> recordedChunks(PgStart start, PgCatalog.SlotInfo slot) {
    long confirmed = slot.confirmedFlushLsn() == null ? 0 : Lsn.parse(slot.confirmedFlushLsn()).value();
    Map<TableRef, List<SnapshotChunk>> out = new HashMap<>();
    for (PgTable t : start.tables()) {
      TableStart s = start.of(t.ref());
      if (s.snapshotCompleted()) {
        continue;
      }
      List<SnapshotChunk> trusted = s.snapshotChunks().stream()
          .filter(c -> c.view() instanceof PgPosition p && Long.compareUnsigned(p.commitLsn(), confirmed) >= 0)
          .toList();
      if (!trusted.isEmpty()) {
        out.put(t.ref(), trusted);
      }
    }
    return Map.copyOf(out);
  }

  /** Where the stream of the interrupted snapshot starts: its view, the earliest chunk's. */
  static long origin(Map<TableRef, List<SnapshotChunk>> chunks) {
    return chunks.values().stream().flatMap(List::stream)
        .mapToLong(c -> ((PgPosition) c.view()).commitLsn())
        .reduce((a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b)
        .orElseThrow();
  }

  /**
   * A new consistent view: a TEMPORARY logical slot created with EXPORT_SNAPSHOT on a replication
   * connection of its own. The snapshot can be imported while the connection stays idle; closing
   * it drops the slot.
   */
  static View newView(PgSourceSettings settings, PgConnector connector) throws SQLException {
    Connection r = connector.connectForReplication();
    String name = (settings.slotName() + "_resume").substring(0, Math.min(63, settings.slotName().length() + 7));
    try (Statement st = r.createStatement(); ResultSet rs = st.executeQuery("CREATE_REPLICATION_SLOT "
        + PgCatalog.quoteIdent(name) + " TEMPORARY LOGICAL pgoutput EXPORT_SNAPSHOT")) {
      rs.next();
      return new View(r, rs.getString("snapshot_name"), Lsn.parse(rs.getString("consistent_point")).value());
    } catch (SQLException | RuntimeException e) {
      r.close();
      throw e;
    }
  }

  /** An exported snapshot, alive while this is open. */
  record View(Connection connection, String snapshotName, long lsn) implements AutoCloseable {
    @Override
    public void close() throws SQLException {
      connection.close();
    }
  }
}
