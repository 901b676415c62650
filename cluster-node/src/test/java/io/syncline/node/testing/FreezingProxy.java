package io.syncline.node.testing;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * A TCP proxy that can freeze the connections it carries without closing them: a network that
 * silently stops delivering (a dead link behind a middlebox, a peer frozen), which neither end sees
 * until a timeout of its own fires. {@link #freeze()} stops every connection open at that moment, in
 * both directions, forever (its sockets stay open, unread); connections accepted later pass.
 */
public final class FreezingProxy implements AutoCloseable {

  private static final CompletableFuture<Done> OPEN = CompletableFuture.completedFuture(Done.getInstance());

  private final ActorSystem system;
  private final Tcp.ServerBinding binding;
  private final List<AtomicReference<CompletableFuture<Done>>> gates = new CopyOnWriteArrayList<>();

  private FreezingProxy(ActorSystem system, int targetPort, String targetHost) throws Exception {
    this.system = system;
    Tcp tcp = Tcp.get(system);
    this.binding = tcp.bind("127.0.0.1", 0)
        .to(Sink.foreach(connection -> {
          AtomicReference<CompletableFuture<Done>> gate = new AtomicReference<>(OPEN);
          gates.add(gate);
          connection.handleWith(gated(gate).via(tcp.outgoingConnection(targetHost, targetPort)).via(gated(gate)), system);
        }))
        .run(system).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Listens on a free local port and forwards to {@code targetHost:targetPort}. */
  public static FreezingProxy start(String targetHost, int targetPort) throws Exception {
    return new FreezingProxy(ActorSystem.create("freezing-proxy"), targetPort, targetHost);
  }

  /** Bytes pass while the gate is open; once closed, the next chunk waits forever, and so does the sender. */
  private static Flow<ByteString, ByteString, NotUsed> gated(AtomicReference<CompletableFuture<Done>> gate) {
    return Flow.<ByteString>create().mapAsync(1, bytes -> gate.get().thenApply(done -> bytes));
  }

  public int port() {
    return ((InetSocketAddress) binding.localAddress()).getPort();
  }

  /** Freezes every connection open now; returns how many. */
  public int freeze() {
    int n = 0;
    for (AtomicReference<CompletableFuture<Done>> gate : gates) {
      if (gate.getAndSet(new CompletableFuture<>()) == OPEN) {
        n++;
      }
    }
    gates.clear();
    return n;
  }

  /** Stops listening and drops every connection. */
  @Override
  public void close() throws Exception {
    binding.unbind().toCompletableFuture().get(30, TimeUnit.SECONDS);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
