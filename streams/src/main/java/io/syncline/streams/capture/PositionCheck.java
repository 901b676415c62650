package io.syncline.streams.capture;

/**
 * What a source found when it compared the positions the tables recorded with the server, before
 * capture opens (docs/positions-and-recovery.md, "When the source's log goes back"). Reading from a
 * position the server's log no longer leads to (a replication slot recreated, a failover to a
 * standby that had not received everything, a point-in-time restore, RESET MASTER, another server
 * at the same address) would drop every new change that sorts at or before it: never done silently.
 */
public sealed interface PositionCheck {

  /**
   * The recorded positions are valid on this server.
   *
   * @param identity the server's history as it is now (recorded with the positions); null when the
   *     source has none to give
   */
  record Valid(String identity) implements PositionCheck {}

  /**
   * The recorded positions are not valid on this server.
   *
   * @param identity the server's history as it is now
   * @param reason what was found, naming the source, the positions and the server's
   */
  record Invalid(String identity, String reason) implements PositionCheck {}

  /** What a source does when its recorded positions are not valid ({@code on-position-lost}). */
  enum OnPositionLost {
    /** Stop the source with an error that names the fix (the default: a person decides). */
    FAIL,
    /** Forget every table's position and read the tables again with a new snapshot, then stream from there. */
    RESNAPSHOT;

    /** Parses the setting's value ({@code fail}, {@code resnapshot}). */
    public static OnPositionLost parse(String source, String value) {
      return switch (value == null ? "" : value.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "fail" -> FAIL;
        case "resnapshot" -> RESNAPSHOT;
        default -> throw new IllegalArgumentException("source '" + source + "': setting 'on-position-lost' must be"
            + " fail or resnapshot, got '" + value + "'");
      };
    }
  }
}
