package io.syncline.streams.postgres;

import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.streams.capture.CaptureRecord;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;

/**
 * One run of a PostgreSQL source as a stream stage: opens a {@link PgReplicationSession} when it
 * starts, pushes the session's chunks of records while downstream asks for them, closes the session
 * when it stops. The stage runs on the blocking I/O dispatcher (the session's reads block briefly),
 * and its own timer keeps the replication connection alive while downstream does not ask: a slow
 * sink stops the reading, not the standby status updates, so the server's {@code wal_sender_timeout}
 * never ends the connection because of backpressure. Timer, reads and close all run in the stage,
 * one at a time: the session (and pgjdbc's stream, which is not thread-safe) sees one thread at a time.
 */
final class PgReplicationStage extends GraphStage<SourceShape<List<CaptureRecord>>> {

  private static final String KEEPALIVE = "keepalive";
  private static final String READ_AGAIN = "read";

  private final Outlet<List<CaptureRecord>> out = Outlet.create("PgReplication.out");
  private final SourceShape<List<CaptureRecord>> shape = SourceShape.of(out);
  private final PgSourceSettings settings;
  private final PgStart start;
  private final PgCapture.Control control;
  private final IncrementalSnapshotState incremental;
  private final AtomicInteger walsender;

  PgReplicationStage(PgSourceSettings settings, PgStart start, PgCapture.Control control,
      IncrementalSnapshotState incremental, AtomicInteger walsender) {
    this.settings = settings;
    this.walsender = walsender;
    this.start = start;
    this.control = control;
    this.incremental = incremental;
  }

  @Override
  public SourceShape<List<CaptureRecord>> shape() {
    return shape;
  }

  @Override
  public Attributes initialAttributes() {
    // a dispatcher attribute makes the stage an island of its own, on threads that may block
    return Attributes.name("pgReplication").and(ActorAttributes.dispatcher(PgCapture.BLOCKING_IO_DISPATCHER));
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private PgReplicationSession session;

      {
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() throws Exception {
            read();
          }
        });
      }

      @Override
      public void preStart() {
        session = PgReplicationSession.open(settings, start, control, incremental, materializer(), walsender);
        Duration every = settings.statusInterval();
        scheduleWithFixedDelay(KEEPALIVE, every, every);
      }

      /**
       * Reads the next chunk; after an idle read (nothing arrived for a moment) it reads again from a
       * timer: a timer's event goes through the stage actor's mailbox, so a cancellation waiting there
       * is seen first (an async callback invoked from the stage itself would be run at once by the
       * interpreter, up to a thousand times in a row, before the mailbox).
       */
      private void read() throws Exception {
        List<CaptureRecord> chunk = session.next();
        if (!chunk.isEmpty()) {
          push(out, chunk);
        } else if (session.ended()) {
          completeStage(); // a new run takes over (new tables); everything emitted is delivered first
        } else {
          scheduleOnce(READ_AGAIN, Duration.ZERO);
        }
      }

      @Override
      public void onTimer(Object key) throws Exception {
        if (READ_AGAIN.equals(key)) {
          if (isAvailable(out)) {
            read();
          }
        } else if (!isAvailable(out)) {
          session.keepAlive(); // downstream is busy: nobody reads, so tell the server we are here
        }
      }

      @Override
      public void postStop() {
        if (session != null) {
          session.close();
        }
      }
    };
  }
}
