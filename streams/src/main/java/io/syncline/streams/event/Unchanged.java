package io.syncline.streams.event;

/**
 * A column value the source did not send. PostgreSQL omits unchanged TOAST values from update
 * events; the column is then written with the placeholder {@link #PLACEHOLDER} and listed in the
 * envelope's {@code unchanged_toast} array, never as a silent null.
 */
public enum Unchanged {
  TOAST;

  /** The value written in place of an unchanged TOAST column (Debezium writes {@code __debezium_unavailable_value}). */
  public static final String PLACEHOLDER = "__syncline_unavailable_value";
}
