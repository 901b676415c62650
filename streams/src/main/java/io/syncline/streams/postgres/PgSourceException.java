package io.syncline.streams.postgres;

/**
 * A PostgreSQL source cannot run as configured. The message names the source, the thing that is
 * wrong and the fix; it never contains a password.
 */
public final class PgSourceException extends RuntimeException implements io.syncline.streams.capture.Failures.Classified {

  /** What went wrong, so callers (and tests) can tell the cases apart without parsing text. */
  public enum Reason {
    UNREACHABLE,
    WRONG_PASSWORD,
    /** The server asks for a password and the source sets none. */
    NO_PASSWORD,
    NOT_ALLOWED,
    NO_REPLICATION_PRIVILEGE,
    NO_SUCH_DATABASE,
    WAL_LEVEL_NOT_LOGICAL,
    NO_SUCH_TABLE,
    NO_PRIMARY_KEY,
    PUBLICATION,
    SLOT_IN_USE,
    SLOT_MISMATCH,
    /** The server invalidated the replication slot (its WAL removed): changes were lost, the slot must be dropped. */
    SLOT_LOST,
    /** TLS to the server failed: its certificate not trusted or not naming the host, or no TLS where required. */
    TLS,
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

  /**
   * Retried with backoff: the server may come back ({@code UNREACHABLE/SLOT_IN_USE/OTHER}); every other reason needs
   * someone to act, and stops the source with this message.
   */
  @Override
  public boolean retryable() {
    return reason == Reason.UNREACHABLE || reason == Reason.SLOT_IN_USE || reason == Reason.OTHER;
  }
}
