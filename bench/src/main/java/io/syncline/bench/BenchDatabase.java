package io.syncline.bench;

import java.util.List;

/**
 * One embedded database under benchmark, as {@link BenchSuite} drives it: it writes the standard
 * workload (../shared/BENCHMARK.md) in each mode, runs the references it has, and tells a
 * {@link SynclineReader} where to read. The suite owns the order of the readers, the child JVMs and
 * the figures; a database owns its SQL, its readers' starting points and its server accounting.
 */
sealed interface BenchDatabase extends AutoCloseable permits PgBench, MariaDbBench {

  /** Prefix of this database's figures ({@code pg}, {@code mariadb}). */
  String prefix();

  /** Server and reference versions, for the log. */
  String describe() throws Exception;

  /**
   * Catch-up: a fresh table, a starting point for each reader (the references' and one per sink),
   * then the workload of {@code rowsPerTxn}-row transactions written while nothing reads.
   */
  default void prepareCatchup(List<String> sinks, int rowsPerTxn) throws Exception {
    prepareCatchup(sinks, rowsPerTxn, 25);
  }

  /** Catch-up as above, with {@code rounds} rounds of 4 transactions (250: the 10M-change backlog). */
  void prepareCatchup(List<String> sinks, int rowsPerTxn, int rounds) throws Exception;

  /** The catch-up references, the first being the one ratios are to. */
  List<String> catchupReferences();

  /** Times a reference reading the prepared catch-up workload; returns its wall and CPU seconds. */
  BenchSupport.Timed runCatchupReference(String reference, long changes) throws Exception;

  /** The database arguments of a {@link SynclineReader} reading the prepared catch-up with this sink. */
  List<String> catchupReaderArgs(String sink);

  /** Live: a fresh table and a starting point; returns the arguments of a reader streaming from it. */
  List<String> prepareLive(String sink) throws Exception;

  /** Waits until a started reader is connected to the server (so the workload is read as it commits). */
  void awaitReaderConnected() throws Exception;

  /** Writes the changes workload (the same as for catch-up) against the table of the current mode. */
  void writeWorkload(int rowsPerTxn) throws Exception;

  /**
   * The workload table's rows now, id → [category, domain, ts], each as the change envelope writes it
   * (docs/type-mapping.md), to compare with what consumers wrote ({@link ConsumersBench}).
   */
  java.util.Map<Long, List<String>> tableState() throws Exception;

  /**
   * Latency: a fresh table and a starting point; returns the arguments of a reader streaming from
   * it, with the commit time its lag is measured from (the source's, or a column of the row where
   * the source's has whole seconds).
   */
  List<String> prepareLatency() throws Exception;

  /** Writes the latency workload ({@link BenchSupport#writePaced}) against the table of the current mode. */
  BenchSupport.Paced writePaced(int rowsPerTxn, int txnPerSecond, int seconds) throws Exception;

  /** Snapshot: a fresh table loaded with {@code rows} rows in 10 transactions. */
  void prepareSnapshot(long rows) throws Exception;

  /** The snapshot reference's name (what reads the whole table fastest from outside). */
  String snapshotReference();

  BenchSupport.Timed runSnapshotReference() throws Exception;

  /** The database arguments of a {@link SynclineReader} snapshotting the table. */
  List<String> snapshotReaderArgs();

  /** Before a reader starts: the server-side accounting begins. */
  void beforeReader() throws Exception;

  /** After a reader ended: its server-side note for the log (CPU of the server's part). */
  String afterReader() throws Exception;

  /** Releases what the current mode set up (replication slots) before the next one. */
  void endMode() throws Exception;

  @Override
  void close();
}
