package io.syncline.streams.postgres;

import io.syncline.streams.capture.TablePatterns;
import io.syncline.streams.event.TableRef;
import io.syncline.streams.postgres.PgSourceException.Reason;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catalog checks and set-up of a PostgreSQL source over a plain JDBC connection: server settings,
 * which tables the include list names, their keys, the publication and the replication slot.
 * Blocking: call it on a blocking dispatcher, never inside an actor.
 */
public final class PgCatalog {

  private static final Logger log = LoggerFactory.getLogger(PgCatalog.class);

  private final PgSourceSettings settings;
  private final Connection conn;

  public PgCatalog(PgSourceSettings settings, Connection conn) {
    this.settings = settings;
    this.conn = conn;
  }

  /**
   * What a replication slot looks like on the server.
   *
   * @param walStatus {@code reserved}, {@code extended}, {@code unreserved} or {@code lost} (PostgreSQL 13+, else null)
   * @param invalidationReason why the server invalidated the slot ({@code wal_removed}, {@code rows_removed},
   *     {@code wal_level_insufficient}, {@code idle_timeout}; PostgreSQL 17+; on 16 a conflict with recovery),
   *     null while it is valid
   */
  public record SlotInfo(String plugin, String database, boolean active, Integer activePid, String confirmedFlushLsn,
      String walStatus, String invalidationReason) {

    /** The server removed WAL (or rows) the slot still needed: it can never stream again. */
    public boolean invalidated() {
      return "lost".equals(walStatus) || invalidationReason != null;
    }
  }

  /** Fails unless {@code wal_level = logical}. */
  public void checkWalLevel() throws SQLException {
    String level = scalar("SHOW wal_level");
    if (!"logical".equals(level)) {
      throw new PgSourceException(Reason.WAL_LEVEL_NOT_LOGICAL, "source '" + settings.name() + "': wal_level is '"
          + level + "' on " + settings.host() + ":" + settings.port()
          + " but logical replication needs 'logical'. Fix: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL.");
    }
  }

  public int serverMajorVersion() throws SQLException {
    return Integer.parseInt(scalar("SHOW server_version_num")) / 10000;
  }

  /**
   * Resolves the include/exclude lists to tables, with their columns and keys. Fails when an entry
   * matches no table, or when a table's updates and deletes could not be captured (no primary key
   * and no usable replica identity).
   */
  public List<PgTable> resolveTables() throws SQLException {
    List<Relation> all = relations();
    Set<String> chosen = new LinkedHashSet<>();
    for (String entry : settings.include()) {
      Pattern p = TablePatterns.glob(entry);
      int before = chosen.size();
      boolean any = false;
      for (Relation t : all) {
        if (p.matcher(t.qualified()).matches()) {
          any = true;
          chosen.add(t.qualified());
        }
      }
      if (!any) {
        throw new PgSourceException(Reason.NO_SUCH_TABLE, "source '" + settings.name() + "': included table '" + entry
            + "' " + (TablePatterns.isPattern(entry) ? "matches no table" : "does not exist") + " in database '" + settings.database()
            + "'. Fix: create it, or correct the source's 'include-tables' list (entries are schema.table, * and ? allowed).");
      }
      log.debug("include entry {} matched {} tables", entry, chosen.size() - before);
    }
    chosen = withoutExcludedAndPartitions(chosen, all);
    if (chosen.isEmpty()) {
      throw new PgSourceException(Reason.NO_SUCH_TABLE, "source '" + settings.name()
          + "': the exclude list removes every included table. Fix: narrow 'exclude-tables'.");
    }
    List<PgTable> tables = new ArrayList<>();
    for (String q : chosen) {
      int dot = q.indexOf('.');
      tables.add(describe(q.substring(0, dot), q.substring(dot + 1)));
    }
    return tables;
  }

  /**
   * The tables the include and exclude lists match now, as {@code schema.table}: what
   * {@link #resolveTables} would capture, without its checks (a running source compares it with
   * what it captures).
   */
  public Set<String> matchingTables() throws SQLException {
    List<Relation> all = relations();
    Set<String> chosen = new LinkedHashSet<>();
    for (String entry : settings.include()) {
      Pattern p = TablePatterns.glob(entry);
      all.stream().map(Relation::qualified).filter(q -> p.matcher(q).matches()).forEach(chosen::add);
    }
    return withoutExcludedAndPartitions(chosen, all);
  }

  /** A table or partitioned table; {@code root} is the partitioned table it is a partition of, if any. */
  private record Relation(String qualified, String root) {}

  private List<Relation> relations() throws SQLException {
    // pg_partition_root is PostgreSQL 12+; older servers: partitions are captured as their own tables
    String root = serverMajorVersion() >= 12
        ? "CASE WHEN c.relispartition THEN (SELECT rn.nspname || '.' || rc.relname FROM pg_class rc"
            + " JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = pg_partition_root(c.oid)) END"
        : "NULL";
    List<Relation> all = new ArrayList<>();
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery(
            "SELECT n.nspname, c.relname, " + root + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema')"
                + " AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2")) {
      while (rs.next()) {
        all.add(new Relation(rs.getString(1) + "." + rs.getString(2), rs.getString(3)));
      }
    }
    return all;
  }

  /**
   * {@code chosen} minus the exclude list, and minus the partitions of a chosen partitioned table:
   * their rows and changes are captured as the partitioned table's (the publication publishes them
   * via the root), and would otherwise come twice.
   */
  private Set<String> withoutExcludedAndPartitions(Set<String> chosen, List<Relation> all) {
    Set<String> out = new LinkedHashSet<>(chosen);
    for (String entry : settings.exclude()) {
      Pattern p = TablePatterns.glob(entry);
      out.removeIf(q -> p.matcher(q).matches());
    }
    Set<String> selected = Set.copyOf(out);
    for (Relation r : all) {
      if (r.root() != null && selected.contains(r.root()) && out.remove(r.qualified())) {
        log.debug("source '{}': partition {} is captured as its partitioned table {}", settings.name(), r.qualified(),
            r.root());
      }
    }
    return out;
  }

  /** The tables the publication publishes now, as {@code schema.table} (a partitioned table's root with viaroot). */
  public Set<String> publishedTables() throws SQLException {
    Set<String> published = new LinkedHashSet<>();
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
      ps.setString(1, settings.publicationName());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          published.add(rs.getString(1) + "." + rs.getString(2));
        }
      }
    }
    return published;
  }

  /** Columns, key and replica identity of one table. */
  public PgTable describe(String schema, String table) throws SQLException {
    String regclass = quoteIdent(schema) + "." + quoteIdent(table);
    List<PgTable.Column> columns = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT a.attname, a.atttypid, a.atttypmod FROM pg_attribute a WHERE a.attrelid = ?::regclass"
            + " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum")) {
      ps.setString(1, regclass);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(new PgTable.Column(rs.getString(1), (int) rs.getLong(2), rs.getInt(3)));
        }
      }
    }
    char identity;
    try (PreparedStatement ps = conn.prepareStatement("SELECT relreplident FROM pg_class WHERE oid = ?::regclass")) {
      ps.setString(1, regclass);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        identity = rs.getString(1).charAt(0);
      }
    }
    List<String> pk = indexColumns(regclass, "i.indisprimary");
    List<String> key = pk;
    if (pk.isEmpty()) {
      switch (identity) {
        case 'i' -> key = indexColumns(regclass, "i.indisreplident");
        case 'f' -> {
          key = List.of();
          log.warn("source '{}': table {}.{} has no primary key; captured with REPLICA IDENTITY FULL and a null message"
              + " key (all its events go to one partition to keep their order)", settings.name(), schema, table);
        }
        default -> throw new PgSourceException(Reason.NO_PRIMARY_KEY, "source '" + settings.name() + "': table "
            + schema + "." + table + " has no primary key and REPLICA IDENTITY "
            + (identity == 'n' ? "NOTHING" : "DEFAULT")
            + ", so its updates and deletes cannot be captured. Fix: add a primary key, or ALTER TABLE " + regclass
            + " REPLICA IDENTITY FULL (captured with a null message key), or REPLICA IDENTITY USING INDEX <a unique index>.");
      }
    }
    TableRef ref = new TableRef("postgresql", settings.name(), settings.database(), schema, table);
    return new PgTable(ref, columns, key, identity);
  }

  private List<String> indexColumns(String regclass, String which) throws SQLException {
    List<String> cols = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            + " WHERE i.indrelid = ?::regclass AND " + which + " ORDER BY array_position(i.indkey::int2[], a.attnum)")) {
      ps.setString(1, regclass);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          cols.add(rs.getString(1));
        }
      }
    }
    return cols;
  }

  /**
   * Makes sure the publication exists and publishes every table, every change and every column:
   * creates it or adds missing tables when {@code create-publication} is on, else fails naming what
   * is missing; fails when it exists but would drop changes (its {@code publish} flags, partitioned
   * tables published under their partitions' names, row filters, column lists), naming the fix.
   */
  public void ensurePublication(List<PgTable> tables) throws SQLException {
    String pub = settings.publicationName();
    int major = serverMajorVersion();
    Set<String> partitioned = partitioned(tables);
    Optional<Publication> existing = publication(major);
    if (existing.isEmpty()) {
      requireCreate("publication '" + pub + "' does not exist");
      String list = String.join(", ", tables.stream().map(PgTable::quotedName).toList());
      // a partitioned table's changes are published under its own name only with publish_via_partition_root
      String with = partitioned.isEmpty() ? "" : " WITH (publish_via_partition_root = true)";
      executePublication("CREATE PUBLICATION " + quoteIdent(pub) + " FOR TABLE " + list + with);
      log.info("source '{}': created publication {} for {} tables", settings.name(), pub, tables.size());
      return;
    }
    checkPublishes(existing.get(), partitioned);
    if (!existing.get().allTables()) {
      Set<String> published = publishedTables();
      List<PgTable> missing = tables.stream().filter(t -> !published.contains(t.ref().qualifiedName())).toList();
      if (!missing.isEmpty()) {
        requireCreate("publication '" + pub + "' does not publish "
            + missing.stream().map(t -> t.ref().qualifiedName()).toList());
        executePublication("ALTER PUBLICATION " + quoteIdent(pub) + " ADD TABLE "
            + String.join(", ", missing.stream().map(PgTable::quotedName).toList()));
        log.info("source '{}': added {} tables to publication {}", settings.name(), missing.size(), pub);
      }
    }
    if (major >= 15) {
      checkFiltersAndColumnLists(tables);
    }
  }

  /**
   * A publication's flags: which kinds of change it publishes, and whether a partitioned table's
   * changes carry its own name ({@code publish_via_partition_root}) or their partition's.
   */
  record Publication(boolean allTables, boolean insert, boolean update, boolean delete, boolean truncate,
      boolean viaRoot) {}

  private Optional<Publication> publication(int major) throws SQLException {
    // pubtruncate is PostgreSQL 11+, pubviaroot 13+: older servers have neither to turn off
    String sql = "SELECT puballtables, pubinsert, pubupdate, pubdelete, "
        + (major >= 11 ? "pubtruncate" : "true") + ", " + (major >= 13 ? "pubviaroot" : "false")
        + " FROM pg_publication WHERE pubname = ?";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, settings.publicationName());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Publication(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4),
            rs.getBoolean(5), rs.getBoolean(6)));
      }
    }
  }

  /** Fails when the publication leaves out a kind of change, or renames a partitioned table's changes. */
  void checkPublishes(Publication p, Set<String> partitioned) {
    String pub = settings.publicationName();
    List<String> missing = new ArrayList<>();
    if (!p.insert()) {
      missing.add("insert");
    }
    if (!p.update()) {
      missing.add("update");
    }
    if (!p.delete()) {
      missing.add("delete");
    }
    if (!p.truncate()) {
      missing.add("truncate");
    }
    if (!missing.isEmpty()) {
      throw new PgSourceException(Reason.PUBLICATION, "source '" + settings.name() + "': publication '" + pub
          + "' does not publish " + String.join(", ", missing) + ": every " + String.join(", ", missing).toUpperCase(java.util.Locale.ROOT)
          + " of the captured tables would be lost. Fix: ALTER PUBLICATION " + quoteIdent(pub)
          + " SET (publish = 'insert, update, delete, truncate');");
    }
    if (!partitioned.isEmpty() && !p.viaRoot()) {
      throw new PgSourceException(Reason.PUBLICATION, "source '" + settings.name() + "': publication '" + pub
          + "' publishes the changes of partitioned " + (partitioned.size() == 1 ? "table " : "tables ")
          + String.join(", ", partitioned) + " under their partitions' names (publish_via_partition_root is off),"
          + " so they would not be captured. Fix: ALTER PUBLICATION " + quoteIdent(pub)
          + " SET (publish_via_partition_root = true);");
    }
  }

  /** The partitioned tables among {@code tables}, as {@code schema.table}. */
  private Set<String> partitioned(List<PgTable> tables) throws SQLException {
    Set<String> out = new LinkedHashSet<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT relkind FROM pg_class WHERE oid = ?::regclass")) {
      for (PgTable t : tables) {
        ps.setString(1, t.quotedName());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && "p".equals(rs.getString(1))) {
            out.add(t.ref().qualifiedName());
          }
        }
      }
    }
    return out;
  }

  /**
   * Fails when the publication has a row filter or a column list on a captured table (PostgreSQL
   * 15+): the rows it filters out, and the columns it leaves out, would never be captured, while the
   * snapshot reads them all.
   */
  private void checkFiltersAndColumnLists(List<PgTable> tables) throws SQLException {
    Set<String> captured = new LinkedHashSet<>();
    tables.forEach(t -> captured.add(t.ref().qualifiedName()));
    String pub = settings.publicationName();
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT n.nspname, c.relname, pg_get_expr(pr.prqual, pr.prrelid),"
            + " (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_attribute a"
            + "   WHERE a.attrelid = pr.prrelid AND a.attnum = ANY(pr.prattrs))"
            + " FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid"
            + " JOIN pg_class c ON c.oid = pr.prrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE p.pubname = ? AND (pr.prqual IS NOT NULL OR pr.prattrs IS NOT NULL) ORDER BY 1, 2")) {
      ps.setString(1, pub);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String qualified = rs.getString(1) + "." + rs.getString(2);
          if (!captured.contains(qualified)) {
            continue;
          }
          String filter = rs.getString(3);
          String columns = rs.getString(4);
          String quoted = quoteIdent(rs.getString(1)) + "." + quoteIdent(rs.getString(2));
          String what = filter != null
              ? "a row filter on " + qualified + " (WHERE " + filter + "): rows it leaves out, and updates that move a"
                  + " row out of it, would never be captured as they are"
              : "a column list on " + qualified + " (" + columns + "): the other columns would be missing from every"
                  + " streamed change, while the snapshot reads them";
          throw new PgSourceException(Reason.PUBLICATION, "source '" + settings.name() + "': publication '" + pub
              + "' has " + what + ". Fix: publish the whole table: ALTER PUBLICATION " + quoteIdent(pub)
              + " DROP TABLE " + quoted + "; ALTER PUBLICATION " + quoteIdent(pub) + " ADD TABLE " + quoted + ";");
        }
      }
    }
  }

  private void requireCreate(String what) {
    if (!settings.createPublication()) {
      throw new PgSourceException(Reason.PUBLICATION, "source '" + settings.name() + "': " + what
          + " and create-publication is off. Fix: create it (CREATE PUBLICATION ... FOR TABLE ...) or set create-publication = true.");
    }
  }

  private void executePublication(String sql) throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      if ("42501".equals(e.getSQLState())) {
        throw new PgSourceException(Reason.PUBLICATION, "source '" + settings.name() + "': user '" + settings.user()
            + "' may not create or alter publication '" + settings.publicationName()
            + "' (it must own the tables and have CREATE on database '" + settings.database()
            + "'). Fix: have the table owner or a superuser run: " + sql
            + " ; then set create-publication = false.", e);
      }
      throw e;
    }
  }

  /** The slot as the server knows it, if it exists. */
  public Optional<SlotInfo> slot() throws SQLException {
    int major = serverMajorVersion();
    String walStatus = major >= 13 ? "wal_status" : "NULL";
    String reason = major >= 17 ? "invalidation_reason"
        : major == 16 ? "CASE WHEN conflicting THEN 'conflict with recovery' END" : "NULL";
    try (PreparedStatement ps = conn.prepareStatement("SELECT plugin, database, active, active_pid,"
        + " confirmed_flush_lsn::text, " + walStatus + ", " + reason + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, settings.slotName());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        int pid = rs.getInt(4);
        return Optional.of(new SlotInfo(rs.getString(1), rs.getString(2), rs.getBoolean(3),
            rs.wasNull() ? null : pid, rs.getString(5), rs.getString(6), rs.getString(7)));
      }
    }
  }

  /**
   * The slot, waiting up to {@code patience} for a previous reader's walsender to let go of it (the
   * server releases a slot a moment after its connection closes; longer after a network failure).
   * When the walsender that holds it is {@code ownWalsender}, the one this process streamed from
   * before its connection was given up (a dead network: the server has not noticed yet, and would
   * hold the slot until its {@code wal_sender_timeout}), it is terminated first.
   */
  public Optional<SlotInfo> slotReleased(java.time.Duration patience, int ownWalsender) throws SQLException {
    Optional<SlotInfo> slot = slot();
    if (ownWalsender != 0 && slot.isPresent() && slot.get().active() && slot.get().activePid() != null
        && slot.get().activePid() == ownWalsender) {
      try (PreparedStatement ps = conn.prepareStatement("SELECT pg_terminate_backend(?)")) {
        ps.setInt(1, ownWalsender);
        ps.execute();
        log.warn("source '{}': replication slot {} was still held by the walsender (pid {}) of this reader's"
            + " previous connection, which is gone: terminated it", settings.name(), settings.slotName(), ownWalsender);
      } catch (SQLException e) {
        log.warn("source '{}': could not terminate the walsender (pid {}) of this reader's previous connection"
            + " ({}); waiting for the server to let go of slot {}", settings.name(), ownWalsender, e.getMessage(),
            settings.slotName());
      }
    }
    long deadline = System.nanoTime() + patience.toNanos();
    while (slot.isPresent() && slot.get().active() && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L); // blocking thread: a short wait is fine here
      slot = slot();
    }
    return slot;
  }

  /**
   * Fails when the slot is of another plugin or database, in use by another process, or invalidated
   * (its WAL removed: the changes it had not sent are lost); warns when its WAL is no longer reserved.
   */
  public void checkSlotUsable(SlotInfo slot) {
    if (!"pgoutput".equals(slot.plugin()) || !settings.database().equals(slot.database())) {
      throw new PgSourceException(Reason.SLOT_MISMATCH, "source '" + settings.name() + "': replication slot '"
          + settings.slotName() + "' exists for plugin '" + slot.plugin() + "' on database '" + slot.database()
          + "', not pgoutput on '" + settings.database() + "'. Fix: choose another slot-name, or drop that slot.");
    }
    checkSlotHealth(slot);
    if (slot.active()) {
      throw new PgSourceException(Reason.SLOT_IN_USE, "source '" + settings.name() + "': replication slot '"
          + settings.slotName() + "' is in use by another process (pid " + slot.activePid()
          + "). Fix: stop the other reader, or give this source its own slot-name.");
    }
  }

  /**
   * Fails when the server invalidated the slot ({@code wal_status = lost}, or an
   * {@code invalidation_reason}): it removed WAL the slot had not sent, so changes are lost and the
   * slot cannot stream again. Warns when the slot's WAL is {@code unreserved}: it is kept only until
   * the next checkpoint, then the slot is lost.
   */
  public void checkSlotHealth(SlotInfo slot) {
    String name = settings.slotName();
    if (slot.invalidated()) {
      throw new PgSourceException(Reason.SLOT_LOST, "source '" + settings.name() + "': replication slot '" + name
          + "' was invalidated by the server (wal_status = " + slot.walStatus()
          + (slot.invalidationReason() == null ? "" : ", invalidation_reason = " + slot.invalidationReason())
          + "): it removed WAL the slot had not yet sent, so the changes made after the slot's last confirmed position ("
          + slot.confirmedFlushLsn() + ") are lost and the slot can never stream again. Fix: drop the slot"
          + " (SELECT pg_drop_replication_slot('" + name.replace("'", "''") + "');) and start the source again: it"
          + " creates a new slot and, with snapshot-mode = initial, reads every table again (rows deleted meanwhile"
          + " remain in the sinks). To keep it from happening, raise max_slot_wal_keep_size (or set it to -1)"
          + " and keep the reader from falling far behind.");
    }
    if ("unreserved".equals(slot.walStatus())) {
      log.warn("source '{}': replication slot {} has wal_status = unreserved: its WAL exceeds max_slot_wal_keep_size"
          + " and will be removed at the next checkpoint, losing the changes the slot has not sent (from {}) unless"
          + " the reader catches up first. Fix: raise max_slot_wal_keep_size (or -1)", settings.name(), name,
          slot.confirmedFlushLsn());
    }
  }

  /**
   * Which server and which history a source reads: {@code systemIdentifier} names the cluster (set by
   * initdb, kept by physical standbys, so a failover keeps it and a different server has another),
   * {@code timeline} its history (a promoted standby and a point-in-time recovery start a new one, on
   * which LSNs already used on the old one are written again), {@code walPosition} where it writes now.
   */
  public record ServerIdentity(String systemIdentifier, int timeline, String walPosition) {}

  /**
   * {@code IDENTIFY_SYSTEM} on a replication connection ({@link PgConnector#connectForReplication()}):
   * needs only the REPLICATION privilege, on every version (pg_control_system() needs more).
   */
  public static ServerIdentity identifySystem(Connection replication) throws SQLException {
    try (Statement st = replication.createStatement(); ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
      rs.next();
      return new ServerIdentity(rs.getString("systemid"), rs.getInt("timeline"), rs.getString("xlogpos"));
    }
  }

  public void dropSlot() throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
      ps.setString(1, settings.slotName());
      ps.execute();
    }
  }

  /** Writes a non-transactional logical message: moves an otherwise idle slot forward (heartbeat). */
  public void emitHeartbeat() throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute("SELECT pg_logical_emit_message(false, 'syncline.heartbeat', '')");
    }
  }

  private String scalar(String sql) throws SQLException {
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Counts rows per table, in the order given (for progress estimates). */
  public Map<String, Long> estimateRows(List<PgTable> tables) throws SQLException {
    Map<String, Long> out = new LinkedHashMap<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT reltuples::bigint FROM pg_class WHERE oid = ?::regclass")) {
      for (PgTable t : tables) {
        ps.setString(1, t.quotedName());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          out.put(t.ref().qualifiedName(), Math.max(0, rs.getLong(1)));
        }
      }
    }
    return out;
  }

  public static String quoteIdent(String ident) {
    return "\"" + ident.replace("\"", "\"\"") + "\"";
  }
}
