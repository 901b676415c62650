package io.syncline.streams.snapshot.incremental;

/**
 * The keys an incremental snapshot reads, inclusive at both ends, on a single-column key, in the
 * key's text form (cast to the key's type by the database). Null ends are open.
 */
public record KeyRange(String from, String to) {

  public static final KeyRange ALL = new KeyRange(null, null);

  public boolean isAll() {
    return from == null && to == null;
  }
}
