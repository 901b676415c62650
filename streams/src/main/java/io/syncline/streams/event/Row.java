package io.syncline.streams.event;

import java.util.Arrays;

/**
 * One row image: a value per column of {@code schema}, already in the JSON value model of
 * docs/type-mapping.md. A value is one of:
 * {@code null}; {@link String}; {@link Long}, {@link Integer} or {@link Short}; {@link Double} or
 * {@link Float} (NaN and infinities are written as strings); {@link Boolean};
 * {@link java.math.BigDecimal} (written as an exact string); {@code byte[]} (base64);
 * {@link JsonText} (embedded as JSON); {@link JsonNull#LITERAL} (a JSON column holding the JSON
 * literal null, unlike SQL NULL); {@link java.util.List} of these (a JSON array);
 * {@link Unchanged#TOAST} (a value the source did not send).
 *
 * <p>The array is owned by the row once constructed; nobody modifies it afterwards.
 */
public record Row(RowSchema schema, Object[] values) {

  public Row {
    if (values.length != schema.size()) {
      throw new IllegalArgumentException(
          "row has " + values.length + " values for " + schema.size() + " columns " + schema);
    }
  }

  public Object get(int i) {
    return values[i];
  }

  public Object get(String column) {
    int i = schema.indexOf(column);
    if (i < 0) {
      throw new IllegalArgumentException("no column " + column + " in " + schema);
    }
    return values[i];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Row other && schema.equals(other.schema) && Arrays.deepEquals(values, other.values);
  }

  @Override
  public int hashCode() {
    return 31 * schema.hashCode() + Arrays.deepHashCode(values);
  }

  /** Never prints values: rows are data, and data is logged at DEBUG at most. */
  @Override
  public String toString() {
    return "Row(" + schema.size() + " columns)";
  }
}
