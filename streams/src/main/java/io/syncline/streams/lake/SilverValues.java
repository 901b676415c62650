package io.syncline.streams.lake;

import com.fasterxml.jackson.databind.JsonNode;
import io.syncline.streams.capture.Failures;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * Converts one envelope value (docs/type-mapping.md) to the Java value of its silver column
 * ({@link Columns}). A value the column's Delta type cannot hold stops the table's silver with an
 * error naming the column and the fix; it is never written as null or rounded.
 */
final class SilverValues {

  private SilverValues() {}

  static Object convert(JsonNode v, LakeType type, String tableId, String column) {
    if (v == null || v.isNull()) {
      return null;
    }
    try {
      if (type instanceof LakeType.Text) {
        return v.isTextual() ? v.asText() : v.toString();
      } else if (type instanceof LakeType.Int64) {
        if (v.isIntegralNumber() && v.canConvertToLong()) {
          return v.longValue();
        }
        if (v.isBoolean()) {
          return v.booleanValue() ? 1L : 0L;
        }
        return new BigDecimal(v.asText()).longValueExact();
      } else if (type instanceof LakeType.Float64) {
        if (v.isNumber()) {
          return v.doubleValue();
        }
        return switch (v.asText()) {
          case "NaN" -> Double.NaN;
          case "Infinity" -> Double.POSITIVE_INFINITY;
          case "-Infinity" -> Double.NEGATIVE_INFINITY;
          default -> Double.parseDouble(v.asText());
        };
      } else if (type instanceof LakeType.Bool) {
        if (v.isBoolean()) {
          return v.booleanValue();
        }
        if (v.isIntegralNumber()) {
          return v.longValue() != 0;
        }
        throw cannotHold(tableId, column, type, "a value that is not a boolean");
      } else if (type instanceof LakeType.Decimal d) {
        BigDecimal b = v.isNumber() ? v.decimalValue() : new BigDecimal(v.asText());
        BigDecimal scaled = b.setScale(d.scale(), RoundingMode.UNNECESSARY);
        if (scaled.precision() > LakeType.MAX_PRECISION) {
          throw cannotHold(tableId, column, type, "a value of more than 38 digits");
        }
        return scaled;
      } else if (type instanceof LakeType.Timestamp) {
        Instant i = Instant.parse(v.asText());
        return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1_000);
      } else if (type instanceof LakeType.TimestampNtz) {
        LocalDateTime l = LocalDateTime.parse(v.asText());
        return Math.addExact(Math.multiplyExact(l.toEpochSecond(ZoneOffset.UTC), 1_000_000L), l.getNano() / 1_000);
      } else if (type instanceof LakeType.Date) {
        return Math.toIntExact(LocalDate.parse(v.asText()).toEpochDay());
      }
      throw new IllegalStateException("no conversion to " + type);
    } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
      // NaN in a decimal, infinity in a date or timestamp, more digits than the scale, a year past the type's range
      throw cannotHold(tableId, column, type,
          "a value it cannot hold exactly (NaN, infinity, more fraction digits than its scale, or out of range)");
    }
  }

  static Failures.Permanent cannotHold(String tableId, String column, LakeType type, String what) {
    return new Failures.Permanent("silver table " + tableId + " stopped: column " + column + " (Delta "
        + type.display() + ") received " + what + ". Fix: keep the column as a string in the lake with"
        + " syncline.lake.silver.text-columns = [\"" + tableId + "." + column + "\"] and rebuild the table's"
        + " silver (delete its directory under the lake's silver/ and resnapshot the table); bronze has every event");
  }
}
