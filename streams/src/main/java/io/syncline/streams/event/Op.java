package io.syncline.streams.event;

/**
 * The operation of a change event, as Debezium spells it in the envelope's {@code op} field.
 * Persisted in counters by name: a constant is never removed or renamed.
 */
public enum Op {
  /** Row inserted ({@code c}). */
  CREATE("c"),
  /** Row updated ({@code u}). */
  UPDATE("u"),
  /** Row deleted ({@code d}). */
  DELETE("d"),
  /** Row read by a snapshot ({@code r}). */
  READ("r"),
  /** Table truncated ({@code t}). */
  TRUNCATE("t");

  private final String code;

  Op(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
