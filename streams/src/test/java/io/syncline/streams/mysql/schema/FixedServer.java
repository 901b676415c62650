package io.syncline.streams.mysql.schema;

import io.syncline.persistence.BinlogPosition;
import java.util.Map;
import java.util.function.Function;

/**
 * A stand-in MariaDB 11.4 for the schema tracker in unit tests: {@code SHOW CREATE TABLE} answers
 * what the test says, the binlog is at {@code file:4}, no full row metadata.
 */
public final class FixedServer implements SchemaTracker.Server {

  private final String file;
  private final Function<TableName, String> showCreateTable;

  public FixedServer(String file, Function<TableName, String> showCreateTable) {
    this.file = file;
    this.showCreateTable = showCreateTable;
  }

  @Override
  public String showCreateTable(TableName table) {
    return showCreateTable.apply(table);
  }

  @Override
  public BinlogPosition currentPosition() {
    return BinlogPosition.boundary(file, 4, null);
  }

  @Override
  public SchemaTracker.ServerInfo info() {
    return new SchemaTracker.ServerInfo(ServerVersion.MARIADB_11_4, "utf8mb4", Map.of(), false);
  }
}
