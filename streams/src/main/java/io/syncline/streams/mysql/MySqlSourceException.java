package io.syncline.streams.mysql;

/**
 * A MySQL/MariaDB source cannot run as configured. The message names the source, what is wrong and
 * the fix; it never contains a password.
 */
public final class MySqlSourceException extends RuntimeException implements io.syncline.streams.capture.Failures.Classified {

  /** What went wrong, so callers and tests can tell the cases apart. */
  public enum Reason {
    UNREACHABLE,
    WRONG_PASSWORD,
    /** The server asks for a password and the source sets none. */
    NO_PASSWORD,
    BINLOG_OFF,
    BINLOG_FORMAT_NOT_ROW,
    ROW_IMAGE_NOT_FULL,
    SERVER_ID_CONFLICT,
    POSITION_PURGED,
    NO_SUCH_TABLE,
    /** The signal table of incremental snapshots is missing, malformed or not writable. */
    SIGNAL_TABLE,
    /** The user lacks a privilege reading the binlog needs (REPLICATION SLAVE / CLIENT). */
    MISSING_PRIVILEGE,
    /** A DDL statement changes a captured table in a way the schema tracker cannot read. */
    DDL_NOT_UNDERSTOOD,
    /** The binlog and the tracked table definition disagree (column count or types, or a DDL statement). */
    SCHEMA_MISMATCH,
    /** Nothing, not even a heartbeat, came over the binlog connection for heartbeat-timeout: a half-open connection. */
    CONNECTION_LOST,
    /** TLS to the server failed: its certificate not trusted or not naming the host, or no TLS where required. */
    TLS,
    OTHER
  }

  private final Reason reason;

  public MySqlSourceException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public MySqlSourceException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }

  /**
   * Retried with backoff: the server or the network may come back ({@code UNREACHABLE}, {@code CONNECTION_LOST},
   * {@code OTHER}); every other reason needs someone to act, and stops the source with this message.
   */
  @Override
  public boolean retryable() {
    return reason == Reason.UNREACHABLE || reason == Reason.CONNECTION_LOST || reason == Reason.OTHER;
  }
}
