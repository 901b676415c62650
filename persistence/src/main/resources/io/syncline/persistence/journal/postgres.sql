-- Journal and snapshot tables of pekko-persistence-jdbc 1.1 (DefaultJournalDao / DefaultSnapshotDao)
-- for PostgreSQL 10+, in the connection's current schema. Idempotent: every statement is
-- IF NOT EXISTS, so it runs on every start. One statement ends with ';' at the end of a line.
CREATE TABLE IF NOT EXISTS event_journal (
  ordering BIGSERIAL,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,
  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),
  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY (persistence_id, sequence_number)
);
CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal (ordering);
CREATE TABLE IF NOT EXISTS event_tag (
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY (event_id, tag),
  CONSTRAINT fk_event_journal FOREIGN KEY (event_id) REFERENCES event_journal (ordering) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS snapshot (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,
  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY (persistence_id, sequence_number)
);
-- Schema history of MySQL/MariaDB sources (JdbcSchemaHistoryStore): DDL statements and recorded
-- table definitions per source, replayed to decode binlog events with the definition of their time.
CREATE TABLE IF NOT EXISTS schema_history (
  source_name VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  binlog_file VARCHAR(255) NOT NULL,
  binlog_offset BIGINT NOT NULL,
  binlog_index BIGINT NOT NULL,
  gtid VARCHAR(255),
  resume_gtids TEXT,
  default_database VARCHAR(255),
  ddl TEXT NOT NULL,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (source_name, sequence_number)
);
