package io.syncline.streams.mongo;

/**
 * A MongoDB source cannot run as configured. The message names the source, the collection or
 * setting, what is wrong and the fix; it never contains a password.
 */
public final class MongoSourceException extends RuntimeException implements io.syncline.streams.capture.Failures.Classified {

  /** What went wrong, so callers and tests can tell the cases apart. */
  public enum Reason {
    UNREACHABLE,
    /** A standalone server: change streams need a replica set or a sharded cluster. */
    NO_CHANGE_STREAMS,
    /** An include-tables entry matches no collection. */
    NO_SUCH_COLLECTION,
    /** A collection's resume point is no longer in the oplog (ChangeStreamHistoryLost, 286/280). */
    HISTORY_LOST,
    /** The snapshot's point in time left the server's snapshot history window (SnapshotTooOld, 239). */
    SNAPSHOT_TOO_OLD,
    OTHER
  }

  private final Reason reason;

  public MongoSourceException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public MongoSourceException(Reason reason, String message) {
    this(reason, message, null);
  }

  public Reason reason() {
    return reason;
  }

  /**
   * Retried with backoff: the server may come back ({@code UNREACHABLE/SNAPSHOT_TOO_OLD/OTHER}: a new snapshot point); every other reason needs
   * someone to act, and stops the source with this message.
   */
  @Override
  public boolean retryable() {
    return reason == Reason.UNREACHABLE || reason == Reason.SNAPSHOT_TOO_OLD || reason == Reason.OTHER;
  }
}
