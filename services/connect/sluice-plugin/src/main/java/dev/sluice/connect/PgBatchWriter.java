package dev.sluice.connect;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches of records into their tables over one connection: binary COPY (straight into the table, or into a
 * stage moved by one upsert), de-duplication by key, and the search for rows PostgreSQL refuses. Not thread-safe: one
 * writer thread per task uses it.
 */
final class PgBatchWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PgBatchWriter.class);
  /** After a key conflict, copy-first mode upserts for this long before it tries a plain COPY again. */
  private static final long UPSERT_AFTER_CONFLICT_MS = 60_000;

  private final PgUpsertSinkConfig config;
  private final ErrantRecordReporter dlq;
  private Connection conn;
  private final Map<String, PgTable> tables = new HashMap<>();
  private final Map<String, String> topicTables = new HashMap<>();
  private final CopyBinary.Buf buf = new CopyBinary.Buf();
  private long upsertUntil;

  /** A write that failed; {@code transient} when the same batch may succeed later (connection or server trouble). */
  static final class WriteException extends Exception {
    final boolean isTransient;

    WriteException(String message, Exception cause, boolean isTransient) {
      super(message, cause);
      this.isTransient = isTransient;
    }
  }

  PgBatchWriter(PgUpsertSinkConfig config, ErrantRecordReporter dlq) {
    this.config = config;
    this.dlq = dlq;
  }

  /** Writes every record (in transactions of at most batch.size rows per table); a refused row goes to the DLQ. */
  void write(List<SinkRecord> records) throws WriteException {
    Map<String, List<SinkRecord>> byTable = new LinkedHashMap<>();
    for (SinkRecord r : records) byTable.computeIfAbsent(topicTables.computeIfAbsent(r.topic(), config::tableFor), t -> new ArrayList<>()).add(r);
    try {
      Connection c = connection();
      for (Map.Entry<String, List<SinkRecord>> e : byTable.entrySet()) {
        PgTable t = table(c, e.getKey(), e.getValue().get(0));
        List<SinkRecord> all = e.getValue();
        for (int from = 0; from < all.size(); from += config.batchSize) write(c, t, all.subList(from, Math.min(all.size(), from + config.batchSize)));
      }
    } catch (SQLException | IOException e) {
      throw failure(e);
    }
  }

  private void write(Connection c, PgTable t, List<SinkRecord> records) throws SQLException, IOException {
    boolean copyFirst = config.writeMode == PgUpsertSinkConfig.WriteMode.COPY_FIRST && System.currentTimeMillis() >= upsertUntil;
    List<SinkRecord> rows = List.of();
    try {
      if (copyFirst) {
        // No de-duplication here: a key twice in the batch fails the COPY just as a stored key does, and both cases
        // take the upsert below.
        rows = encode(t, structs(records));
        if (rows.isEmpty()) return;
        try {
          copy(c, t.copyInto);
          c.commit();
          return;
        } catch (SQLException e) {
          c.rollback();
          if (!"23505".equals(e.getSQLState())) throw e;
          upsertUntil = System.currentTimeMillis() + UPSERT_AFTER_CONFLICT_MS;
          log.info("{}: a key of this batch is stored already or repeated in it; upserting for the next {} s", t.name, UPSERT_AFTER_CONFLICT_MS / 1000);
        }
        rows = encode(t, dedupe(t, rows));
      } else {
        rows = encode(t, dedupe(t, structs(records)));
      }
      if (rows.isEmpty()) return;
      upsert(c, t);
    } catch (SQLException e) {
      safeRollback(c);
      if (!isDataError(e)) throw e;
      log.warn("{}: batch of {} rows refused ({}: {}); writing them one by one to find the bad ones", t.name, rows.size(), e.getSQLState(), e.getMessage());
      oneByOne(c, t, rows);
    }
  }

  private void upsert(Connection c, PgTable t) throws SQLException, IOException {
    copy(c, t.copyStage);
    try (Statement s = c.createStatement()) {
      s.executeUpdate(t.moveStage);
    }
    c.commit(); // the stage is ON COMMIT DELETE ROWS: empty again
  }

  private void copy(Connection c, String sql) throws SQLException {
    CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
    try {
      in.writeToCopy(buf.a, 0, buf.n);
      in.endCopy();
    } finally {
      if (in.isActive()) in.cancelCopy();
    }
  }

  /** After a data error in a batch (which the contract converter should make impossible): isolate and report the bad rows. */
  private void oneByOne(Connection c, PgTable t, List<SinkRecord> rows) throws SQLException, IOException {
    for (SinkRecord r : rows) {
      List<SinkRecord> one = encode(t, List.of(r));
      if (one.isEmpty()) continue;
      try {
        upsert(c, t);
      } catch (SQLException e) {
        safeRollback(c);
        if (!isDataError(e)) throw e;
        report(r, new DataException("PostgreSQL refused the row (SQLSTATE " + e.getSQLState() + "): " + e.getMessage(), e));
      }
    }
  }

  /** The records whose value is a struct; any other (a tombstone) goes to the DLQ. */
  private List<SinkRecord> structs(List<SinkRecord> records) {
    List<SinkRecord> out = new ArrayList<>(records.size());
    for (SinkRecord r : records) {
      if (r.value() instanceof Struct) out.add(r);
      else report(r, new DataException("the record value must be a struct (got " + (r.value() == null ? "null, a tombstone; deletes are not supported" : r.value().getClass().getSimpleName()) + ")"));
    }
    return out;
  }

  /** The last record of each key wins, as it would with one upsert per record; PostgreSQL refuses a key twice in one statement. */
  private List<SinkRecord> dedupe(PgTable t, List<SinkRecord> records) {
    Map<Object, SinkRecord> last = new LinkedHashMap<>(records.size() * 2);
    for (SinkRecord r : records) last.put(t.keyOf((Struct) r.value()), r);
    return last.size() == records.size() ? records : new ArrayList<>(last.values());
  }

  /** Encodes the rows into the COPY buffer; a row with a value its column cannot hold is reported, the others go on. */
  private List<SinkRecord> encode(PgTable t, List<SinkRecord> records) {
    List<SinkRecord> ok = new ArrayList<>(records.size());
    buf.header();
    for (SinkRecord r : records) {
      int mark = buf.n;
      try {
        t.encode(buf, (Struct) r.value());
        ok.add(r);
      } catch (DataException | ArithmeticException e) {
        buf.n = mark;
        report(r, e instanceof DataException d ? d : new DataException(e.getMessage(), e));
      }
    }
    buf.trailer();
    return ok;
  }

  private void report(SinkRecord r, DataException e) {
    if (dlq == null) throw new ConnectException("record " + r.topic() + "-" + r.kafkaPartition() + "@" + r.kafkaOffset() + " cannot be stored and no DLQ is configured (errors.tolerance=all + errors.deadletterqueue.topic.name): " + e.getMessage(), e);
    dlq.report(r, e);
  }

  private PgTable table(Connection c, String name, SinkRecord sample) throws SQLException {
    PgTable t = tables.get(name);
    if (t == null) {
      t = PgTable.resolve(c, name, sample);
      tables.put(name, t);
      log.info("{}: writing columns {} with key {} ({})", t.name, t.columnList, t.keyList, config.writeMode);
    }
    return t;
  }

  private Connection connection() throws SQLException {
    if (conn != null && !conn.isClosed()) return conn;
    Properties p = new Properties();
    if (config.user != null) p.setProperty("user", config.user);
    if (config.password != null) p.setProperty("password", config.password.value());
    p.setProperty("ApplicationName", "sluice-sink");
    p.setProperty("tcpKeepAlive", "true");
    // The driver class directly: DriverManager does not see drivers inside a Connect plugin's class loader.
    Connection c = new org.postgresql.Driver().connect(config.url, p);
    if (c == null) throw new ConnectException(PgUpsertSinkConfig.URL + " must start with jdbc:postgresql://");
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("SET TIME ZONE 'UTC'"); // binary timestamps do not depend on it; error messages and defaults do
    }
    c.commit();
    tables.clear(); // temporary stages live in the session
    conn = c;
    return c;
  }

  /** Connection and server failures may pass; anything else needs an operator. The connection is dropped either way. */
  private WriteException failure(Exception e) {
    SQLException sql = e instanceof SQLException s ? s : null;
    String state = sql == null ? null : sql.getSQLState();
    boolean again = e instanceof IOException || isTransient(state);
    closeQuietly();
    if (again) return new WriteException("PostgreSQL unavailable (SQLSTATE " + state + "): " + e.getMessage(), e, true);
    return new WriteException("PostgreSQL refused the batch (SQLSTATE " + state + "): " + e.getMessage()
        + (state != null && state.startsWith("42") ? ". Check that the table exists with the contract's columns (sluice db migrate) and that the sink role may write it" : ""), e, false);
  }

  private boolean isTransient(String state) {
    if (state == null) return conn == null || isClosed();
    String cls = state.length() >= 2 ? state.substring(0, 2) : state;
    return cls.equals("08") || cls.equals("40") || cls.equals("53") || cls.equals("57") || cls.equals("58") || state.equals("55P03") || isClosed();
  }

  private boolean isDataError(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("22") || state.startsWith("23"));
  }

  private boolean isClosed() {
    try {
      return conn == null || conn.isClosed() || !conn.isValid(2);
    } catch (SQLException e) {
      return true;
    }
  }

  private static void safeRollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is gone; the next put reconnects
    }
  }

  private void closeQuietly() {
    if (conn == null) return;
    try {
      conn.close();
    } catch (SQLException ignored) {
      // already broken
    }
    conn = null;
  }

  @Override
  public void close() {
    closeQuietly();
  }
}
