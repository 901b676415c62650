package io.syncline.node;

import io.syncline.persistence.SourcePosition;
import io.syncline.streams.capture.CaptureMetrics;
import io.syncline.streams.capture.OpCounts;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;

/**
 * Logs one line per source every {@code syncline.reader.log-interval}, at INFO: events delivered
 * (total, in the interval, per second), the lag of the latest one, the position last acknowledged
 * to the source and how long ago, and when the last event came. A node that streams, one that is
 * idle (no events, but the position is still acknowledged: heartbeats) and one that is stalled
 * (nothing acknowledged for long) read differently:
 *
 * <pre>
 * source 'shop': events 48210 (+2011, 201/s), lag 35 ms, position 0/1A2B3C8 acknowledged 0.2 s ago, last event 0.1 s ago
 * source 'shop': events 48210 (+0, 0/s), lag -, position 0/1A2C000 acknowledged 1.0 s ago, last event 4 min ago
 * </pre>
 */
final class ProgressReporter {

  enum Tick { INSTANCE }

  /** What the previous line saw, for the difference. */
  private record Seen(long events, long nanos) {}

  private ProgressReporter() {}

  static Behavior<Tick> create(Duration interval, Map<String, CaptureMetrics> metrics) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerAtFixedRate(Tick.INSTANCE, interval);
      Logger log = ctx.getLog();
      Map<String, Seen> seen = new HashMap<>();
      long start = System.nanoTime();
      metrics.forEach((name, m) -> seen.put(name, new Seen(events(m.counts()), start)));
      return Behaviors.receiveMessage(tick -> {
        long now = System.nanoTime();
        long nowMillis = System.currentTimeMillis();
        metrics.forEach((name, m) -> {
          long total = events(m.counts());
          Seen before = seen.put(name, new Seen(total, now));
          long delta = total - before.events();
          double seconds = Math.max(1e-3, (now - before.nanos()) / 1e9);
          log.info("{}", line(name, m, total, delta, Math.round(delta / seconds), nowMillis));
        });
        return Behaviors.same();
      });
    }));
  }

  static String line(String source, CaptureMetrics m, long total, long delta, long perSecond, long nowMillis) {
    SourcePosition position = m.acknowledgedPosition();
    long last = m.lastDeliveredMillis();
    return "source '" + source + "': events " + total + " (+" + delta + ", " + perSecond + "/s), lag "
        + (delta > 0 ? m.lastLagMillis() + " ms" : "-")
        + ", position " + (position == null ? "none acknowledged yet"
            : position.display() + " acknowledged " + ago(nowMillis - m.acknowledgedMillis()))
        + ", " + (last == 0 ? "no event yet" : "last event " + ago(nowMillis - last));
  }

  private static long events(OpCounts c) {
    return c.inserts() + c.updates() + c.deletes() + c.reads() + c.truncates();
  }

  /** {@code 0.4 s ago}, {@code 12 s ago}, {@code 5 min ago}, {@code 3 h ago}. */
  static String ago(long millis) {
    long ms = Math.max(0, millis);
    if (ms < 10_000) {
      return String.format(java.util.Locale.ROOT, "%.1f s ago", ms / 1000.0);
    }
    if (ms < 120_000) {
      return ms / 1000 + " s ago";
    }
    if (ms < 7_200_000) {
      return ms / 60_000 + " min ago";
    }
    return ms / 3_600_000 + " h ago";
  }
}
