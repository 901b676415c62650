package io.syncline.streams.postgres;

import io.syncline.persistence.IncrementalSnapshotState;
import io.syncline.streams.capture.CaptureControl;
import io.syncline.streams.capture.CaptureRecord;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.capture.TableStart;
import io.syncline.streams.event.TableRef;
import java.util.List;
import java.util.Map;
import org.apache.pekko.stream.javadsl.Source;

/** A PostgreSQL database captured through pgoutput logical replication. */
public final class PgCaptureSource implements CaptureSource {

  private final PgSourceSettings settings;
  private volatile List<PgTable> tables;
  /** The walsender the last run streamed from: the next run takes the slot back from it if the network died. */
  private final java.util.concurrent.atomic.AtomicInteger walsender = new java.util.concurrent.atomic.AtomicInteger();

  public PgCaptureSource(PgSourceSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return settings.name();
  }

  public PgSourceSettings settings() {
    return settings;
  }

  @Override
  public List<TableRef> prepare() {
    List<PgTable> resolved = PgCapture.prepare(settings, walsender.get());
    tables = resolved;
    return resolved.stream().map(PgTable::ref).toList();
  }

  @Override
  public Source<List<CaptureRecord>, CaptureControl> open(Map<TableRef, TableStart> recorded) {
    return open(recorded, IncrementalSnapshotState.EMPTY);
  }

  @Override
  public Source<List<CaptureRecord>, CaptureControl> open(Map<TableRef, TableStart> recorded,
      IncrementalSnapshotState incremental) {
    List<PgTable> t = tables;
    if (t == null) {
      throw new IllegalStateException("source '" + settings.name() + "': open() before prepare()");
    }
    return PgCapture.source(settings, new PgStart(t, recorded), incremental, walsender);
  }

  @Override
  public String toString() {
    return "PgCaptureSource[" + settings + "]"; // PgSourceSettings never prints the password
  }

  @Override
  public int maxBatchSize() {
    return settings.maxBatchSize();
  }

  @Override
  public io.syncline.streams.capture.PositionCheck checkPositions(Map<TableRef, TableStart> recorded) {
    return PgPositionCheck.check(settings, recorded);
  }

  @Override
  public io.syncline.streams.capture.PositionCheck.OnPositionLost onPositionLost() {
    return settings.onPositionLost();
  }
}
