package io.syncline.node;

import java.util.Optional;
import org.apache.pekko.actor.CoordinatedShutdown;

/**
 * Why a node stopped, as the reason of its coordinated shutdown, and the exit status
 * {@code syncline run} ends with: 0 when stopped by a signal, 1 after a fatal error (already logged,
 * one line at ERROR; 2 when it is one of configuration) or any other end of a node that should
 * have run until stopped.
 */
final class NodeExit {

  /**
   * A fatal error after the actor system started, logged already: the journal never came up
   * (status 1), a transport that cannot be made from its configuration (status 2).
   */
  record Fatal(String message, int status) implements CoordinatedShutdown.Reason {}

  /** Stopped by a signal ({@code SIGTERM}, {@code SIGINT}). */
  record Signal(String name) implements CoordinatedShutdown.Reason {}

  private NodeExit() {}

  static int status(Optional<CoordinatedShutdown.Reason> reason) {
    if (reason.isEmpty()) {
      return 1;
    }
    CoordinatedShutdown.Reason r = reason.get();
    if (r instanceof Fatal f) {
      return f.status();
    }
    return r instanceof Signal || r == CoordinatedShutdown.jvmExitReason() ? 0 : 1;
  }
}
