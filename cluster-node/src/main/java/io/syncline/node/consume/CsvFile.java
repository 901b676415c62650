package io.syncline.node.consume;

import io.syncline.streams.transport.TornTail;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One appended RFC 4180 CSV file ({@code inserts.csv} or {@code deletes.csv}) with a header line.
 * Rows are buffered until {@link #flush()}, which writes them and forces the file to disk.
 *
 * <p>Columns: {@link #META} first, then the row's columns in the order of the first row written
 * to the file (or of the header of the existing file). A row is placed by column name; a column
 * the row lacks is an empty cell. A row with a column the header lacks (the table was altered)
 * rotates the file: the current one is flushed and renamed {@code <name>.<n>.csv} (n = 1, 2, …)
 * and a new file with a new header is started.
 *
 * <p>Cells: a null is an empty cell; an empty string is {@code ""}; a cell holding {@code ,},
 * {@code "}, CR or LF is quoted, quotes doubled. Lines end with CRLF. (PostgreSQL's
 * {@code COPY … CSV HEADER} reads it back with nulls as nulls.)
 */
final class CsvFile implements Closeable {

  /** The metadata columns at the start of every row. */
  static final List<String> META = List.of("_op", "_ts_ms", "_partition", "_offset");

  private static final Logger log = LoggerFactory.getLogger(CsvFile.class);
  private static final int MAX_HEADER_BYTES = 1 << 20;

  private final Path path;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream(64 * 1024);
  private final StringBuilder line = new StringBuilder(256);
  private FileChannel channel;
  /** Data columns of the header; null while the file has none. */
  private List<String> columns;
  private Map<String, Integer> columnIndex;
  /** The last row's column list that matched the header in order (fast path). */
  private List<String> sameAsHeader;
  private long rows;

  private CsvFile(Path path, FileChannel channel, List<String> columns) {
    this.path = path;
    this.channel = channel;
    setColumns(columns);
  }

  /** Opens (creates) the file for appending, after cutting a torn last record, and reads its header. */
  static CsvFile open(Path path) throws IOException {
    TornTail.dropTornLastCsvRecord(path);
    List<String> columns = null;
    if (Files.exists(path) && Files.size(path) > 0) {
      List<String> header = readHeader(path);
      if (header.size() < META.size() || !header.subList(0, META.size()).equals(META)) {
        throw new IllegalStateException(path + " exists but its header " + header + " does not start with "
            + META + ": it was not written by syncline consume. Fix: choose another --out directory or move the file away");
      }
      columns = List.copyOf(header.subList(META.size(), header.size()));
    }
    return new CsvFile(path, openAppend(path), columns);
  }

  Path path() {
    return path;
  }

  /** Rows added since this file was opened. */
  long rows() {
    return rows;
  }

  /** Buffers one row. */
  void add(String op, String tsMs, int partition, long offset, Envelope.Cells cells) throws IOException {
    List<String> names = cells.names();
    if (columns == null) {
      startHeader(names);
    } else if (names != sameAsHeader && !names.equals(columns) && !fitsHeader(names)) {
      rotate(names);
    }
    line.setLength(0);
    line.append(op).append(',');
    if (tsMs != null) {
      line.append(tsMs);
    }
    line.append(',').append(partition).append(',').append(offset);
    if (names == sameAsHeader || names.equals(columns)) {
      sameAsHeader = names;
      for (String v : cells.values()) {
        line.append(',');
        appendCell(line, v);
      }
    } else {
      String[] placed = new String[columns.size()];
      for (int i = 0; i < names.size(); i++) {
        placed[columnIndex.get(names.get(i))] = cells.values().get(i);
      }
      for (String v : placed) {
        line.append(',');
        appendCell(line, v);
      }
    }
    line.append("\r\n");
    pending.write(line.toString().getBytes(StandardCharsets.UTF_8));
    rows++;
  }

  /** Writes the buffered rows and forces the file to disk; returns once they are durable. */
  void flush() throws IOException {
    if (pending.size() == 0) {
      return;
    }
    ByteBuffer buf = ByteBuffer.wrap(pending.toByteArray());
    pending.reset();
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
    channel.force(false);
  }

  /** Closes the file. Rows not flushed are dropped: their offsets were never committed. */
  @Override
  public void close() throws IOException {
    pending.reset();
    channel.close();
  }

  /** RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled; "" is the empty string, nothing is null. */
  static void appendCell(StringBuilder out, String v) {
    if (v == null) {
      return;
    }
    boolean quote = v.isEmpty();
    for (int i = 0; i < v.length() && !quote; i++) {
      char c = v.charAt(i);
      quote = c == ',' || c == '"' || c == '\n' || c == '\r';
    }
    if (!quote) {
      out.append(v);
      return;
    }
    out.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '"') {
        out.append('"');
      }
      out.append(c);
    }
    out.append('"');
  }

  private boolean fitsHeader(List<String> names) {
    for (String n : names) {
      if (!columnIndex.containsKey(n)) {
        return false;
      }
    }
    return true;
  }

  private void startHeader(List<String> names) throws IOException {
    for (String n : names) {
      if (META.contains(n)) {
        throw new IllegalStateException("the table has a column named '" + n + "', which " + path
            + " uses for metadata " + META + ": rename the column at the source or consume it another way");
      }
    }
    setColumns(List.copyOf(names));
    StringBuilder header = new StringBuilder();
    for (String m : META) {
      appendCell(header, m);
      header.append(',');
    }
    for (String c : columns) {
      appendCell(header, c);
      header.append(',');
    }
    header.setLength(header.length() - 1);
    header.append("\r\n");
    pending.write(header.toString().getBytes(StandardCharsets.UTF_8));
  }

  private void rotate(List<String> names) throws IOException {
    flush();
    channel.close();
    Path rotated;
    String base = path.getFileName().toString().replaceFirst("\\.csv$", "");
    int n = 1;
    do {
      rotated = path.resolveSibling(base + "." + n++ + ".csv");
    } while (Files.exists(rotated));
    Files.move(path, rotated, StandardCopyOption.ATOMIC_MOVE);
    log.info("{}: the rows' columns changed (now {}); the earlier rows stay in {}", path, names, rotated.getFileName());
    channel = openAppend(path);
    columns = null;
    startHeader(names);
  }

  private void setColumns(List<String> columns) {
    this.columns = columns;
    this.sameAsHeader = null;
    if (columns == null) {
      this.columnIndex = null;
      return;
    }
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      index.put(columns.get(i), i);
    }
    this.columnIndex = index;
  }

  private static FileChannel openAppend(Path path) throws IOException {
    return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  /** The cells of the first record of the file (RFC 4180). */
  static List<String> readHeader(Path path) throws IOException {
    byte[] head;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ch.size(), MAX_HEADER_BYTES));
      while (buf.hasRemaining() && ch.read(buf) > 0) {
        // fill
      }
      head = buf.array();
    }
    String text = new String(head, StandardCharsets.UTF_8);
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          cell.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cell.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        cells.add(cell.toString());
        cell.setLength(0);
      } else if (c == '\n') {
        int len = cell.length();
        if (len > 0 && cell.charAt(len - 1) == '\r') {
          cell.setLength(len - 1);
        }
        cells.add(cell.toString());
        return cells;
      } else {
        cell.append(c);
      }
    }
    throw new IllegalStateException(path + ": no complete header line in its first " + MAX_HEADER_BYTES
        + " bytes. Fix: choose another --out directory or move the file away");
  }
}
