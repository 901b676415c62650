package io.syncline.streams.snapshot.incremental;

/**
 * The keys an incremental snapshot reads (not {@link io.syncline.streams.snapshot.KeyRange}, the integer chunk
 * ranges of the initial snapshot), inclusive at both ends, on a single-column key, in the
 * key's text form (cast to the key's type by the database). Null ends are open.
 */
public record KeyBounds(String from, String to) {

  public static final KeyBounds ALL = new KeyBounds(null, null);

  public boolean isAll() {
    return from == null && to == null;
  }
}
