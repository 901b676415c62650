package io.syncline.streams.postgres.types;

/**
 * Turns one PostgreSQL value in its text output form (as pgoutput sends it and as
 * {@code ResultSet.getString} returns it, with Syncline's session settings) into the JSON value
 * model of {@link io.syncline.streams.event.Row}. Resolved once per relation column by
 * {@link PgTypeRegistry#converterFor(int, int)}; the hot path only calls {@link #convert(String)}.
 * Implementations are stateless and thread-safe.
 */
@FunctionalInterface
public interface ValueConverter {

  /**
   * @param text the non-null text form of the value (SQL NULL and unchanged TOAST never reach a converter)
   * @return the value in the JSON value model
   * @throws IllegalArgumentException when the text is not a valid value of the type; the message
   *     never contains the value itself
   */
  Object convert(String text);
}
