package io.syncline.streams.testing;

import io.syncline.streams.event.TableRef;
import io.syncline.streams.transport.OutRecord;
import io.syncline.streams.transport.Outgoing;
import io.syncline.streams.transport.Transport;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * A transport for tests: keeps every record it is given, in order, and acknowledges at once; or,
 * built with a batch limit, takes that many batches and then holds the next one forever (a sink
 * that stopped answering: the stream backs up behind it).
 */
public final class CollectingTransport implements Transport {

  public final ConcurrentLinkedQueue<OutRecord> records = new ConcurrentLinkedQueue<>();
  private final long batchLimit;
  private final AtomicLong batches = new AtomicLong();

  public CollectingTransport() {
    this(Long.MAX_VALUE);
  }

  /** Takes {@code batchLimit} batches, then holds the next one without acknowledging it. */
  public CollectingTransport(long batchLimit) {
    this.batchLimit = batchLimit;
  }

  /** True once a batch beyond the limit arrived and is being held. */
  public boolean holding() {
    return batches.get() > batchLimit;
  }

  @Override
  public CompletionStage<Done> prepare(Collection<TableRef> tables) {
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public <P> Flow<Outgoing<P>, P, NotUsed> flow() {
    return Flow.<Outgoing<P>>create().mapAsync(1, o -> {
      if (batches.incrementAndGet() > batchLimit) {
        return new CompletableFuture<P>(); // never acknowledged
      }
      records.addAll(o.records());
      return CompletableFuture.completedFuture(o.passThrough());
    });
  }

  @Override
  public String name() {
    return "collect";
  }

  @Override
  public void close() {}
}
