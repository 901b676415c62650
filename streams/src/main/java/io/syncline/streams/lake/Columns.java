package io.syncline.streams.lake;

import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.math.BigDecimal;
import java.util.List;

/**
 * Column-wise batches of plain Java values for Delta Kernel's Parquet writer, and the way back:
 * {@link #get} reads one value of a Kernel column vector as the same Java value. The values of a
 * type: long ({@link LongType}, and microseconds for timestamps), int (days since the epoch for
 * {@link DateType}), double, boolean, {@link BigDecimal}, String; null for null.
 */
final class Columns {

  private Columns() {}

  /** A batch of {@code size} rows over one value array per field of {@code schema}. */
  static ColumnarBatch batch(StructType schema, List<Object[]> columns, int size) {
    ColumnVector[] vectors = new ColumnVector[columns.size()];
    for (int i = 0; i < vectors.length; i++) {
      vectors[i] = new ValueVector(schema.at(i).getDataType(), columns.get(i), size);
    }
    return new Batch(schema, vectors, size);
  }

  /** The value of row {@code row} of {@code v} as a plain Java value (see the class Javadoc). */
  static Object get(ColumnVector v, int row) {
    if (v.isNullAt(row)) {
      return null;
    }
    DataType t = v.getDataType();
    if (t instanceof LongType || t instanceof TimestampType || t instanceof TimestampNTZType) {
      return v.getLong(row);
    } else if (t instanceof StringType) {
      return v.getString(row);
    } else if (t instanceof DoubleType) {
      return v.getDouble(row);
    } else if (t instanceof BooleanType) {
      return v.getBoolean(row);
    } else if (t instanceof DecimalType) {
      return v.getDecimal(row);
    } else if (t instanceof DateType || t instanceof IntegerType) {
      return v.getInt(row);
    }
    throw new IllegalStateException("the lake writes no column of type " + t);
  }

  private record Batch(StructType schema, ColumnVector[] vectors, int size) implements ColumnarBatch {
    @Override
    public StructType getSchema() {
      return schema;
    }

    @Override
    public ColumnVector getColumnVector(int ordinal) {
      return vectors[ordinal];
    }

    @Override
    public int getSize() {
      return size;
    }

    @Override
    public ColumnarBatch withDeletedColumnAt(int ordinal) {
      StructType fewer = new StructType();
      ColumnVector[] left = new ColumnVector[vectors.length - 1];
      for (int i = 0, j = 0; i < vectors.length; i++) {
        if (i != ordinal) {
          fewer = fewer.add(schema.at(i));
          left[j++] = vectors[i];
        }
      }
      return new Batch(fewer, left, size);
    }
  }

  private record ValueVector(DataType type, Object[] values, int size) implements ColumnVector {
    @Override
    public DataType getDataType() {
      return type;
    }

    @Override
    public int getSize() {
      return size;
    }

    @Override
    public void close() {}

    @Override
    public boolean isNullAt(int rowId) {
      return values[rowId] == null;
    }

    @Override
    public boolean getBoolean(int rowId) {
      return (Boolean) values[rowId];
    }

    @Override
    public int getInt(int rowId) {
      return (Integer) values[rowId];
    }

    @Override
    public long getLong(int rowId) {
      return (Long) values[rowId];
    }

    @Override
    public double getDouble(int rowId) {
      return (Double) values[rowId];
    }

    @Override
    public String getString(int rowId) {
      return (String) values[rowId];
    }

    @Override
    public BigDecimal getDecimal(int rowId) {
      return (BigDecimal) values[rowId];
    }
  }
}
