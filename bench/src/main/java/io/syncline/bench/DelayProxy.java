package io.syncline.bench;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.DelayOverflowStrategy;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * A TCP proxy adding a fixed latency: every chunk of bytes is forwarded {@code delay} after it
 * arrived, in both directions, in order. It stands in for {@code tc netem delay} on kernels without
 * {@code sch_netem} (bench/netns-consumers): the rate limit stays with the kernel ({@code tbf}).
 *
 * <p>A Pekko Streams {@code delay} stage per direction, with backpressure when its buffer of
 * {@value #BUFFERED_CHUNKS} chunks is full (a chunk is one TCP read, at most the TCP read buffer):
 * memory is bounded, and a full buffer slows the sender down like a full TCP window would.
 */
final class DelayProxy implements AutoCloseable {

  static final int BUFFERED_CHUNKS = 1024;

  private final Tcp.ServerBinding binding;

  private DelayProxy(Tcp.ServerBinding binding) {
    this.binding = binding;
  }

  /**
   * Listens on {@code bindHost:bindPort}; each accepted connection is forwarded to
   * {@code targetHost:targetPort} through a delay of {@code delay} each way.
   */
  static DelayProxy start(ActorSystem system, String bindHost, int bindPort, String targetHost, int targetPort,
      Duration delay) throws Exception {
    Tcp tcp = Tcp.get(system);
    CompletionStage<Tcp.ServerBinding> bound = tcp.bind(bindHost, bindPort)
        .to(Sink.foreach(connection -> connection.handleWith(
            delayed(delay).via(tcp.outgoingConnection(targetHost, targetPort)).via(delayed(delay)), system)))
        .run(system);
    return new DelayProxy(bound.toCompletableFuture().get(30, TimeUnit.SECONDS));
  }

  private static Flow<ByteString, ByteString, NotUsed> delayed(Duration delay) {
    return Flow.<ByteString>create()
        .delay(delay, DelayOverflowStrategy.backpressure())
        .withAttributes(Attributes.inputBuffer(BUFFERED_CHUNKS, BUFFERED_CHUNKS));
  }

  /** The address it listens on. */
  String address() {
    return binding.localAddress().getHostString() + ":" + binding.localAddress().getPort();
  }

  /** Stops accepting; open connections end with the actor system. */
  @Override
  public void close() throws Exception {
    binding.unbind().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
