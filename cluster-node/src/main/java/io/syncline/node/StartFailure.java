package io.syncline.node;

/**
 * The node cannot start for a reason outside its configuration's syntax (its data directory is
 * unusable or in use, its port is taken): the message is the one line to show, naming the thing and
 * the fix. {@code syncline run} prints it and exits with status 1.
 */
public final class StartFailure extends RuntimeException {

  public StartFailure(String message) {
    super(message);
  }

  public StartFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
