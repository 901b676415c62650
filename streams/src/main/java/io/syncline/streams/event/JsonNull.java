package io.syncline.streams.event;

/**
 * The JSON literal {@code null} stored in a JSON column (PostgreSQL {@code json}/{@code jsonb},
 * MySQL/MariaDB {@code JSON}), which is a value, as opposed to SQL {@code NULL} (a Java
 * {@code null} in a {@link Row}), which is none. The envelope writes both as {@code null} (JSON
 * values are embedded as JSON) and lists the columns holding this one in its {@code json_null}
 * field, per image, so consumers can tell them apart (docs/type-mapping.md). Made by
 * {@link JsonText#valueOf} on the snapshot and the stream path of every relational source.
 */
public enum JsonNull {
  LITERAL
}
