package dev.sluice.connect.sink.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The pgjdbc session. The round trip needs a server: it runs with {@code -Dsluice.golden.url=jdbc:postgresql://…}
 * (and PGPASSWORD), like {@link CopyBinaryGoldenGenerator}; the sink e2e tests cover it on the stack too.
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

  @Test
  @EnabledIfSystemProperty(named = "sluice.golden.url", matches = "jdbc:postgresql:.+")
  void copiesCommitsAndRollsBackOnARealServer() throws SQLException {
    String user = System.getProperty("sluice.golden.user", "sluice");
    try (JdbcPgSession s = JdbcPgSession.open(System.getProperty("sluice.golden.url"), user,
        System.getenv().getOrDefault("PGPASSWORD", ""))) {
      assertNull(s.columns("sluice_no_such_table"));
      s.execute("CREATE TEMP TABLE sluice_session_test (v text[])");
      s.commit();
      assertEquals("_text", s.columns("sluice_session_test").types().get("v"));
      CopyBinary.Buf b = new CopyBinary.Buf();
      b.header();
      b.i16(1);
      CopyBinary.forType("_text").write(b, java.util.List.of("é"));
      b.trailer();
      s.copyIn("COPY sluice_session_test FROM STDIN (FORMAT binary)", b.a, b.n);
      s.rollback();
      s.copyIn("COPY sluice_session_test FROM STDIN (FORMAT binary)", b.a, b.n);
      s.commit();
      assertTrue(s.isOpen());
    }
  }
}
