package io.syncline.streams.lake;

import io.syncline.streams.envelope.EnvelopeEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * A lake writer fed like a Kafka consumer, for {@link LakeWriterCrashIT} to kill: it commits batch
 * after batch of a fixed history and records the last batch it acknowledged (the "offset") in a file
 * only after the batch's Delta commits; a restart resumes after that batch, so a kill between the
 * Delta commit and the acknowledgement delivers the batch again.
 *
 * <p>Arguments: lake directory, acknowledgement file, number of changes, batch size.
 */
public final class CrashingLakeWriter {

  private CrashingLakeWriter() {}

  public static void main(String[] args) throws Exception {
    Path lake = Path.of(args[0]);
    Path ack = Path.of(args[1]);
    int changes = Integer.parseInt(args[2]);
    int batchSize = Integer.parseInt(args[3]);
    List<LakeRecord> records = records(changes);
    int from = Files.exists(ack) ? Integer.parseInt(Files.readString(ack).trim()) + 1 : 0;
    LakeWriter writer = new LakeWriter(new LakeSettings(lake, Duration.ofSeconds(1)));
    Random r = new Random(from);
    for (int b = from; b * batchSize < records.size(); b++) {
      List<LakeRecord> batch = new ArrayList<>(records.subList(b * batchSize, Math.min(records.size(), (b + 1) * batchSize)));
      Collections.shuffle(batch, r); // a transport without order inside a batch
      writer.commit(List.of(new LakeBatch<>(batch, b)));
      Path tmp = ack.resolveSibling(ack.getFileName() + ".tmp");
      Files.writeString(tmp, Integer.toString(b));
      Files.move(tmp, ack, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      System.out.println("acked " + b);
    }
    System.out.println("done");
  }

  /** The history both processes agree on: {@link LakeWriterTest#history} with a fixed seed. */
  static List<LakeRecord> records(int changes) {
    EnvelopeEncoder enc = new EnvelopeEncoder(() -> 0L);
    return LakeWriterTest.history(changes, 42, new HashMap<>()).stream()
        .map(s -> LakeWriterTest.record(enc, LakeWriterTest.SHAPE, LakeWriterTest.ROW, s))
        .collect(Collectors.toList());
  }
}
