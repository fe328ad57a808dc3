package dev.sluice.connect.sink.pg;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.sql.Connection;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.postgresql.PGConnection;

/**
 * Writes the golden files of {@link CopyBinaryTest}: PostgreSQL's own {@code COPY (…) TO STDOUT (FORMAT binary)} of
 * {@link GoldenRows}. Skipped unless {@code -Dsluice.golden.url} is given; to make them again (new rows, a new
 * PostgreSQL), with the local stack up, see docs/decisions/java-plugin-layout.md.
 */
class CopyBinaryGoldenGenerator {
  @Test
  @EnabledIfSystemProperty(named = "sluice.golden.url", matches = "jdbc:postgresql:.+")
  void writeTheGoldenFilesFromTheRealServer() throws Exception {
    Properties p = new Properties();
    p.setProperty("user", System.getProperty("sluice.golden.user", "sluice"));
    // From the environment, not the command line, where every user sees it.
    p.setProperty("password", System.getenv().getOrDefault("PGPASSWORD", ""));
    try (Connection c = new org.postgresql.Driver().connect(System.getProperty("sluice.golden.url"), p)) {
      c.createStatement().execute("SET TIME ZONE 'UTC'");
      Files.createDirectories(GoldenRows.DIR);
      for (GoldenRows.Case k : GoldenRows.cases()) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (" + k.query() + ") TO STDOUT (FORMAT binary)", out);
        Files.write(GoldenRows.DIR.resolve(k.file()), out.toByteArray());
      }
      try (var rs = c.createStatement().executeQuery("select version()")) {
        rs.next();
        Files.writeString(GoldenRows.DIR.resolve("SERVER"), rs.getString(1) + "\n");
      }
    }
  }
}
