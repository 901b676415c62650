package io.syncline.streams.postgres;

/**
 * A PostgreSQL source cannot run as configured. The message names the source, the thing that is
 * wrong and the fix; it never contains a password.
 */
public final class PgSourceException extends RuntimeException {

  /** What went wrong, so callers (and tests) can tell the cases apart without parsing text. */
  public enum Reason {
    UNREACHABLE,
    WRONG_PASSWORD,
    NOT_ALLOWED,
    NO_REPLICATION_PRIVILEGE,
    NO_SUCH_DATABASE,
    WAL_LEVEL_NOT_LOGICAL,
    NO_SUCH_TABLE,
    NO_PRIMARY_KEY,
    PUBLICATION,
    SLOT_IN_USE,
    SLOT_MISMATCH,
    /** The signal table of incremental snapshots is missing, malformed or not writable. */
    SIGNAL_TABLE,
    OTHER
  }

  private final Reason reason;

  public PgSourceException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public PgSourceException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }
}
