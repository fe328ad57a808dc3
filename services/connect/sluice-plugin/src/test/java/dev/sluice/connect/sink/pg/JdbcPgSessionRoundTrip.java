package dev.sluice.connect.sink.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The pgjdbc session against a real server, on demand like {@link CopyBinaryGoldenGenerator}:
 * {@code mvn test -Dtest=JdbcPgSessionRoundTrip -Dsluice.golden.url=jdbc:postgresql://…} (and PGPASSWORD).
 */
class JdbcPgSessionRoundTrip {
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
