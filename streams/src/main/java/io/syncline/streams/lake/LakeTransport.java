package io.syncline.streams.lake;

import io.syncline.streams.event.TableRef;
import io.syncline.streams.transport.OutRecord;
import io.syncline.streams.transport.Outgoing;
import io.syncline.streams.transport.Transport;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * The lake writer as an in-process {@link Transport}: the delivery pipeline's batches go straight
 * into Delta, and each batch comes back once its events are committed (bronze and silver). For one
 * machine without Kafka or SQS (docs/lake.md): durability between capture and lake is the source's
 * own (a batch not committed is read again from the source's acknowledged position).
 */
public final class LakeTransport implements Transport {

  private final LakeWriter writer;
  private final Function<TableRef, TableShape> shapes;

  /**
   * @param shapes the current shape of a table (its columns' lake types and key), from the source's
   *     schema knowledge; called per batch and table
   */
  public LakeTransport(LakeWriter writer, Function<TableRef, TableShape> shapes) {
    this.writer = writer;
    this.shapes = shapes;
  }

  @Override
  public CompletionStage<Done> prepare(Collection<TableRef> tables) {
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public <P> Flow<Outgoing<P>, P, NotUsed> flow() {
    return Flow.<Outgoing<P>>create().map(this::toLake).via(writer.flow());
  }

  private <P> LakeBatch<P> toLake(Outgoing<P> batch) {
    List<LakeRecord> records = new ArrayList<>(batch.records().size());
    TableRef table = null;
    TableShape shape = null;
    for (OutRecord r : batch.records()) {
      if (r.position() == null) {
        throw new IllegalArgumentException("a record of " + r.table() + " without a source position cannot go to the"
            + " lake: its position is what makes a replay harmless");
      }
      if (r.table() != table) {
        table = r.table();
        shape = shapes.apply(table);
        if (shape == null) {
          throw new IllegalStateException("no lake shape for " + table + ": the source did not describe its columns");
        }
      }
      records.add(new LakeRecord(r.table(), shape, r.position(), r.key(), r.value()));
    }
    return new LakeBatch<>(records, batch.passThrough());
  }

  @Override
  public String name() {
    return "lake";
  }

  @Override
  public void close() {}
}
