package io.syncline.node;

import com.typesafe.config.Config;
import io.syncline.streams.capture.CaptureSource;
import io.syncline.streams.snapshot.incremental.IncrementalSnapshots;
import io.syncline.streams.snapshot.incremental.KeyBounds;
import java.util.Arrays;
import java.util.List;

/**
 * {@code syncline snapshot}: asks a running node for an incremental snapshot of tables of one of its
 * sources, by writing the {@code execute-snapshot} signal into the source's signal table
 * (docs/incremental-snapshots.md). Needs the node's configuration only, not a connection to the node.
 */
final class SnapshotCommand {

  /**
   * What to ask.
   *
   * @param tables {@code schema.table} ({@code database.table} for MySQL/MariaDB), in reading order
   * @param stop write {@code stop-snapshot} for the tables (all queued tables when none) instead
   */
  record Request(String source, List<String> tables, KeyBounds range, boolean stop) {
    Request {
      if (source == null || source.isBlank()) {
        throw new IllegalArgumentException("snapshot: --source NAME is required (a name from syncline.sources)");
      }
      tables = tables == null ? List.of() : List.copyOf(tables);
      if (tables.isEmpty() && !stop) {
        throw new IllegalArgumentException("snapshot: --table T is required (schema.table; several: --table a.t1,a.t2)");
      }
      if (stop && !range.isAll()) {
        throw new IllegalArgumentException("snapshot: --from/--to do not go with --stop");
      }
    }

    /** Parses {@code --source S --table T[,T2] [--from K] [--to K] [--stop]}. */
    static Request parse(String source, String tables, String from, String to, boolean stop) {
      List<String> t = tables == null ? List.of()
          : Arrays.stream(tables.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
      return new Request(source, t, new KeyBounds(from, to), stop);
    }
  }

  private SnapshotCommand() {}

  /** Writes the signal; returns its id. Errors name the fix. */
  static String run(Config config, Request request) {
    NodeSettings settings = NodeSettings.create(config);
    CaptureSource source = settings.sources().stream().filter(s -> s.name().equals(request.source())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("snapshot: no source named '" + request.source()
            + "' in the configuration (sources: " + settings.sources().stream().map(CaptureSource::name).toList() + ")"));
    try {
      return request.stop()
          ? IncrementalSnapshots.stop(source, request.tables())
          : IncrementalSnapshots.request(source, request.tables(), request.range());
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      // the sources' own errors (missing signal table, no privilege, unreachable) name the fix already
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
