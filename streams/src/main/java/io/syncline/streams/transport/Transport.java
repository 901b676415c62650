package io.syncline.streams.transport;

import io.syncline.streams.event.TableRef;
import java.util.Collection;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * Where encoded change events go. A transport's flow emits each batch's pass-through only after
 * every record of that batch is durably delivered (Kafka: acknowledged with acks=all; file:
 * written and flushed), and in the order the batches came in: the caller moves source positions
 * on what comes out, so nothing is acknowledged at the source before the sink has it.
 * A delivery failure fails the stream; it never skips records.
 */
public interface Transport extends AutoCloseable {

  /** Prepares destinations for these tables (e.g. creates missing Kafka topics); idempotent. */
  CompletionStage<Done> prepare(Collection<TableRef> tables);

  /** The delivery flow. May be materialized more than once (after a restart), one at a time. */
  <P> Flow<Outgoing<P>, P, NotUsed> flow();

  /** Short name for logs and metrics ({@code kafka}, {@code jsonl}, {@code noop}). */
  String name();

  /** Releases clients and files. */
  @Override
  void close();
}
