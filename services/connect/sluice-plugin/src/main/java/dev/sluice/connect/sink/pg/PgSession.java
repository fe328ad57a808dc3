package dev.sluice.connect.sink.pg;

import java.sql.SQLException;
import java.util.Map;

/**
 * The sink's database session: all the writer asks of PostgreSQL, so its batch and commit bookkeeping can be tested
 * against a fake. Every error is a {@link SQLException} whose SQLSTATE {@link SqlStates} classifies (null: the
 * connection is gone). Transactions are explicit: nothing is stored before {@link #commit}.
 */
public interface PgSession extends AutoCloseable {
  /** Opens a session (a connection with auto-commit off); the writer opens another after a failure. */
  @FunctionalInterface
  interface Opener {
    /** A new, open session. */
    PgSession open() throws SQLException;
  }

  /** A table's columns as the catalog has them: pg_type.typname and the declared type (format_type) by name. */
  record Columns(String regclass, Map<String, String> types, Map<String, String> declared) {}

  /** The columns of {@code table} (a name as to_regclass reads it), or null when it does not exist or is hidden. */
  Columns columns(String table) throws SQLException;

  /** Runs one statement without results (DDL or the stage's upsert). */
  void execute(String sql) throws SQLException;

  /** Runs {@code copySql} (a COPY … FROM STDIN) with the first {@code length} bytes of {@code data} as its input. */
  void copyIn(String copySql, byte[] data, int length) throws SQLException;

  /** Commits the transaction. */
  void commit() throws SQLException;

  /** Rolls the transaction back. */
  void rollback() throws SQLException;

  /** False once the connection is closed or known to be broken. */
  boolean isOpen();

  /** Closes the connection, quietly: it may be broken already. */
  @Override
  void close();
}
