package io.syncline.streams.postgres.pgoutput;

import java.util.Arrays;

/**
 * The column values of one row image in a pgoutput message, in the relation's column order.
 * Flat arrays rather than a list of boxed column objects: one kind byte and one text per column.
 *
 * <p>Kinds: {@link #NULL} ({@code 'n'}), {@link #UNCHANGED_TOAST} ({@code 'u'}: an unchanged TOASTed
 * value the server did not send), {@link #TEXT} ({@code 't'}: the value in the type's text output
 * form) and {@link #BINARY} ({@code 'b'}: binary form, only when {@code binary=true} was requested).
 * The arrays are owned by the record; nobody modifies them after decoding.
 *
 * @param kinds one kind byte per column
 * @param texts the UTF-8 decoded text of each {@code 't'} column, null for the other kinds
 * @param binaries the raw bytes of each {@code 'b'} column, null for the others; the whole array is
 *     null when no column is binary (the usual case)
 */
public record TupleData(byte[] kinds, String[] texts, byte[][] binaries) {

  public static final byte NULL = 'n';
  public static final byte UNCHANGED_TOAST = 'u';
  public static final byte TEXT = 't';
  public static final byte BINARY = 'b';

  public TupleData {
    if (kinds.length != texts.length || (binaries != null && binaries.length != kinds.length)) {
      throw new IllegalArgumentException("tuple arrays differ in length: " + kinds.length + " kinds, "
          + texts.length + " texts" + (binaries == null ? "" : ", " + binaries.length + " binaries"));
    }
  }

  /** A tuple of text and null columns only (tests, snapshot rows); {@code null} entries become {@link #NULL}. */
  public static TupleData ofTexts(String... texts) {
    byte[] kinds = new byte[texts.length];
    for (int i = 0; i < texts.length; i++) {
      kinds[i] = texts[i] == null ? NULL : TEXT;
    }
    return new TupleData(kinds, texts.clone(), null);
  }

  /** Number of columns. */
  public int size() {
    return kinds.length;
  }

  /** The kind byte of column {@code i}: {@code 'n'}, {@code 'u'}, {@code 't'} or {@code 'b'}. */
  public byte kind(int i) {
    return kinds[i];
  }

  /** The text of column {@code i}, or null when it is not a {@code 't'} column. */
  public String text(int i) {
    return texts[i];
  }

  /** The raw bytes of column {@code i}, or null when it is not a {@code 'b'} column. */
  public byte[] binary(int i) {
    return binaries == null ? null : binaries[i];
  }

  public boolean isNull(int i) {
    return kinds[i] == NULL;
  }

  public boolean isUnchangedToast(int i) {
    return kinds[i] == UNCHANGED_TOAST;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TupleData t
        && Arrays.equals(kinds, t.kinds)
        && Arrays.equals(texts, t.texts)
        && Arrays.deepEquals(binaries, t.binaries);
  }

  @Override
  public int hashCode() {
    return (31 * Arrays.hashCode(kinds) + Arrays.hashCode(texts)) * 31 + Arrays.deepHashCode(binaries);
  }

  /** Prints the column kinds only, never values: row data is logged at DEBUG at most. */
  @Override
  public String toString() {
    return "TupleData[" + new String(kinds, java.nio.charset.StandardCharsets.US_ASCII) + "]";
  }
}
