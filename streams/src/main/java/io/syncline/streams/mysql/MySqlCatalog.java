package io.syncline.streams.mysql;

import io.syncline.persistence.BinlogPosition;
import io.syncline.streams.capture.TablePatterns;
import io.syncline.streams.mysql.MySqlSourceException.Reason;
import io.syncline.streams.TlsSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Server checks and table resolution of a MySQL/MariaDB source over JDBC. Blocking: call it on a
 * blocking dispatcher, never inside an actor.
 */
public final class MySqlCatalog {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MySqlCatalog.class);

  private static final Set<String> SYSTEM_DATABASES = Set.of("mysql", "information_schema", "performance_schema", "sys");

  private final MySqlSourceSettings settings;
  private final Connection conn;

  public MySqlCatalog(MySqlSourceSettings settings, Connection conn) {
    this.settings = settings;
    this.conn = conn;
  }

  /**
   * A table to capture: database, name, its primary-key columns (empty: null message key) and, on
   * MariaDB, which LONGTEXT columns hold JSON (the binlog cannot tell).
   */
  public record MySqlTable(String database, String table, List<String> keyColumns, Set<String> jsonColumns) {
    public String qualifiedName() {
      return database + "." + table;
    }
  }


  /** Opens a JDBC connection, turning failures into errors that name the fix. */
  public static Connection connect(MySqlSourceSettings settings) {
    Properties p = new Properties();
    p.setProperty("user", settings.user());
    if (!settings.password().isEmpty()) {
      p.setProperty("password", settings.password().value());
    }
    p.setProperty("connectTimeout", String.valueOf(settings.connectTimeout().toMillis()));
    TlsSettings tls = settings.tls();
    // the driver's sslMode: 'trust' encrypts without verifying (require; prefer falls back below)
    p.setProperty("sslMode", switch (tls.mode()) {
      case DISABLE -> "disable";
      case PREFER, REQUIRE -> "trust";
      case VERIFY_CA -> "verify-ca";
      case VERIFY_FULL -> "verify-full";
    });
    if (tls.mode() != TlsSettings.Mode.DISABLE) {
      p.setProperty("tlsSocketType", MariaDbTlsPlugin.TYPE); // the source's trust and key managers, strict
    }
    if (tls.caFile() != null) {
      p.setProperty("serverSslCert", tls.caFile().toString());
    }
    if (tls.keyStore() != null) {
      p.setProperty("keyStore", tls.keyStore().toString());
      p.setProperty("keyStoreType", "PKCS12");
      p.setProperty("keyStorePassword", tls.keyStorePassword().value());
    }
    String where = "source '" + settings.name() + "' (" + settings.user() + "@" + settings.host() + ":" + settings.port() + ")";
    try {
      return DriverManager.getConnection(settings.jdbcUrl(), p);
    } catch (SQLException e) {
      if (tls.mode() == TlsSettings.Mode.PREFER && tls.explain(e, settings.host()).isPresent()) {
        p.setProperty("sslMode", "disable"); // prefer: without TLS when the server has none
        try {
          return DriverManager.getConnection(settings.jdbcUrl(), p);
        } catch (SQLException again) {
          e = again;
        }
      }
      java.util.Optional<String> tlsFailure = tls.explain(e, settings.host());
      if (tlsFailure.isPresent()) {
        throw new MySqlSourceException(Reason.TLS, where + ": " + tlsFailure.get(), e);
      }
      if (e.getErrorCode() == 1045 && settings.password().isEmpty()) {
        throw new MySqlSourceException(Reason.NO_PASSWORD, where + ": the server asks for the password of user '"
            + settings.user() + "' and the source sets none. Fix: set the source's 'password' setting.", e);
      }
      if (io.syncline.streams.capture.Failures.unknownHost(e)) {
        throw new MySqlSourceException(Reason.UNREACHABLE, where + ": host '" + settings.host()
            + "' is not known (no address found for it). Fix: correct the source's 'host' setting.", e);
      }
      if (e.getErrorCode() == 1045) {
        throw new MySqlSourceException(Reason.WRONG_PASSWORD, where + ": the server rejected the password of user '"
            + settings.user() + "'. Fix: set the right password in the source's 'password' setting.", e);
      }
      if ("08000".equals(e.getSQLState()) || (e.getSQLState() != null && e.getSQLState().startsWith("08"))) {
        throw new MySqlSourceException(Reason.UNREACHABLE, where + ": cannot reach the server at " + settings.host() + ":"
            + settings.port() + ". Fix: check 'host'/'port' and that the server is running.", e);
      }
      throw new MySqlSourceException(Reason.OTHER, where + ": " + e.getMessage(), e);
    }
  }

  /**
   * Fails unless the binlog is on, row-based with full row images, and our replica server id is
   * neither the server's own nor another connected replica's.
   */
  public void checkBinlog() throws SQLException {
    String where = "source '" + settings.name() + "' (" + settings.host() + ":" + settings.port() + ")";
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT @@GLOBAL.log_bin, @@GLOBAL.binlog_format, @@GLOBAL.binlog_row_image,"
            + " @@GLOBAL.server_id")) {
      rs.next();
      if (!rs.getBoolean(1)) {
        throw new MySqlSourceException(Reason.BINLOG_OFF, where + ": the binary log is off, and change capture reads it."
            + " Fix: start the server with log_bin (e.g. --log-bin=mysql-bin) and binlog_format=ROW, then restart it.");
      }
      String format = rs.getString(2);
      if (!"ROW".equalsIgnoreCase(format)) {
        throw new MySqlSourceException(Reason.BINLOG_FORMAT_NOT_ROW, where + ": binlog_format is '" + format
            + "' but change capture needs 'ROW'. Fix: SET GLOBAL binlog_format = 'ROW'; and binlog_format=ROW in the server"
            + " configuration (sessions opened before keep their format).");
      }
      String image = rs.getString(3);
      if (!"FULL".equalsIgnoreCase(image)) {
        throw new MySqlSourceException(Reason.ROW_IMAGE_NOT_FULL, where + ": binlog_row_image is '" + image
            + "' but change capture needs 'FULL' (before and after images of every column). Fix: SET GLOBAL"
            + " binlog_row_image = 'FULL'; and binlog_row_image=FULL in the server configuration.");
      }
      long own = rs.getLong(4);
      if (own == settings.serverId()) {
        throw new MySqlSourceException(Reason.SERVER_ID_CONFLICT, where + ": server-id " + settings.serverId()
            + " is the server's own server_id. Fix: give the source another 'server-id' (unique among the server and its replicas).");
      }
    }
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SHOW SLAVE HOSTS")) {
      while (rs.next()) {
        if (rs.getLong("Server_id") == settings.serverId()) {
          throw new MySqlSourceException(Reason.SERVER_ID_CONFLICT, where + ": another replica (" + rs.getString("Host")
              + ") is connected with server_id " + settings.serverId() + ". Fix: give the source another 'server-id'.");
        }
      }
    } catch (SQLException e) {
      if (e.getErrorCode() != ER_SPECIFIC_ACCESS_DENIED && e.getErrorCode() != ER_ACCESS_DENIED) {
        throw e;
      }
      // MariaDB 10.5+ wants REPLICATION MASTER ADMIN for SHOW SLAVE HOSTS; a CDC user rarely has it
      log.warn("source '{}': cannot list the server's replicas (user '{}' lacks REPLICATION MASTER ADMIN), so a"
          + " server-id collision with another replica is not checked before connecting", settings.name(), settings.user());
    }
  }

  private static final int ER_ACCESS_DENIED = 1045;
  private static final int ER_SPECIFIC_ACCESS_DENIED = 1227;

  /**
   * Fails unless the user may read the binlog: REPLICATION SLAVE (the binlog dump) and REPLICATION
   * CLIENT (MariaDB 10.5+: BINLOG MONITOR; SHOW MASTER STATUS and SHOW BINARY LOGS).
   */
  public void checkPrivileges() throws SQLException {
    Set<String> granted = new java.util.HashSet<>();
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = CONCAT('''',"
            + " SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')")) {
      while (rs.next()) {
        granted.add(rs.getString(1).toUpperCase(java.util.Locale.ROOT));
      }
    }
    List<String> missing = new ArrayList<>();
    if (!granted.contains("REPLICATION SLAVE")) {
      missing.add("REPLICATION SLAVE");
    }
    if (!granted.contains("REPLICATION CLIENT") && !granted.contains("BINLOG MONITOR")) {
      missing.add("REPLICATION CLIENT");
    }
    if (!missing.isEmpty()) {
      throw new MySqlSourceException(Reason.MISSING_PRIVILEGE, "source '" + settings.name() + "': user '"
          + settings.user() + "' lacks " + String.join(" and ", missing) + ", which reading the binlog needs. Fix: GRANT "
          + String.join(", ", missing) + " ON *.* TO '" + settings.user() + "'@'<host>'; (and SELECT on the captured"
          + " tables for the initial snapshot).");
    }
  }

  /** Fails when the binlog file of {@code position} is no longer on the server (purged). */
  public void checkPositionAvailable(BinlogPosition position) throws SQLException {
    List<String> files = new ArrayList<>();
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SHOW BINARY LOGS")) {
      while (rs.next()) {
        files.add(rs.getString(1));
      }
    }
    if (!files.contains(position.file())) {
      throw new MySqlSourceException(Reason.POSITION_PURGED, "source '" + settings.name() + "': binlog file "
          + position.file() + " of the recorded position " + position.display() + " is no longer on the server (oldest: "
          + (files.isEmpty() ? "none" : files.get(0)) + "); the changes since are lost. Fix: take a new snapshot of the"
          + " source (start it with empty state), and keep binlogs longer (binlog_expire_logs_seconds / expire_logs_days).");
    }
  }

  /** The server's current binlog end: where a reader starting now begins. */
  public BinlogPosition currentPosition() throws SQLException {
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SHOW MASTER STATUS")) {
      if (!rs.next()) {
        throw new MySqlSourceException(Reason.BINLOG_OFF, "source '" + settings.name()
            + "': SHOW MASTER STATUS returned nothing (binary log off?). Fix: enable log_bin.");
      }
      // MySQL with gtid_mode=ON: the executed set at this very position (MariaDB: BINLOG_GTID_POS later)
      String executed = null;
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        if ("Executed_Gtid_Set".equalsIgnoreCase(rs.getMetaData().getColumnLabel(i))) {
          executed = rs.getString(i);
        }
      }
      // where the next transaction will start: a boundary, before it
      return BinlogPosition.boundary(rs.getString(1), rs.getLong(2),
          executed == null || executed.isBlank() || isMariaDb() ? null : executed.replace("\n", ""));
    }
  }

  /** Resolves the include/exclude lists to tables with their primary keys; an entry matching nothing is an error. */
  public List<MySqlTable> resolveTables() throws SQLException {
    List<String[]> all = new ArrayList<>();
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'"
            + " ORDER BY TABLE_SCHEMA, TABLE_NAME")) {
      while (rs.next()) {
        if (!SYSTEM_DATABASES.contains(rs.getString(1).toLowerCase(java.util.Locale.ROOT))) {
          all.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
    }
    Set<String> chosen = new LinkedHashSet<>();
    for (String entry : settings.include()) {
      Pattern p = TablePatterns.glob(entry);
      boolean any = false;
      for (String[] t : all) {
        if (p.matcher(t[0] + "." + t[1]).matches()) {
          any = true;
          chosen.add(t[0] + "." + t[1]);
        }
      }
      if (!any) {
        throw new MySqlSourceException(Reason.NO_SUCH_TABLE, "source '" + settings.name() + "': included table '" + entry
            + "' " + (TablePatterns.isPattern(entry) ? "matches no table" : "does not exist")
            + " (or user '" + settings.user() + "' may not SELECT it). Fix: create it, grant SELECT on it, or correct the source's 'include-tables' list (entries are database.table, * and ? allowed).");
      }
    }
    chosen.removeIf(q -> TablePatterns.matchesAny(settings.exclude(), q));
    List<MySqlTable> tables = new ArrayList<>();
    for (String q : chosen) {
      int dot = q.indexOf('.');
      String db = q.substring(0, dot);
      String table = q.substring(dot + 1);
      tables.add(new MySqlTable(db, table, primaryKey(db, table),
          io.syncline.streams.mysql.types.MySqlColumn.mariaDbJsonColumns(conn, db, table)));
    }
    return tables;
  }

  private List<String> primaryKey(String db, String table) throws SQLException {
    List<String> cols = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE"
        + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION")) {
      ps.setString(1, db);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          cols.add(rs.getString(1));
        }
      }
    }
    return cols;
  }

  /** Whether the server is MariaDB (its GTIDs and snapshot support differ from MySQL's). */
  public boolean isMariaDb() throws SQLException {
    return conn.getMetaData().getDatabaseProductVersion().toLowerCase(java.util.Locale.ROOT).contains("mariadb");
  }

  /**
   * The GTID state at {@code position} (the start of an event group), or null when the server does
   * not use GTIDs or cannot tell. MariaDB computes it from its binlog ({@code BINLOG_GTID_POS}); MySQL
   * has no such function, so there the state is known only from where a reader started.
   */
  public String gtidStateAt(BinlogPosition position) throws SQLException {
    if (!isMariaDb()) {
      return null;
    }
    try (PreparedStatement ps = conn.prepareStatement("SELECT BINLOG_GTID_POS(?, ?)")) {
      ps.setString(1, position.file());
      ps.setLong(2, position.offset());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /**
   * The error the server sent for a binlog dump request, as an exception naming the fix. Error 1236
   * (the server cannot send from the requested file/offset or GTID state) means those changes are gone.
   */
  static MySqlSourceException explainDumpError(MySqlSourceSettings settings, BinlogPosition from,
      com.github.shyiko.mysql.binlog.network.ServerException e) {
    String what = from.resumeGtids() != null ? "GTID state " + from.resumeGtids() : "position " + from.display();
    if (e.getErrorCode() == 1236) {
      return new MySqlSourceException(Reason.POSITION_PURGED, "source '" + settings.name() + "': the server cannot send"
          + " the binlog from the recorded " + what + " (" + e.getMessage() + "); the changes since are lost. Fix: take a new"
          + " snapshot of the source (start it with empty state), and keep binlogs longer (binlog_expire_logs_seconds /"
          + " expire_logs_days).", e);
    }
    if (e.getMessage() != null && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("server_id")) {
      return new MySqlSourceException(Reason.SERVER_ID_CONFLICT, "source '" + settings.name() + "': the server refused"
          + " replica server-id " + settings.serverId() + " (" + e.getMessage() + "). Fix: give the source another 'server-id'.", e);
    }
    return new MySqlSourceException(Reason.OTHER, "source '" + settings.name() + "': the server refused to send the binlog"
        + " from " + what + ": " + e.getMessage(), e);
  }
}
