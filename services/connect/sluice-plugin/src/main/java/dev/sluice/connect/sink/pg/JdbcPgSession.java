package dev.sluice.connect.sink.pg;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.connect.errors.ConnectException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/** {@link PgSession} over one pgjdbc connection (binary COPY through the driver's copy API). */
public final class JdbcPgSession implements PgSession {
  private static final String COLUMNS = "select to_regclass(?)::text, a.attname, t.typname, "
      + "format_type(a.atttypid, a.atttypmod) from pg_attribute a join pg_type t on t.oid = a.atttypid "
      + "where a.attrelid = to_regclass(?) and a.attnum > 0 and not a.attisdropped";
  private final Connection conn;

  private JdbcPgSession(Connection conn) {
    this.conn = conn;
  }

  /**
   * Connects to {@code url} (jdbc:postgresql://…) as {@code user}; user and password may be null (the driver's
   * defaults). The session's time zone is UTC.
   */
  public static JdbcPgSession open(String url, String user, String password) throws SQLException {
    Properties p = new Properties();
    if (user != null) p.setProperty("user", user);
    if (password != null) p.setProperty("password", password);
    p.setProperty("ApplicationName", "sluice-sink");
    p.setProperty("tcpKeepAlive", "true");
    // The driver class directly: DriverManager does not see drivers inside a Connect plugin's class loader.
    Connection c = new org.postgresql.Driver().connect(url, p);
    if (c == null) throw new ConnectException("connection.url must start with jdbc:postgresql://");
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("SET TIME ZONE 'UTC'"); // binary timestamps do not depend on it; error messages and defaults do
    }
    c.commit();
    return new JdbcPgSession(c);
  }

  @Override
  public Columns columns(String table) throws SQLException {
    String regclass = null;
    Map<String, String> types = new HashMap<>();
    Map<String, String> declared = new HashMap<>();
    try (PreparedStatement ps = conn.prepareStatement(COLUMNS)) {
      ps.setString(1, table);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          regclass = rs.getString(1);
          types.put(rs.getString(2), rs.getString(3));
          declared.put(rs.getString(2), rs.getString(4));
        }
      }
    }
    if (regclass == null) {
      conn.rollback();
      return null;
    }
    return new Columns(regclass, types, declared);
  }

  @Override
  public void execute(String sql) throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute(sql);
    }
  }

  @Override
  public void copyIn(String copySql, byte[] data, int length) throws SQLException {
    CopyIn in = conn.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
    try {
      in.writeToCopy(data, 0, length);
      in.endCopy();
    } finally {
      if (in.isActive()) in.cancelCopy();
    }
  }

  @Override
  public void commit() throws SQLException {
    conn.commit();
  }

  @Override
  public void rollback() throws SQLException {
    conn.rollback();
  }

  @Override
  public boolean isOpen() {
    try {
      return !conn.isClosed();
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() {
    try {
      conn.close();
    } catch (SQLException ignored) {
      // already broken
    }
  }
}
