package io.syncline.streams.transport;

import io.syncline.streams.event.TableRef;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * Delivers every batch to several transports, one after the other; a batch's pass-through comes
 * out only once all of them have it (so positions move only when every sink is durable).
 */
public final class FanOutTransport implements Transport {

  private final List<Transport> transports;

  public FanOutTransport(List<Transport> transports) {
    if (transports.isEmpty()) {
      throw new IllegalArgumentException("no transports configured (syncline.transport.sinks is empty)");
    }
    this.transports = List.copyOf(transports);
  }

  @Override
  public CompletionStage<Done> prepare(Collection<TableRef> tables) {
    CompletableFuture<?>[] all = transports.stream()
        .map(t -> t.prepare(tables).toCompletableFuture())
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(all).thenApply(v -> Done.getInstance());
  }

  @Override
  public <P> Flow<Outgoing<P>, P, NotUsed> flow() {
    // each stage passes the whole batch through, so the next transport gets the same records
    Flow<Outgoing<P>, Outgoing<P>, NotUsed> chain = Flow.create();
    for (Transport t : transports) {
      chain = chain.via(Flow.<Outgoing<P>>create()
          .map(o -> new Outgoing<>(o.records(), o))
          .via(t.<Outgoing<P>>flow()));
    }
    return chain.map(Outgoing::passThrough);
  }

  @Override
  public String name() {
    return String.join("+", transports.stream().map(Transport::name).toList());
  }

  @Override
  public void close() {
    transports.forEach(Transport::close);
  }
}
