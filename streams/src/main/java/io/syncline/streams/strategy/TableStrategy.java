package io.syncline.streams.strategy;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How a table's changes travel to the lake (docs/strategies.md): {@code streaming} (each committed
 * transaction to its Kafka topic, sub-second), {@code micro-batch} (the changes of each
 * {@code interval} packed into SQS messages), or {@code batch} (a consistent full read of the table
 * on a cron {@code schedule} replaces its silver state). Part of a table entity's persisted state:
 * the {@link Kind} constants are never renamed or removed.
 *
 * @param kind the strategy
 * @param intervalMillis micro-batch: how often a batch is shipped, in milliseconds; 0 otherwise
 * @param schedule batch: the cron schedule of the refreshes (5 fields, {@link CronSchedule}); null otherwise
 */
public record TableStrategy(Kind kind, long intervalMillis, String schedule) {

  /** The strategy of a table no rule matches. */
  public static final TableStrategy STREAMING = new TableStrategy(Kind.STREAMING, 0, null);

  /** The default interval of a micro-batch table. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(5);

  /** The strategies. Persisted: never rename or remove a constant. */
  public enum Kind {
    STREAMING,
    MICRO_BATCH,
    BATCH;

    /** The name used in configuration: {@code streaming}, {@code micro-batch}, {@code batch}. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The kind named {@code name} in configuration, or null. */
    static Kind ofConfigName(String name) {
      for (Kind k : values()) {
        if (k.configName().equals(name)) {
          return k;
        }
      }
      return null;
    }
  }

  public TableStrategy {
    Objects.requireNonNull(kind, "kind");
    switch (kind) {
      case STREAMING -> {
        if (intervalMillis != 0 || schedule != null) {
          throw new IllegalArgumentException("streaming takes neither interval nor schedule");
        }
      }
      case MICRO_BATCH -> {
        if (intervalMillis <= 0 || schedule != null) {
          throw new IllegalArgumentException("micro-batch needs a positive interval and no schedule");
        }
      }
      case BATCH -> {
        if (intervalMillis != 0 || schedule == null) {
          throw new IllegalArgumentException("batch needs a schedule and no interval");
        }
        CronSchedule.parse(schedule); // valid, or an error naming what is wrong
      }
    }
  }

  /** A micro-batch strategy shipping every {@code interval}. */
  public static TableStrategy microBatch(Duration interval) {
    return new TableStrategy(Kind.MICRO_BATCH, interval.toMillis(), null);
  }

  /** A batch strategy refreshing on the cron {@code schedule}. */
  public static TableStrategy batch(String schedule) {
    return new TableStrategy(Kind.BATCH, 0, schedule);
  }

  /** The micro-batch interval (zero for the other kinds). */
  public Duration interval() {
    return Duration.ofMillis(intervalMillis);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case STREAMING -> "streaming";
      case MICRO_BATCH -> "micro-batch every " + interval();
      case BATCH -> "batch on \"" + schedule + "\"";
    };
  }
}
