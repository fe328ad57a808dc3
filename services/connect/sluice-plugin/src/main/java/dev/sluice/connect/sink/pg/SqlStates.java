package dev.sluice.connect.sink.pg;

import java.util.List;

/**
 * What the sink does about a PostgreSQL error, by its SQLSTATE: one table, so a wrong password cannot pass for a
 * network blip and a missing partition cannot pass for one bad row. The first matching prefix wins.
 */
public final class SqlStates {
  private SqlStates() {}

  /** The sink's answer to an error. */
  public enum Action {
    /** The same batch may succeed later (connection, server, lock or resource trouble): retry it, keep the offsets. */
    RETRY,
    /** A problem of the database or the configuration: retrying cannot help; fail the task with the hint. */
    FAIL,
    /** This row's data cannot be stored: send it to the DLQ (unless most rows are refused alike: see {@link Refusals}). */
    REFUSE_ROW
  }

  /** A classification: what to do and what to tell the operator. */
  public record Verdict(Action action, String hint) {}

  private record Rule(String prefix, Action action, String hint) {}

  private static final String MIGRATE = "run `sluice db migrate` and check that the table has the contract's columns";

  // Most specific first. Classes: https://www.postgresql.org/docs/17/errcodes-appendix.html
  private static final List<Rule> RULES = List.of(
      new Rule("08", Action.RETRY, "the database is unreachable; the batch is retried until it is back"),
      new Rule("40", Action.RETRY, "a serialization failure or deadlock; the batch is retried"),
      new Rule("53", Action.RETRY, "the server is short of a resource (connections, memory, disk); the batch is retried"),
      new Rule("55P03", Action.RETRY, "a lock is held by another session; the batch is retried"),
      new Rule("57014", Action.RETRY, "the statement was cancelled; the batch is retried"),
      new Rule("57P", Action.RETRY, "the server is shutting down or starting; the batch is retried"),
      new Rule("58", Action.RETRY, "an I/O error on the server; the batch is retried"),
      new Rule("25006", Action.RETRY, "the server is read-only (a standby during failover?); the batch is retried"),
      new Rule("28P01", Action.FAIL, "password authentication failed: check the sink's user and password "
          + "(SLUICE_SINK_DB_USER / SLUICE_SINK_DB_PASSWORD in the worker's environment; `sluice db migrate` sets them)"),
      new Rule("28", Action.FAIL, "the server refused the login: check the user, pg_hba.conf and the URL's TLS settings"),
      new Rule("3D000", Action.FAIL, "the database named in connection.url does not exist: fix the URL (SLUICE_SINK_JDBC_URL)"),
      new Rule("42501", Action.FAIL, "the sink role lacks a privilege on the table: run `sluice db migrate` (it grants "
          + "INSERT, UPDATE and SELECT of the contract's columns) or grant them"),
      new Rule("42P01", Action.FAIL, "the table does not exist: " + MIGRATE),
      new Rule("42703", Action.FAIL, "a column is missing: " + MIGRATE),
      new Rule("42", Action.FAIL, "the statement does not fit the table: " + MIGRATE),
      new Rule("23514", Action.REFUSE_ROW, "a check constraint or the partitioning refused the row (no partition for "
          + "its published_at? run `sluice db maintain`, and keep the default partition)"),
      new Rule("23502", Action.REFUSE_ROW, "a NOT NULL column the contract does not fill: check the migrations"),
      new Rule("22", Action.REFUSE_ROW, "a value the column cannot hold"),
      new Rule("23", Action.REFUSE_ROW, "an integrity constraint refused the row"),
      new Rule("54", Action.REFUSE_ROW, "the row exceeds a server limit"));

  private static final Verdict NO_STATE = new Verdict(Action.RETRY, "no SQLSTATE (I/O error or connection lost); the batch is retried");

  /** The verdict for {@code sqlState}; null (an I/O error without a state) is a connection problem. */
  public static Verdict of(String sqlState) {
    if (sqlState == null || sqlState.isEmpty()) return NO_STATE;
    for (Rule r : RULES) if (sqlState.startsWith(r.prefix)) return new Verdict(r.action, r.hint);
    return new Verdict(Action.FAIL, "an unexpected error; see the PostgreSQL log for SQLSTATE " + sqlState);
  }
}
