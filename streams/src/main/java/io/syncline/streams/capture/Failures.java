package io.syncline.streams.capture;

import java.io.IOException;
import java.sql.SQLException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The one home of failure classification: whether a failure of a source, a sink or the journal is
 * worth retrying. Transient failures (network, a server restarting, a broker down) are retried with
 * backoff; permanent ones (configuration, permission, a record no sink will ever take) stop the
 * source with their message, which names the fix: retrying them only hides them while the source
 * holds its log (a PostgreSQL slot's WAL) until the disk fills.
 */
public final class Failures {

  private Failures() {}

  /** An exception that knows whether it is worth retrying. */
  public interface Classified {
    /** True when trying again later may succeed without anyone acting. */
    boolean retryable();
  }

  /**
   * A failure that will not go away by itself: trying again does the same thing. Its message says
   * what is wrong and how to fix it.
   */
  public static class Permanent extends RuntimeException implements Classified {
    public Permanent(String message) {
      super(message);
    }

    public Permanent(String message, Throwable cause) {
      super(message, cause);
    }

    @Override
    public boolean retryable() {
      return false;
    }
  }

  /**
   * Whether {@code failure} is worth retrying: the first {@link Classified} in its cause chain
   * decides; else SQL states of class 28 (authorization) and 42 (syntax or access rule) are
   * permanent, and everything else (I/O, timeouts, connection states 08, unknown) is retried.
   */
  public static boolean retryable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof Classified c) {
        return c.retryable();
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null
          && (sql.getSQLState().startsWith("28") || sql.getSQLState().startsWith("42"))) {
        return false;
      }
    }
    return true;
  }

  /** The failure without the wrappers futures add. */
  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** True for failures of the network or of a peer that went away (for messages). */
  public static boolean isConnectionLoss(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException || t instanceof TimeoutException
          || (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08"))) {
        return true;
      }
    }
    return false;
  }
  /** True when {@code failure} or one of its causes is a {@code type}. */
  public static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** True when the failure is a host name that resolves to no address (a configuration error to name). */
  public static boolean unknownHost(Throwable failure) {
    return causedBy(failure, java.net.UnknownHostException.class);
  }

  /** True when the failure is a read or connect that ran out of its socket timeout. */
  public static boolean timedOut(Throwable failure) {
    return causedBy(failure, java.net.SocketTimeoutException.class);
  }
}
