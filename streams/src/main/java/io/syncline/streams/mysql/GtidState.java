package io.syncline.streams.mysql;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GTID state of the binlog as a reader moves through it: what a replica hands the server to
 * continue from here. MariaDB keeps the last GTID of each replication domain
 * ({@code domain-server-sequence}, e.g. {@code 0-1-41,1-2-7}); MySQL keeps the set of executed
 * transactions ({@code uuid:1-41:45}). Not thread-safe.
 */
abstract sealed class GtidState permits GtidState.MariaDb, GtidState.MySql {

  /** Parses {@code text} ('' or null: empty) in the form of the server kind. */
  static GtidState of(String text, boolean mariaDb) {
    return mariaDb ? new MariaDb(text) : new MySql(text);
  }

  /** Records that the transaction with {@code gtid} was read. */
  abstract void add(String gtid);

  /** The state in the server's own notation; {@code ""} when empty. */
  @Override
  public abstract String toString();

  /**
   * True when every transaction {@code earlier} holds is also in this state (MariaDB: each of its
   * domains is here at the same or a later sequence number; MySQL: its set is a subset of this one):
   * a reader that recorded {@code earlier} can resume on a server whose state is this.
   */
  abstract boolean covers(GtidState earlier);

  static final class MariaDb extends GtidState {
    private final Map<Long, String> lastByDomain = new LinkedHashMap<>();

    MariaDb(String text) {
      if (text != null && !text.isBlank()) {
        for (String g : text.split(",")) {
          add(g.trim());
        }
      }
    }

    @Override
    void add(String gtid) {
      String[] parts = gtid.split("-");
      if (parts.length != 3) {
        throw new IllegalArgumentException("not a MariaDB GTID (domain-server-sequence): '" + gtid + "'");
      }
      try {
        lastByDomain.put(Long.parseLong(parts[0]), Long.parseLong(parts[0]) + "-" + Long.parseLong(parts[1]) + "-"
            + Long.parseUnsignedLong(parts[2]));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a MariaDB GTID (domain-server-sequence): '" + gtid + "'", e);
      }
    }

    @Override
    public String toString() {
      return String.join(",", lastByDomain.values());
    }

    @Override
    boolean covers(GtidState earlier) {
      if (!(earlier instanceof MariaDb e)) {
        return false;
      }
      for (Map.Entry<Long, String> d : e.lastByDomain.entrySet()) {
        String here = lastByDomain.get(d.getKey());
        if (here == null || Long.compareUnsigned(sequence(here), sequence(d.getValue())) < 0) {
          return false;
        }
      }
      return true;
    }

    private static long sequence(String gtid) {
      return Long.parseUnsignedLong(gtid.substring(gtid.lastIndexOf('-') + 1));
    }
  }

  static final class MySql extends GtidState {
    /** Per server UUID (lower case, in order of appearance): disjoint, sorted [first, last] intervals. */
    private final Map<String, java.util.List<long[]>> intervals = new LinkedHashMap<>();

    MySql(String text) {
      if (text == null || text.isBlank()) {
        return;
      }
      for (String uuidSet : text.replace("\n", "").split(",")) {
        String[] parts = uuidSet.trim().split(":");
        for (int i = 1; i < parts.length; i++) {
          String[] range = parts[i].split("-");
          long first = parse(range[0], uuidSet);
          long last = range.length > 1 ? parse(range[1], uuidSet) : first;
          addRange(parts[0], first, last);
        }
      }
    }

    private static long parse(String n, String where) {
      try {
        return Long.parseLong(n.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a MySQL GTID set (uuid:n[-m]...): '" + where + "'", e);
      }
    }

    @Override
    void add(String gtid) {
      int colon = gtid.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("not a MySQL GTID (uuid:n): '" + gtid + "'");
      }
      long n = parse(gtid.substring(colon + 1), gtid);
      addRange(gtid.substring(0, colon), n, n);
    }

    private void addRange(String uuid, long first, long last) {
      java.util.List<long[]> list = intervals.computeIfAbsent(uuid.toLowerCase(java.util.Locale.ROOT),
          u -> new java.util.ArrayList<>());
      list.add(new long[] {first, last});
      list.sort(java.util.Comparator.comparingLong(r -> r[0]));
      java.util.List<long[]> merged = new java.util.ArrayList<>(list.size());
      for (long[] r : list) {
        long[] tail = merged.isEmpty() ? null : merged.get(merged.size() - 1);
        if (tail != null && r[0] <= tail[1] + 1) {
          tail[1] = Math.max(tail[1], r[1]);
        } else {
          merged.add(new long[] {r[0], r[1]});
        }
      }
      list.clear();
      list.addAll(merged);
    }

    @Override
    boolean covers(GtidState earlier) {
      if (!(earlier instanceof MySql e)) {
        return false;
      }
      for (Map.Entry<String, java.util.List<long[]>> u : e.intervals.entrySet()) {
        java.util.List<long[]> here = intervals.getOrDefault(u.getKey(), java.util.List.of());
        for (long[] r : u.getValue()) {
          if (here.stream().noneMatch(h -> h[0] <= r[0] && r[1] <= h[1])) {
            return false;
          }
        }
      }
      return true;
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      intervals.forEach((uuid, list) -> {
        if (b.length() > 0) {
          b.append(',');
        }
        b.append(uuid);
        for (long[] r : list) {
          b.append(':').append(r[0]);
          if (r[1] != r[0]) {
            b.append('-').append(r[1]);
          }
        }
      });
      return b.toString();
    }
  }
}
