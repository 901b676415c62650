package io.syncline.streams.snapshot;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits key ranges of a table into chunks of about {@code chunkSize} rows, by walking its
 * primary-key index: from a bound {@code b}, the next bound is the largest of the next
 * {@code chunkSize} keys,
 * {@code SELECT max(k), count(*) FROM (SELECT k FROM t WHERE k > b AND k <= hi ORDER BY k LIMIT n) s},
 * an index-only range scan on both PostgreSQL and MariaDB.
 *
 * <p>Why this rather than splitting {@code [min, max]} evenly by the row estimate: it costs one
 * pass over the index (cheap next to reading the rows), and every chunk holds {@code chunkSize}
 * rows whatever the key distribution, where an even split of a sparse or skewed key space (ids
 * from a sequence with large gaps, time-based ids) gives chunks of very different sizes, some
 * holding most of the table, which defeats both parallelism and resumability. The bounds only
 * balance the work: every range is covered whatever happened between planning and reading (the
 * last chunk of a range always ends at the range's own upper bound).
 */
public final class ChunkPlanner {

  /** The last key and the number of keys among the next {@code n} keys in {@code (after, upTo]}. */
  @FunctionalInterface
  public interface Boundaries {
    Step next(Long after, Long upTo, int n) throws SQLException;
  }

  /** @param last the largest key seen (null when none), @param count how many keys were seen */
  public record Step(Long last, long count) {}

  private ChunkPlanner() {}

  /** Chunks covering exactly {@code ranges}, in key order. */
  public static List<KeyRange> plan(List<KeyRange> ranges, int chunkSize, Boundaries boundaries) throws SQLException {
    if (chunkSize <= 0) {
      throw new IllegalArgumentException("chunk size must be positive: " + chunkSize);
    }
    List<KeyRange> out = new ArrayList<>();
    for (KeyRange r : ranges) {
      Long lo = r.lo();
      while (true) {
        Step step = boundaries.next(lo, r.hi(), chunkSize);
        if (step.count() < chunkSize || step.last() == null || (r.hi() != null && step.last() >= r.hi())) {
          out.add(new KeyRange(lo, r.hi()));
          break;
        }
        out.add(new KeyRange(lo, step.last()));
        lo = step.last();
      }
    }
    return List.copyOf(out);
  }

  /** {@link Boundaries} of an integer key column over JDBC (PostgreSQL and MariaDB share the SQL). */
  public static Boundaries jdbc(Connection c, String quotedTable, String quotedKey) {
    return (after, upTo, n) -> {
      KeyRange r = new KeyRange(after, upTo);
      String sql = "SELECT max(k), count(*) FROM (SELECT " + quotedKey + " AS k FROM " + quotedTable + r.where(quotedKey)
          + " ORDER BY " + quotedKey + " LIMIT " + n + ") s";
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
        rs.next();
        long last = rs.getLong(1);
        boolean none = rs.wasNull();
        return new Step(none ? null : last, rs.getLong(2));
      }
    };
  }
}
