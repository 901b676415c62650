package io.syncline.node.consume;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The two CSV files of one consumer, {@code inserts.csv} and {@code deletes.csv} in its directory.
 * Each Kafka record becomes rows by its envelope's {@code op}:
 *
 * <ul>
 *   <li>{@code c} (insert), {@code r} (snapshot read): the {@code after} image into inserts;
 *   <li>{@code u}: a delete of the {@code before} image (the message key when {@code before} is
 *       null, as for PostgreSQL without REPLICA IDENTITY FULL), then an insert of {@code after},
 *       both with the record's partition and offset;
 *   <li>{@code d}: the {@code before} image (or the key) into deletes;
 *   <li>{@code t} (truncate): a row into deletes with every data cell empty: every row of the
 *       table before it is gone;
 *   <li>a tombstone (null value) writes nothing.
 * </ul>
 *
 * Not thread-safe: one writer per consumer thread.
 */
final class CsvWriter implements Closeable {

  static final String INSERTS = "inserts.csv";
  static final String DELETES = "deletes.csv";

  private final CsvFile inserts;
  private final CsvFile deletes;
  private long tombstones;

  private CsvWriter(CsvFile inserts, CsvFile deletes) {
    this.inserts = inserts;
    this.deletes = deletes;
  }

  /** Opens (creates) the directory's two files for appending, repairing a torn last record. */
  static CsvWriter open(Path dir) throws IOException {
    Files.createDirectories(dir);
    CsvFile ins = CsvFile.open(dir.resolve(INSERTS));
    try {
      return new CsvWriter(ins, CsvFile.open(dir.resolve(DELETES)));
    } catch (IOException | RuntimeException e) {
      ins.close();
      throw e;
    }
  }

  /**
   * Buffers the rows of one record.
   *
   * @throws IllegalArgumentException when the record is not a change-event envelope
   */
  void append(int partition, long offset, byte[] key, byte[] value) throws IOException {
    Envelope e = Envelope.parse(value);
    if (e == null) {
      tombstones++;
      return;
    }
    switch (e.op()) {
      case "c", "r" -> inserts.add(e.op(), e.tsMs(), partition, offset, required(e.after(), e, "after"));
      case "u" -> {
        Envelope.Cells after = e.after();
        if (after == null) {
          throw new IllegalArgumentException("an update without an \"after\" image cannot be written as a row "
              + "(a MongoDB source with full-document = default sends only what changed). Fix: set the source's "
              + "full-document = updateLookup (or required)");
        }
        deletes.add("u", e.tsMs(), partition, offset, beforeOrKey(e, key));
        inserts.add("u", e.tsMs(), partition, offset, after);
      }
      case "d" -> deletes.add("d", e.tsMs(), partition, offset, beforeOrKey(e, key));
      case "t" -> deletes.add("t", e.tsMs(), partition, offset, Envelope.Cells.NONE);
      default -> throw new IllegalArgumentException("unknown \"op\" '" + e.op() + "' (expected c, u, d, r or t)");
    }
  }

  /** Writes both files' buffered rows and forces them to disk: after this the rows are durable. */
  void flush() throws IOException {
    inserts.flush();
    deletes.flush();
  }

  long insertRows() {
    return inserts.rows();
  }

  long deleteRows() {
    return deletes.rows();
  }

  long tombstones() {
    return tombstones;
  }

  /** Closes both files; rows not flushed are dropped (their offsets were never committed). */
  @Override
  public void close() throws IOException {
    try {
      inserts.close();
    } finally {
      deletes.close();
    }
  }

  private static Envelope.Cells beforeOrKey(Envelope e, byte[] key) {
    if (e.before() != null) {
      return e.before();
    }
    Envelope.Cells k = Envelope.parseKey(key);
    if (k == null) {
      throw new IllegalArgumentException("a '" + e.op() + "' event with neither a \"before\" image nor a message key: "
          + "the deleted row cannot be identified. Fix: give the table a primary key, or REPLICA IDENTITY FULL on PostgreSQL");
    }
    return k;
  }

  private static Envelope.Cells required(Envelope.Cells image, Envelope e, String field) {
    if (image == null) {
      throw new IllegalArgumentException("a '" + e.op() + "' event without an \"" + field + "\" image");
    }
    return image;
  }
}
