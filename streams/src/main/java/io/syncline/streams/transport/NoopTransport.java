package io.syncline.streams.transport;

import io.syncline.streams.event.TableRef;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/** Discards records and acknowledges at once: measures capture and encoding alone (benchmarks). */
public final class NoopTransport implements Transport {

  @Override
  public CompletionStage<Done> prepare(Collection<TableRef> tables) {
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public <P> Flow<Outgoing<P>, P, NotUsed> flow() {
    return Flow.<Outgoing<P>>create().map(Outgoing::passThrough);
  }

  @Override
  public String name() {
    return "noop";
  }

  @Override
  public void close() {}
}
