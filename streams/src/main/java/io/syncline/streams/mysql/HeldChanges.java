package io.syncline.streams.mysql;

import io.syncline.streams.event.JsonText;
import io.syncline.streams.event.Op;
import io.syncline.streams.event.Row;
import io.syncline.streams.event.RowSchema;
import io.syncline.streams.event.TableRef;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Changes of one transaction read from the binlog but not deliverable yet: those after a savepoint
 * (a later {@code ROLLBACK TO} may cancel them) and those of an XA transaction until its
 * {@code XA COMMIT}. The first ones stay in memory, as many as the source's {@link Budget} allows
 * (shared by every holder of the source); the rest go to a temporary file, so memory stays bounded
 * whatever the size of the transaction. In order; {@link #truncate} cancels the changes after a
 * {@link #mark}; {@link #drain} hands them out once. Not thread-safe.
 */
final class HeldChanges implements AutoCloseable {

  /** One held change: the change event's parts that do not depend on where it is delivered. */
  record Held(TableRef table, Op op, Row before, Row after) {}

  /** Where the changes were when {@link #mark} was called. */
  record Mark(int count, long fileBytes) {}

  /** How many held changes the source keeps in memory, over all its holders. */
  static final class Budget {
    private final int limit;
    private int used;

    Budget(int limit) {
      if (limit < 0) {
        throw new IllegalArgumentException("held-changes budget must not be negative: " + limit);
      }
      this.limit = limit;
    }

    private boolean take() {
      if (used >= limit) {
        return false;
      }
      used++;
      return true;
    }

    private void giveBack(int n) {
      used -= n;
    }

    int used() {
      return used;
    }
  }

  private static final byte NULL = 0;
  private static final byte STRING = 1;
  private static final byte LONG = 2;
  private static final byte INT = 3;
  private static final byte SHORT = 4;
  private static final byte DOUBLE = 5;
  private static final byte FLOAT = 6;
  private static final byte TRUE = 7;
  private static final byte FALSE = 8;
  private static final byte DECIMAL = 9;
  private static final byte BYTES = 10;
  private static final byte JSON = 11;
  private static final byte LIST = 12;

  private final Budget budget;
  private final List<Held> memory = new ArrayList<>();
  private final Map<Object, Integer> ids = new IdentityHashMap<>(); // TableRef and RowSchema → index in shared
  private final List<Object> shared = new ArrayList<>();
  private Path file; // the changes after the first memory.size(), once the budget ran out
  private FileChannel channel;
  private DataOutputStream out;
  private int inFile;
  private boolean drained;

  HeldChanges(Budget budget) {
    this.budget = budget;
  }

  int size() {
    return memory.size() + inFile;
  }

  /** True when some changes are in the temporary file. */
  boolean spilled() {
    return inFile > 0;
  }

  void add(Held h) {
    if (drained) {
      throw new IllegalStateException("held changes were drained already");
    }
    if (inFile == 0 && budget.take()) {
      memory.add(h);
      return;
    }
    try {
      if (out == null) {
        file = Files.createTempFile("syncline-held-", ".changes");
        file.toFile().deleteOnExit();
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
      }
      writeRef(h.table());
      out.writeByte(h.op().ordinal());
      writeRow(h.before());
      writeRow(h.after());
      inFile++;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write held changes to " + file + ": " + e.getMessage(), e);
    }
  }

  Mark mark() {
    try {
      if (out != null) {
        out.flush();
      }
      return new Mark(size(), channel == null ? 0 : channel.position());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Cancels every change added after {@code mark}. */
  void truncate(Mark mark) {
    try {
      if (mark.count() < memory.size()) {
        int drop = memory.size() - mark.count();
        memory.subList(mark.count(), memory.size()).clear();
        budget.giveBack(drop);
      }
      if (out != null) {
        out.flush();
        channel.truncate(mark.fileBytes());
        channel.position(mark.fileBytes());
        inFile = Math.max(0, mark.count() - memory.size());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot truncate held changes in " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The held changes in order, once: memory first, then the file, read as the iterator goes. The
   * file is deleted when the iterator reaches its end (or {@link #close}).
   */
  Iterator<Held> drain() {
    if (drained) {
      throw new IllegalStateException("held changes were drained already");
    }
    drained = true;
    DataInputStream in;
    try {
      if (out != null) {
        out.flush();
        channel.position(0);
        in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 1 << 16));
      } else {
        in = null;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        boolean more = next < memory.size() + inFile;
        if (!more) {
          close();
        }
        return more;
      }

      @Override
      public Held next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int i = next++;
        if (i < memory.size()) {
          Held h = memory.set(i, null); // let it go: the rest of the transaction may be large
          budget.giveBack(1);
          return h;
        }
        try {
          TableRef table = (TableRef) shared.get(in.readInt());
          Op op = Op.values()[in.readByte()];
          return new Held(table, op, readRow(in), readRow(in));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read held changes from " + file + ": " + e.getMessage(), e);
        }
      }
    };
  }

  /** Discards whatever was not drained, deletes the file. */
  @Override
  public void close() {
    if (!drained) {
      budget.giveBack(memory.size());
    } else {
      budget.giveBack((int) memory.stream().filter(h -> h != null).count());
    }
    memory.clear();
    inFile = 0;
    drained = true;
    if (channel != null) {
      try {
        channel.close();
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + file + ": " + e.getMessage(), e);
      } finally {
        channel = null;
        out = null;
      }
    }
  }

  private void writeRef(Object o) throws IOException {
    Integer id = ids.get(o);
    if (id == null) {
      id = shared.size();
      shared.add(o);
      ids.put(o, id);
    }
    out.writeInt(id);
  }

  private void writeRow(Row row) throws IOException {
    if (row == null) {
      out.writeInt(-1);
      return;
    }
    writeRef(row.schema());
    for (Object v : row.values()) {
      writeValue(v);
    }
  }

  private Row readRow(DataInputStream in) throws IOException {
    int schemaId = in.readInt();
    if (schemaId < 0) {
      return null;
    }
    RowSchema schema = (RowSchema) shared.get(schemaId);
    Object[] values = new Object[schema.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = readValue(in);
    }
    return new Row(schema, values);
  }

  /** The values of {@link Row}'s model that a MySQL converter produces. */
  private void writeValue(Object v) throws IOException {
    if (v == null) {
      out.writeByte(NULL);
    } else if (v instanceof String s) {
      out.writeByte(STRING);
      writeBytes(s.getBytes(StandardCharsets.UTF_8));
    } else if (v instanceof Long l) {
      out.writeByte(LONG);
      out.writeLong(l);
    } else if (v instanceof Integer i) {
      out.writeByte(INT);
      out.writeInt(i);
    } else if (v instanceof Short s) {
      out.writeByte(SHORT);
      out.writeShort(s);
    } else if (v instanceof Double d) {
      out.writeByte(DOUBLE);
      out.writeDouble(d);
    } else if (v instanceof Float f) {
      out.writeByte(FLOAT);
      out.writeFloat(f);
    } else if (v instanceof Boolean b) {
      out.writeByte(b ? TRUE : FALSE);
    } else if (v instanceof BigDecimal d) {
      out.writeByte(DECIMAL);
      writeBytes(d.toString().getBytes(StandardCharsets.US_ASCII));
    } else if (v instanceof byte[] b) {
      out.writeByte(BYTES);
      writeBytes(b);
    } else if (v instanceof JsonText j) {
      out.writeByte(JSON);
      writeBytes(j.json().getBytes(StandardCharsets.UTF_8));
    } else if (v instanceof List<?> list) {
      out.writeByte(LIST);
      out.writeInt(list.size());
      for (Object e : list) {
        writeValue(e);
      }
    } else {
      throw new IllegalArgumentException("cannot hold a value of type " + v.getClass().getName());
    }
  }

  private void writeBytes(byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  private static Object readValue(DataInputStream in) throws IOException {
    byte tag = in.readByte();
    return switch (tag) {
      case NULL -> null;
      case STRING -> new String(readBytes(in), StandardCharsets.UTF_8);
      case LONG -> in.readLong();
      case INT -> in.readInt();
      case SHORT -> in.readShort();
      case DOUBLE -> in.readDouble();
      case FLOAT -> in.readFloat();
      case TRUE -> Boolean.TRUE;
      case FALSE -> Boolean.FALSE;
      case DECIMAL -> new BigDecimal(new String(readBytes(in), StandardCharsets.US_ASCII));
      case BYTES -> readBytes(in);
      case JSON -> new JsonText(new String(readBytes(in), StandardCharsets.UTF_8));
      case LIST -> {
        int n = in.readInt();
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          list.add(readValue(in));
        }
        yield java.util.Collections.unmodifiableList(list);
      }
      default -> throw new IOException("unknown value tag " + tag);
    };
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return b;
  }
}
