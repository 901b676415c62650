package io.syncline.streams.snapshot.incremental;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.mysql.MySqlCaptureSource;
import io.syncline.streams.mysql.MySqlSignalTable;
import io.syncline.streams.postgres.PgCaptureSource;
import io.syncline.streams.postgres.PgSignalTable;
import java.util.List;
import java.util.UUID;

/**
 * The entry point of incremental snapshots, for the CLI ({@code syncline snapshot}) and the HTTP
 * API: checks the request against the source (the tables are captured, the signal table exists and
 * may be written) and writes an {@code execute-snapshot} row to the source's signal table. The
 * running node sees it in the change stream and reads the tables, one after the other
 * (docs/incremental-snapshots.md). Blocking (JDBC): call it from a blocking context.
 */
public final class IncrementalSnapshots {

  private static final ObjectMapper JSON = new ObjectMapper();

  private IncrementalSnapshots() {}

  /**
   * Asks {@code source} to read {@code tables} again, in that order.
   *
   * @param tables {@code schema.table} ({@code database.table} for MySQL/MariaDB)
   * @param range keys to read (single-column keys only), or {@link KeyBounds#ALL}
   * @return the signal's id
   * @throws IllegalArgumentException naming what is wrong and the fix
   */
  public static String request(CaptureSource source, List<String> tables, KeyBounds range) {
    if (tables.isEmpty()) {
      throw new IllegalArgumentException("name at least one table to snapshot");
    }
    String id = UUID.randomUUID().toString();
    String data = executeData(tables, range);
    if (source instanceof PgCaptureSource pg) {
      PgSignalTable.request(pg.settings(), id, tables, range, data);
    } else if (source instanceof MySqlCaptureSource my) {
      MySqlSignalTable.request(my.settings(), id, tables, range, data);
    } else {
      throw new IllegalArgumentException("source '" + source.name() + "' does not support incremental snapshots"
          + " (PostgreSQL and MySQL/MariaDB sources do; MongoDB does not yet)");
    }
    return id;
  }

  /** Writes a {@code stop-snapshot} signal for {@code tables} (all queued tables when empty). */
  public static String stop(CaptureSource source, List<String> tables) {
    String id = UUID.randomUUID().toString();
    ObjectNode o = JSON.createObjectNode();
    tables.forEach(o.putArray("data-collections")::add);
    if (source instanceof PgCaptureSource pg) {
      PgSignalTable.signal(pg.settings(), id, Signal.STOP_SNAPSHOT, o.toString());
    } else if (source instanceof MySqlCaptureSource my) {
      MySqlSignalTable.signal(my.settings(), id, Signal.STOP_SNAPSHOT, o.toString());
    } else {
      throw new IllegalArgumentException("source '" + source.name() + "' does not support incremental snapshots");
    }
    return id;
  }

  /** The {@code data} of an {@code execute-snapshot} signal. */
  static String executeData(List<String> tables, KeyBounds range) {
    ObjectNode o = JSON.createObjectNode();
    tables.forEach(o.putArray("data-collections")::add);
    o.put("type", "incremental");
    if (range.from() != null) {
      o.put("from", range.from());
    }
    if (range.to() != null) {
      o.put("to", range.to());
    }
    return o.toString();
  }
}
