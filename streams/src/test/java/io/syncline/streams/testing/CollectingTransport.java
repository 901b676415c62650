package io.syncline.streams.testing;

import io.syncline.streams.event.TableRef;
import io.syncline.streams.transport.OutRecord;
import io.syncline.streams.transport.Outgoing;
import io.syncline.streams.transport.Transport;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/** A transport for tests: keeps every record it is given, in order, and acknowledges at once. */
public final class CollectingTransport implements Transport {

  public final ConcurrentLinkedQueue<OutRecord> records = new ConcurrentLinkedQueue<>();

  @Override
  public CompletionStage<Done> prepare(Collection<TableRef> tables) {
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public <P> Flow<Outgoing<P>, P, NotUsed> flow() {
    return Flow.<Outgoing<P>>create().map(o -> {
      records.addAll(o.records());
      return o.passThrough();
    });
  }

  @Override
  public String name() {
    return "collect";
  }

  @Override
  public void close() {}
}
