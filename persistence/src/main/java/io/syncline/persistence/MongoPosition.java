package io.syncline.persistence;

/**
 * A position in a MongoDB change stream.
 *
 * <p>{@code seconds} and {@code increment} are the event's cluster time (the oplog timestamp of
 * its operation; the operations of one multi-document transaction share it), {@code index} the
 * 1-based order of the event among those of that cluster time ({@link #COMPLETE}: all of them; 0:
 * before all of them, e.g. a snapshot read at that time). {@code resumeToken} is the change stream's
 * resume token of the event (the {@code _id} document as canonical extended JSON), null for a
 * snapshot position: a stream resumes after the token when there is one, else at the cluster time.
 * Ordered by cluster time, then index.
 */
public record MongoPosition(long seconds, long increment, long index, String resumeToken)
    implements SourcePosition, Comparable<MongoPosition> {

  public static final long COMPLETE = Long.MAX_VALUE;

  public MongoPosition {
    if (seconds < 0 || increment < 0 || index < 0) {
      throw new IllegalArgumentException("MongoDB position parts must not be negative: " + seconds + "/" + increment
          + "/" + index);
    }
  }

  /**
   * The boundary at cluster time {@code (seconds, increment)}: before every event of that cluster
   * time or later. {@code resumeToken}: a token to resume after, or null (then the stream starts
   * at the cluster time).
   */
  public static MongoPosition boundary(long seconds, long increment, String resumeToken) {
    return new MongoPosition(seconds, increment, 0L, resumeToken);
  }

  /**
   * The boundary just after cluster time {@code (seconds, increment)}: everything of that time is
   * before it (the increment is a 32-bit counter: past its end, the next second).
   */
  public static MongoPosition boundaryAfter(long seconds, long increment) {
    return increment >= 0xFFFF_FFFFL ? boundary(seconds + 1, 0, null) : boundary(seconds, increment + 1, null);
  }

  @Override
  @com.fasterxml.jackson.annotation.JsonIgnore // derived: not part of the persisted form
  public boolean isBoundary() {
    return index == 0L;
  }

  @Override
  public int compareTo(MongoPosition o) {
    int c = Long.compare(seconds, o.seconds);
    if (c != 0) {
      return c;
    }
    c = Long.compare(increment, o.increment);
    return c != 0 ? c : Long.compare(index, o.index);
  }

  @Override
  public boolean isAfter(SourcePosition other) {
    if (!(other instanceof MongoPosition m)) {
      throw new IllegalArgumentException("cannot order a MongoDB position against " + other.getClass().getSimpleName());
    }
    return compareTo(m) > 0;
  }

  @Override
  public String display() {
    return (index == 0 ? "before " : "") + "Timestamp(" + seconds + ", " + increment + ")"
        + (index == COMPLETE || index == 0 ? "" : "#" + index);
  }
}
