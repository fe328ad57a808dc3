package dev.sluice.connect.sink.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.connect.sink.pg.SqlStates.Action;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SqlStatesTest {
  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource({
    // connection, server and lock trouble: the same batch may succeed later
    "08001, RETRY, unreachable", "08006, RETRY, unreachable", "40001, RETRY, serialization",
    "40P01, RETRY, deadlock", "53300, RETRY, resource", "55P03, RETRY, lock", "57014, RETRY, cancelled",
    "57P01, RETRY, shutting down", "57P03, RETRY, starting", "58030, RETRY, I/O", "25006, RETRY, read-only",
    // misconfiguration: retrying forever would look like health
    "28P01, FAIL, SLUICE_SINK_DB_PASSWORD", "28000, FAIL, pg_hba", "3D000, FAIL, SLUICE_SINK_JDBC_URL",
    "42501, FAIL, privilege", "42P01, FAIL, sluice db migrate", "42703, FAIL, column is missing",
    "42601, FAIL, sluice db migrate", "XX000, FAIL, PostgreSQL log", "0A000, FAIL, PostgreSQL log",
    // the row's data: a dead letter (or, many alike, a systemic refusal)
    "23514, REFUSE_ROW, partition", "23502, REFUSE_ROW, NOT NULL", "22008, REFUSE_ROW, cannot hold",
    "22021, REFUSE_ROW, cannot hold", "23505, REFUSE_ROW, integrity", "54000, REFUSE_ROW, limit",
  })
  void classifiesEveryStateByTheTable(String state, Action action, String hint) {
    SqlStates.Verdict v = SqlStates.of(state);
    assertEquals(action, v.action());
    assertTrue(v.hint().contains(hint), () -> "hint for " + state + " should mention '" + hint + "': " + v.hint());
  }

  @ParameterizedTest
  @CsvSource(value = {"null", "''"}, nullValues = "null")
  void noStateIsAConnectionProblem(String state) {
    assertEquals(Action.RETRY, SqlStates.of(state).action());
  }
}
