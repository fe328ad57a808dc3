package dev.sluice.connect.sink.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;

/**
 * The pgjdbc session without a server. The round trip against a real one is {@link JdbcPgSessionRoundTrip}, run on
 * demand (its name is outside surefire's default pattern, so {@code mvn test} never reports it as skipped); the sink
 * e2e tests cover the session on the stack.
 */
class JdbcPgSessionTest {
  @Test
  void aUrlThatIsNotPostgresqlIsRefusedWithTheSetting() {
    ConnectException e = assertThrows(ConnectException.class, () -> JdbcPgSession.open("jdbc:mysql://h/db", "u", "p"));
    assertTrue(e.getMessage().contains("connection.url"), e.getMessage());
  }

  @Test
  void anUnreachableServerIsAConnectionError() {
    SQLException e = assertThrows(SQLException.class,
        () -> JdbcPgSession.open("jdbc:postgresql://127.0.0.1:1/db?connectTimeout=2", "u", "p"));
    assertEquals(SqlStates.Action.RETRY, SqlStates.of(e.getSQLState()).action());
  }
}
