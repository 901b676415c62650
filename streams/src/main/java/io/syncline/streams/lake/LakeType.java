package io.syncline.streams.lake;

import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import io.syncline.streams.mysql.types.MySqlColumn;

/**
 * The type of one silver column: what a source column type becomes in Delta (docs/type-mapping.md,
 * section "Delta Lake (silver)"). Coarse on purpose: every integer type is {@link Int64} and every
 * floating-point type {@link Float64}, so that widening a source column ({@code int} to
 * {@code bigint}, {@code real} to {@code double}) is no change for the lake; exact decimals keep
 * their scale and take the widest precision (38), so that widening their precision is none either.
 */
public sealed interface LakeType {

  /** The largest precision of a Delta decimal. */
  int MAX_PRECISION = 38;

  /** The Delta type of a column of this type. */
  DataType deltaType();

  /** Short name for errors and docs. */
  String display();

  /** A 64-bit integer ({@code long}). */
  record Int64() implements LakeType {
    public DataType deltaType() {
      return LongType.LONG;
    }

    public String display() {
      return "long";
    }
  }

  /** A double; the envelope's "NaN", "Infinity" and "-Infinity" strings become those doubles. */
  record Float64() implements LakeType {
    public DataType deltaType() {
      return DoubleType.DOUBLE;
    }

    public String display() {
      return "double";
    }
  }

  /** A boolean. */
  record Bool() implements LakeType {
    public DataType deltaType() {
      return BooleanType.BOOLEAN;
    }

    public String display() {
      return "boolean";
    }
  }

  /** An exact decimal of this scale, precision 38 (see the type's Javadoc). */
  record Decimal(int scale) implements LakeType {
    public Decimal {
      if (scale < 0 || scale > MAX_PRECISION) {
        throw new IllegalArgumentException("a Delta decimal's scale is 0.." + MAX_PRECISION + ", not " + scale);
      }
    }

    public DataType deltaType() {
      return new DecimalType(MAX_PRECISION, scale);
    }

    public String display() {
      return "decimal(" + MAX_PRECISION + "," + scale + ")";
    }
  }

  /** A point in time (the envelope's {@code ...Z} form), microseconds, shown in UTC. */
  record Timestamp() implements LakeType {
    public DataType deltaType() {
      return TimestampType.TIMESTAMP;
    }

    public String display() {
      return "timestamp";
    }
  }

  /** A date and time without zone (PostgreSQL {@code timestamp}, MySQL {@code datetime}), microseconds. */
  record TimestampNtz() implements LakeType {
    public DataType deltaType() {
      return TimestampNTZType.TIMESTAMP_NTZ;
    }

    public String display() {
      return "timestamp_ntz";
    }
  }

  /** A date. */
  record Date() implements LakeType {
    public DataType deltaType() {
      return DateType.DATE;
    }

    public String display() {
      return "date";
    }
  }

  /** A string: text as it is; any other JSON value (objects, arrays, numbers) as its JSON text. */
  record Text() implements LakeType {
    public DataType deltaType() {
      return StringType.STRING;
    }

    public String display() {
      return "string";
    }
  }

  LakeType INT64 = new Int64();
  LakeType FLOAT64 = new Float64();
  LakeType BOOL = new Bool();
  LakeType TIMESTAMP = new Timestamp();
  LakeType TIMESTAMP_NTZ = new TimestampNtz();
  LakeType DATE = new Date();
  LakeType TEXT = new Text();

  /**
   * The lake type of a PostgreSQL column, from the OID of its type (domains resolved to their base
   * type by the caller) and its type modifier ({@code pg_attribute.atttypmod}, -1 when none).
   */
  static LakeType forPostgres(int typeOid, int typeModifier) {
    return switch (typeOid) {
      case 20, 21, 23, 26 -> INT64; // int8, int2, int4, oid
      case 700, 701 -> FLOAT64;
      case 16 -> BOOL;
      case 1700 -> pgNumeric(typeModifier);
      case 1082 -> DATE;
      case 1114 -> TIMESTAMP_NTZ;
      case 1184 -> TIMESTAMP;
      default -> TEXT; // text, json, uuid, time, interval, arrays, geometric, enums, unknown: their JSON text
    };
  }

  /**
   * {@code numeric(p,s)} with {@code p <= 38} and {@code 0 <= s <= p} is a decimal of scale s; an
   * unconstrained {@code numeric} (any scale, values up to 131072 digits) and wider ones stay strings.
   */
  private static LakeType pgNumeric(int typeModifier) {
    if (typeModifier < 4) {
      return TEXT;
    }
    int precision = ((typeModifier - 4) >> 16) & 0xffff;
    int scale = (typeModifier - 4) & 0x7ff;
    boolean negativeScale = ((typeModifier - 4) & 0x400) != 0; // PostgreSQL 15+: scale is an 11-bit signed value
    if (negativeScale || precision > MAX_PRECISION || scale > precision) {
      return TEXT;
    }
    return new Decimal(scale);
  }

  /**
   * The lake type of a MySQL/MariaDB column. Decimals: the binlog does not carry the declared
   * precision and scale in every case, so {@code scale} is the column's scale when known
   * ({@code information_schema.COLUMNS.NUMERIC_SCALE}), else -1: then the column is a string.
   */
  static LakeType forMySql(MySqlColumn column, int decimalScale) {
    return switch (column.kind()) {
      case TINYINT, SMALLINT, MEDIUMINT, INT, YEAR -> INT64;
      case BIGINT -> column.unsigned() ? new Decimal(0) : INT64; // above 2^63-1 the envelope has a decimal string
      case FLOAT, DOUBLE -> FLOAT64;
      case DECIMAL -> decimalScale >= 0 && decimalScale <= MAX_PRECISION ? new Decimal(decimalScale) : TEXT;
      case DATE -> DATE;
      case DATETIME -> TIMESTAMP_NTZ;
      case TIMESTAMP -> TIMESTAMP;
      default -> TEXT; // text, binary (base64), enum, set, bit, time, JSON, geometry
    };
  }
}
