package io.syncline.persistence;

/**
 * A PostgreSQL log sequence number: a 64-bit position in the write-ahead log, printed by the
 * server as two hexadecimal halves ({@code 16/B374D848}).
 */
public record Lsn(long value) implements Comparable<Lsn> {

  public static final Lsn ZERO = new Lsn(0L);

  /** Parses the server's {@code XXX/XXX} form. */
  public static Lsn parse(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1) {
      throw new IllegalArgumentException("not an LSN (expected XXX/XXX in hexadecimal): " + text);
    }
    long high = Long.parseLong(text.substring(0, slash), 16);
    long low = Long.parseLong(text.substring(slash + 1), 16);
    return new Lsn((high << 32) | low);
  }

  public boolean isAfter(Lsn other) {
    return Long.compareUnsigned(value, other.value) > 0;
  }

  public static Lsn max(Lsn a, Lsn b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  @Override
  public int compareTo(Lsn o) {
    return Long.compareUnsigned(value, o.value);
  }

  @Override
  public String toString() {
    return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
  }
}
