package io.syncline.bench;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Replays the CSV files of {@code syncline consume} (every {@code inserts*.csv} and
 * {@code deletes*.csv} under a group's directory, all consumers) as docs/consumers.md tells a
 * reader to: de-duplicated by (partition, offset, file kind), in (partition, offset) order with the
 * delete before the insert of one offset. It keeps only the latest step per key (all changes of a
 * key are in one partition, which it checks), so memory is one row per key, not per change.
 *
 * <p>Also counts what was written: rows per kind, copies beyond the first (at-least-once
 * duplicates), and the records of each partition that no file holds (losses).
 */
final class CsvReplay {

  /** The latest change of a key seen so far. */
  private record Step(int partition, long offset, boolean insert, List<String> values) {
    boolean after(Step other) {
      return offset != other.offset ? offset > other.offset : insert && !other.insert;
    }
  }

  /**
   * What the files hold.
   *
   * @param inserts distinct insert rows
   * @param deletes distinct delete rows
   * @param duplicates rows beyond the first copy of a (partition, offset, kind)
   * @param missing records of [0, end offset) of a partition in neither file, tombstones not counted
   * @param table the replayed table: id → the data columns after {@code id}, in file order
   */
  record Result(long inserts, long deletes, long duplicates, long missing, Map<Long, List<String>> table) {}

  private final Map<Long, Step> latest = new HashMap<>();
  private final Map<Integer, BitSet> insertOffsets = new TreeMap<>();
  private final Map<Integer, BitSet> deleteOffsets = new TreeMap<>();
  private long duplicates;

  private CsvReplay() {}

  /**
   * Replays every CSV file under {@code groupDirectory} and checks them against the topic's end
   * offsets ({@code endOffsets}: partition → next offset), of which {@code tombstones} records are
   * tombstones (null values after deletes, Kafka's {@code tombstones-on-delete}): a consumer writes
   * no row for them, so their offsets are in neither file without being missing.
   */
  static Result replay(Path groupDirectory, Map<Integer, Long> endOffsets, long tombstones) throws IOException {
    CsvReplay r = new CsvReplay();
    List<Path> files;
    try (Stream<Path> all = Files.walk(groupDirectory)) {
      files = all.filter(p -> p.getFileName().toString().matches("(inserts|deletes)(\\.\\d+)?\\.csv")).sorted().toList();
    }
    for (Path f : files) {
      r.read(f, f.getFileName().toString().startsWith("inserts"));
    }
    long missing = -tombstones;
    for (Map.Entry<Integer, Long> e : endOffsets.entrySet()) {
      BitSet any = (BitSet) r.insertOffsets.getOrDefault(e.getKey(), new BitSet()).clone();
      any.or(r.deleteOffsets.getOrDefault(e.getKey(), new BitSet()));
      missing += e.getValue() - any.get(0, Math.toIntExact(e.getValue())).cardinality();
    }
    Map<Long, List<String>> table = new HashMap<>();
    r.latest.forEach((id, step) -> {
      if (step.insert()) {
        table.put(id, step.values());
      }
    });
    return new Result(cardinality(r.insertOffsets), cardinality(r.deleteOffsets), r.duplicates, missing, table);
  }

  private static long cardinality(Map<Integer, BitSet> offsets) {
    return offsets.values().stream().mapToLong(BitSet::cardinality).sum();
  }

  private void read(Path file, boolean inserts) throws IOException {
    CsvMapper mapper = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        MappingIterator<String[]> rows = mapper.readerFor(String[].class).readValues(in)) {
      if (!rows.hasNext()) {
        return;
      }
      List<String> header = Arrays.asList(rows.next());
      int partitionAt = column(header, "_partition", file);
      int offsetAt = column(header, "_offset", file);
      int idAt = column(header, "id", file);
      while (rows.hasNext()) {
        String[] row = rows.next();
        int partition = Integer.parseInt(row[partitionAt]);
        long offset = Long.parseLong(row[offsetAt]);
        BitSet seen = (inserts ? insertOffsets : deleteOffsets).computeIfAbsent(partition, p -> new BitSet());
        if (seen.get(Math.toIntExact(offset))) {
          duplicates++;
          continue;
        }
        seen.set(Math.toIntExact(offset));
        List<String> values = new ArrayList<>(row.length - idAt - 1);
        for (int i = idAt + 1; i < row.length; i++) {
          values.add(row[i]);
        }
        Step step = new Step(partition, offset, inserts, inserts ? List.copyOf(values) : List.of());
        long id = Long.parseLong(row[idAt]);
        Step before = latest.get(id);
        if (before != null && before.partition() != partition) {
          throw new IllegalStateException("key " + id + " is in partitions " + before.partition() + " and " + partition
              + ": the per-key order of the replay does not hold");
        }
        if (before == null || step.after(before)) {
          latest.put(id, step);
        }
      }
    }
  }

  private static int column(List<String> header, String name, Path file) {
    int i = header.indexOf(name);
    if (i < 0) {
      throw new IllegalStateException(file + " has no column " + name + ": header " + header);
    }
    return i;
  }
}
