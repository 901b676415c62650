package io.syncline.streams.mysql.types;

import java.io.Serializable;

/**
 * Turns one row cell as mysql-binlog-connector-java hands it over (with the compatibility modes
 * {@code DATE_AND_TIME_AS_LONG_MICRO} and {@code CHAR_AND_BINARY_AS_BYTE_ARRAY}) into the JSON
 * value model of {@link io.syncline.streams.event.Row}. Resolved once per column by
 * {@link MySqlValueConverters#converterFor(MySqlColumn)}; the hot path only calls
 * {@link #convert(Serializable)}. Implementations are stateless and thread-safe.
 */
@FunctionalInterface
public interface BinlogValueConverter {

  /**
   * @param value the non-null cell value (SQL NULL never reaches a converter)
   * @return the value in the JSON value model
   * @throws IllegalArgumentException when the value is not what the column's type gives; the
   *     message names the column and its type but never contains the value
   */
  Object convert(Serializable value);
}
