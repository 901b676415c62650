package io.syncline.streams.postgres;

import io.syncline.persistence.Lsn;
import io.syncline.persistence.PgPosition;
import io.syncline.streams.capture.PositionCheck;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * Compares the LSNs the tables recorded with the server before reading from them. A recorded
 * position is valid only on the history it was read from: the same database cluster (system
 * identifier) and a timeline that contains it. A failover to a standby or a point-in-time recovery
 * starts a new timeline that forks from the old one at a switch point; positions after that point
 * were read from WAL the new timeline does not have, and the new timeline's own changes below them
 * would be dropped as delivered. Also invalid: positions after the server's current WAL, and a slot
 * that is gone or lost its WAL while the tables have positions (the changes since are lost).
 *
 * <p>The identity recorded with the positions is {@code pg system_identifier=<id> timeline=<tli>},
 * from {@code IDENTIFY_SYSTEM} on a replication connection (the REPLICATION privilege the source
 * needs anyway); the fork point from {@code TIMELINE_HISTORY}.
 */
final class PgPositionCheck {

  private PgPositionCheck() {}

  private record Identity(String system, int timeline) {
    @Override
    public String toString() {
      return "pg system_identifier=" + system + " timeline=" + timeline;
    }

    static Identity parse(String text) {
      if (text == null || !text.startsWith("pg ")) {
        return null;
      }
      String system = null;
      int timeline = 0;
      for (String part : text.substring(3).split(" ")) {
        if (part.startsWith("system_identifier=")) {
          system = part.substring("system_identifier=".length());
        } else if (part.startsWith("timeline=")) {
          timeline = Integer.parseInt(part.substring("timeline=".length()));
        }
      }
      return system == null ? null : new Identity(system, timeline);
    }
  }

  static PositionCheck check(PgSourceSettings settings, Map<TableRef, TableStart> recorded) {
    PgConnector connector = new PgConnector(settings);
    try (Connection replication = connector.connectForReplication(); Connection jdbc = connector.connect()) {
      Identity now;
      long walEnd;
      try (Statement s = replication.createStatement(); ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
        rs.next();
        now = new Identity(rs.getString("systemid"), rs.getInt("timeline"));
        walEnd = Lsn.parse(rs.getString("xlogpos")).value();
      }
      String source = "source '" + settings.name() + "'";
      PgPosition latest = null;
      TableRef latestTable = null;
      Identity recordedIdentity = null;
      for (Map.Entry<TableRef, TableStart> e : recorded.entrySet()) {
        if (e.getValue().committed() instanceof PgPosition p) {
          if (latest == null || p.isAfter(latest)) {
            latest = p;
            latestTable = e.getKey();
          }
          Identity r = Identity.parse(e.getValue().sourceIdentity());
          if (r != null) {
            recordedIdentity = r;
          }
        }
      }
      if (latest == null) {
        return new PositionCheck.Valid(now.toString());
      }
      String where = source + ": table " + latestTable.qualifiedName() + " recorded " + latest.display();
      if (recordedIdentity != null && !recordedIdentity.system().equals(now.system())) {
        return new PositionCheck.Invalid(now.toString(), where + " on the PostgreSQL cluster with system identifier "
            + recordedIdentity.system() + ", but the server at " + settings.host() + ":" + settings.port() + " is "
            + now.system() + " (another cluster)");
      }
      if (recordedIdentity != null && recordedIdentity.timeline() != now.timeline()) {
        long fork = forkPoint(replication, recordedIdentity.timeline(), now.timeline());
        if (fork < 0 || latest.isAfter(PgPosition.boundary(fork))) {
          return new PositionCheck.Invalid(now.toString(), where + " on timeline " + recordedIdentity.timeline()
              + ", but the server is on timeline " + now.timeline() + (fork < 0 ? ", which does not descend from it"
              : ", which forked from it at " + new Lsn(fork)) + " (a failover or a point-in-time recovery): changes"
              + " after the fork were read from WAL the server no longer has, and its own changes there would be"
              + " taken for delivered");
        }
      }
      if (latest.isAfter(PgPosition.boundary(walEnd))) {
        return new PositionCheck.Invalid(now.toString(), where + ", after the server's current WAL position "
            + new Lsn(walEnd) + ": the server's log went back (a restore, or another server)");
      }
      java.util.Optional<PgCatalog.SlotInfo> slot = new PgCatalog(settings, jdbc).slot();
      if (slot.isEmpty()) {
        return new PositionCheck.Invalid(now.toString(), where + ", but its replication slot '" + settings.slotName()
            + "' is gone: the changes made since cannot be read any more");
      }
      if (slot.get().invalidated()) {
        return new PositionCheck.Invalid(now.toString(), where + ", but its replication slot '" + settings.slotName()
            + "' has lost the WAL it needs (wal_status = " + slot.get().walStatus()
            + (slot.get().invalidationReason() == null ? "" : ", invalidation_reason = " + slot.get().invalidationReason())
            + "): the changes since cannot be read any more");
      }
      return new PositionCheck.Valid(now.toString());
    } catch (SQLException e) {
      throw connector.translate(e, true);
    }
  }

  /**
   * Where the history of timeline {@code current} left timeline {@code older} ({@code TIMELINE_HISTORY}
   * lines: parent timeline, switch point, reason); -1 when {@code older} is not an ancestor.
   */
  private static long forkPoint(Connection replication, int older, int current) throws SQLException {
    if (older >= current || current <= 1) {
      return -1;
    }
    String content;
    try (Statement s = replication.createStatement(); ResultSet rs = s.executeQuery("TIMELINE_HISTORY " + current)) {
      rs.next();
      byte[] raw = rs.getBytes(2);
      content = raw == null ? "" : new String(raw, StandardCharsets.UTF_8);
    }
    for (String line : content.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 2 && !line.trim().startsWith("#") && f[0].equals(Integer.toString(older))) {
        return Lsn.parse(f[1]).value();
      }
    }
    return -1;
  }
}
