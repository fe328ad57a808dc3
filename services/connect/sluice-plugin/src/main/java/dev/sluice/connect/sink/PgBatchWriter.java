package dev.sluice.connect.sink;

import dev.sluice.connect.row.CopyRow;
import dev.sluice.connect.sink.pg.CopyBinary;
import dev.sluice.connect.sink.pg.PgSession;
import dev.sluice.connect.sink.pg.PgTable;
import dev.sluice.connect.sink.pg.SqlStates;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches of records into their tables over one connection: binary COPY (straight into the table, or into a
 * stage moved by one upsert), de-duplication by key, and the search for rows PostgreSQL refuses. Refused records are
 * collected as dead letters ({@link #takeDeadLetters}) for the task to deliver once the batch is stored; errors are
 * classified by {@link SqlStates}, and a refusal of most rows for one reason stops the writer ({@link Refusals}).
 * Not thread-safe: one writer thread per task uses it. The database is reached through a {@link PgSession}, opened
 * again after a failure.
 */
final class PgBatchWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PgBatchWriter.class);
  /** After a key conflict, copy-first mode upserts for this long before it tries a plain COPY again. */
  private static final long UPSERT_AFTER_CONFLICT_MS = 60_000;

  private final PgUpsertSinkConfig config;
  private final boolean hasDlq;
  private final List<DeadLetters.Letter> letters = new ArrayList<>();
  private final Refusals refusals = new Refusals();
  private final PgSession.Opener opener;
  private PgSession session;
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

  /** {@code hasDlq}: refused records become dead letters (else they fail the write); {@code opener}: new sessions. */
  PgBatchWriter(PgUpsertSinkConfig config, boolean hasDlq, PgSession.Opener opener) {
    this.config = config;
    this.hasDlq = hasDlq;
    this.opener = opener;
  }

  /**
   * Writes every record (in transactions of at most batch.size rows per table); a refused row becomes a dead letter,
   * unless most rows are refused for one reason, which fails the write (nothing of it dead-lettered).
   */
  void write(List<SinkRecord> records) throws WriteException {
    letters.clear();
    Map<String, List<SinkRecord>> byTable = new LinkedHashMap<>();
    for (SinkRecord r : records) byTable.computeIfAbsent(topicTables.computeIfAbsent(r.topic(), config::tableFor), t -> new ArrayList<>()).add(r);
    try {
      PgSession c = session();
      for (Map.Entry<String, List<SinkRecord>> e : byTable.entrySet()) {
        PgTable t = table(c, e.getKey(), e.getValue().get(0));
        List<SinkRecord> all = e.getValue();
        for (int from = 0; from < all.size(); from += config.batchSize) write(c, t, all.subList(from, Math.min(all.size(), from + config.batchSize)));
      }
    } catch (SQLException e) {
      letters.clear();
      throw failure(e);
    } catch (WriteException e) {
      letters.clear();
      throw e;
    }
  }

  /** The dead letters of the last {@link #write}, in record order; they must be delivered before its offsets count. */
  List<DeadLetters.Letter> takeDeadLetters() {
    List<DeadLetters.Letter> out = List.copyOf(letters);
    letters.clear();
    return out;
  }

  private void write(PgSession c, PgTable t, List<SinkRecord> records) throws SQLException, WriteException {
    boolean copyFirst = config.writeMode == PgUpsertSinkConfig.WriteMode.COPY_FIRST && System.currentTimeMillis() >= upsertUntil;
    List<SinkRecord> rows = List.of();
    try {
      if (copyFirst) {
        // No de-duplication here: a key twice in the batch fails the COPY just as a stored key does, and both cases
        // take the upsert below.
        rows = encode(t, withValues(records));
        if (rows.isEmpty()) return;
        try {
          copy(c, t.copyInto);
          c.commit();
          refusals.stored();
          return;
        } catch (SQLException e) {
          c.rollback();
          if (!"23505".equals(e.getSQLState())) throw e;
          upsertUntil = System.currentTimeMillis() + UPSERT_AFTER_CONFLICT_MS;
          log.info("{}: a key of this batch is stored already or repeated in it; upserting for the next {} s", t.name, UPSERT_AFTER_CONFLICT_MS / 1000);
        }
        rows = encode(t, dedupe(t, rows));
      } else {
        rows = encode(t, dedupe(t, withValues(records)));
      }
      if (rows.isEmpty()) return;
      upsert(c, t);
      refusals.stored();
    } catch (SQLException e) {
      safeRollback(c);
      if (SqlStates.of(e.getSQLState()).action() != SqlStates.Action.REFUSE_ROW) throw e;
      log.warn("{}: batch of {} rows refused ({}: {}); writing them one by one to find the bad ones", t.name, rows.size(), e.getSQLState(), e.getMessage());
      oneByOne(c, t, rows);
    }
  }

  private void upsert(PgSession c, PgTable t) throws SQLException {
    copy(c, t.copyStage);
    c.execute(t.moveStage);
    c.commit(); // the stage is ON COMMIT DELETE ROWS: empty again
  }

  private void copy(PgSession c, String sql) throws SQLException {
    c.copyIn(sql, buf.a, buf.n);
  }

  /**
   * After a data error in a batch (which the contract converter should make impossible): isolate the bad rows as dead
   * letters, or stop when one SQLSTATE refuses most of them (then the table is the problem, not the data).
   */
  private void oneByOne(PgSession c, PgTable t, List<SinkRecord> rows) throws SQLException, WriteException {
    refusals.startBatch();
    SQLException firstRefusal = null;
    for (SinkRecord r : rows) {
      List<SinkRecord> one = encode(t, List.of(r));
      if (one.isEmpty()) continue;
      try {
        upsert(c, t);
        refusals.stored();
      } catch (SQLException e) {
        safeRollback(c);
        if (SqlStates.of(e.getSQLState()).action() != SqlStates.Action.REFUSE_ROW) throw e;
        if (firstRefusal == null) firstRefusal = e;
        if (refusals.refused(e.getSQLState())) throw systemic(t, e, rows.size());
        report(r, new DataException("PostgreSQL refused the row (SQLSTATE " + e.getSQLState() + "): " + e.getMessage(), e));
      }
    }
    String state = refusals.systemicState();
    if (state != null) throw systemic(t, firstRefusal != null && state.equals(firstRefusal.getSQLState()) ? firstRefusal : null, state, rows.size());
  }

  private WriteException systemic(PgTable t, SQLException e, int rows) {
    return systemic(t, e, e.getSQLState(), rows);
  }

  /** Most rows refused alike: the cause is the table; dead-lettering them would drain the stream into the DLQ. */
  private WriteException systemic(PgTable t, SQLException e, String state, int rows) {
    return new WriteException(t.name + ": PostgreSQL refused " + refusals.refusedInBatch(state) + " of the "
        + refusals.rowsInBatch() + " rows tried (batch of " + rows + ") with SQLSTATE " + state
        + (e == null ? "" : " (" + e.getMessage() + ")") + ". So many rows refused alike point at the table, not the data: "
        + SqlStates.of(state).hint() + ". Nothing of this batch went to the DLQ and its offsets are not committed; fix the "
        + "cause, then restart the task (sluice connectors restart)", e, false);
  }

  /** The records whose value is a struct or a {@link CopyRow}; any other (a tombstone) goes to the DLQ. */
  private List<SinkRecord> withValues(List<SinkRecord> records) {
    List<SinkRecord> out = new ArrayList<>(records.size());
    for (SinkRecord r : records) {
      if (CopyRow.schemaOf(r.value()) != null) out.add(r);
      else report(r, new DataException("the record value must be a struct (got " + (r.value() == null ? "null, a tombstone; deletes are not supported" : r.value().getClass().getSimpleName()) + ")"));
    }
    return out;
  }

  /** The last record of each key wins, as it would with one upsert per record; PostgreSQL refuses a key twice in one statement. */
  private List<SinkRecord> dedupe(PgTable t, List<SinkRecord> records) {
    Map<Object, SinkRecord> last = new LinkedHashMap<>(records.size() * 2);
    for (SinkRecord r : records) last.put(t.keyOf(r.value()), r);
    return last.size() == records.size() ? records : new ArrayList<>(last.values());
  }

  /** Encodes the rows into the COPY buffer; a row with a value its column cannot hold is reported, the others go on. */
  private List<SinkRecord> encode(PgTable t, List<SinkRecord> records) {
    List<SinkRecord> ok = new ArrayList<>(records.size());
    buf.header();
    for (SinkRecord r : records) {
      int mark = buf.n;
      try {
        t.encode(buf, r.value());
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
    if (!hasDlq) throw new ConnectException("record " + r.topic() + "-" + r.kafkaPartition() + "@" + r.kafkaOffset() + " cannot be stored and no DLQ is configured (errors.tolerance=all + errors.deadletterqueue.topic.name): " + e.getMessage(), e);
    letters.add(new DeadLetters.Letter(r, e));
  }

  private PgTable table(PgSession c, String name, SinkRecord sample) throws SQLException {
    PgTable t = tables.get(name);
    if (t == null) {
      t = PgTable.plan(name, c.columns(name), sample);
      c.execute(t.createStage);
      c.commit();
      tables.put(name, t);
      log.info("{}: writing columns {} with key {} ({})", t.name, t.columnList, t.keyList, config.writeMode);
    }
    return t;
  }

  private PgSession session() throws SQLException {
    if (session != null && session.isOpen()) return session;
    PgSession c = opener.open();
    tables.clear(); // temporary stages live in the session
    session = c;
    return c;
  }

  /**
   * Classified by SQLSTATE alone ({@link SqlStates}): whether a connection is open says nothing about whether a retry
   * can help (a wrong password fails with no connection too). The connection is dropped either way.
   */
  private WriteException failure(Exception e) {
    String state = e instanceof SQLException s ? s.getSQLState() : null;
    SqlStates.Verdict v = SqlStates.of(state);
    closeQuietly();
    if (v.action() == SqlStates.Action.RETRY) return new WriteException("PostgreSQL unavailable (SQLSTATE " + state + "): " + e.getMessage(), e, true);
    return new WriteException("PostgreSQL refused the batch (SQLSTATE " + state + "): " + e.getMessage() + ". " + v.hint(), e, false);
  }

  private static void safeRollback(PgSession c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is gone; the next put reconnects
    }
  }

  private void closeQuietly() {
    if (session == null) return;
    session.close();
    session = null;
  }

  @Override
  public void close() {
    closeQuietly();
  }
}
