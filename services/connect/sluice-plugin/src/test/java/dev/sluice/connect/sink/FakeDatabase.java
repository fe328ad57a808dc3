package dev.sluice.connect.sink;

import dev.sluice.connect.sink.pg.PgSession;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * An in-memory stand-in for PostgreSQL behind {@link PgSession}, for the writer's bookkeeping: table {@code t} (id
 * int8 primary key, v float8, label text, n int2), transactions, the binary COPY rows decoded, and the errors
 * PostgreSQL would raise: a duplicate key on a plain COPY (23505), a key twice in one upsert (21000), a row whose label
 * is {@link #POISON} (the SQLSTATE in {@link #refuseState}), a lost connection ({@link #loseConnection}). Every commit
 * and report goes to one {@link #events} log, so tests can check their order. Thread-safe enough for one writer
 * thread and one test thread.
 */
final class FakeDatabase implements PgSession.Opener {
  static final String POISON = "bad";
  static final Schema KEY = SchemaBuilder.struct().name("k").field("id", Schema.INT64_SCHEMA).build();
  static final Schema VALUE = SchemaBuilder.struct().name("v").field("id", Schema.INT64_SCHEMA)
      .field("v", Schema.FLOAT64_SCHEMA).field("label", Schema.STRING_SCHEMA).field("n", Schema.INT32_SCHEMA).build();

  /** Committed rows by id: the label stored. */
  final Map<Long, String> table = new LinkedHashMap<>();
  final List<String> events = new ArrayList<>();
  final AtomicInteger opens = new AtomicInteger();
  final AtomicInteger commits = new AtomicInteger();
  /** Statements (their first word and target: "COPY t", "COPY stage", "INSERT") in order. */
  final List<String> statements = new ArrayList<>();
  volatile String refuseState = "22021";
  /** SQLSTATE that opening a session fails with, or null. */
  volatile String openFails;
  /** Operations still to fail as a lost connection (SQLSTATE 08006). */
  final AtomicInteger loseConnection = new AtomicInteger();

  /** A record at {@code offset} of partition 0 of topic t. */
  static SinkRecord record(long offset, long id, String label) {
    Struct k = new Struct(KEY).put("id", id);
    Struct v = new Struct(VALUE).put("id", id).put("v", id * 0.5).put("label", label).put("n", 7);
    return new SinkRecord("t", 0, KEY, k, VALUE, v, offset);
  }

  /** Records at offsets from..to-1, id = offset, label "ok". */
  static List<SinkRecord> records(long from, long to) {
    List<SinkRecord> out = new ArrayList<>();
    for (long o = from; o < to; o++) out.add(record(o, o, "ok"));
    return out;
  }

  synchronized void event(String e) {
    events.add(e);
  }

  synchronized List<String> events() {
    return List.copyOf(events);
  }

  synchronized Map<Long, String> rows() {
    return Map.copyOf(table);
  }

  @Override
  public PgSession open() throws SQLException {
    if (openFails != null) throw new SQLException("open failed", openFails);
    opens.incrementAndGet();
    return new Session();
  }

  /** The rows of a binary COPY stream: id and label of each (the other fields are skipped). */
  static List<Map.Entry<Long, String>> decode(byte[] data, int length) {
    ByteBuffer b = ByteBuffer.wrap(data, 0, length);
    b.position(19);
    List<Map.Entry<Long, String>> rows = new ArrayList<>();
    for (short fields = b.getShort(); fields != -1; fields = b.getShort()) {
      long id = 0;
      String label = null;
      for (int f = 0; f < fields; f++) {
        int len = b.getInt();
        if (len < 0) continue;
        byte[] x = new byte[len];
        b.get(x);
        if (f == 0) id = ByteBuffer.wrap(x).getLong();
        if (f == 2) label = new String(x, StandardCharsets.UTF_8);
      }
      rows.add(Map.entry(id, label));
    }
    if (b.remaining() != 0) throw new IllegalStateException(b.remaining() + " bytes after the trailer");
    return rows;
  }

  private final class Session implements PgSession {
    private boolean open = true;
    private final Map<Long, String> pending = new LinkedHashMap<>();
    private List<Map.Entry<Long, String>> stage = List.of();

    private void maybeLose() throws SQLException {
      if (!open) throw new SQLException("This connection has been closed.", "08003");
      if (loseConnection.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        open = false;
        throw new SQLException("An I/O error occurred while sending to the backend.", "08006");
      }
    }

    @Override
    public Columns columns(String name) throws SQLException {
      maybeLose();
      if (!name.equals("t")) return null;
      Map<String, String> types = Map.of("id", "int8", "v", "float8", "label", "text", "n", "int2");
      return new Columns("t", types, types);
    }

    @Override
    public void execute(String sql) throws SQLException {
      maybeLose();
      if (sql.startsWith("CREATE TEMP TABLE")) return;
      if (!sql.startsWith("INSERT INTO t ")) throw new SQLException("unexpected statement " + sql, "42601");
      synchronized (FakeDatabase.this) {
        statements.add("INSERT");
      }
      Set<Long> seen = new HashSet<>();
      for (Map.Entry<Long, String> r : stage) {
        if (!seen.add(r.getKey())) throw new SQLException("cannot affect row a second time", "21000");
        if (POISON.equals(r.getValue())) throw new SQLException("refused " + r.getKey(), refuseState);
      }
      for (Map.Entry<Long, String> r : stage) pending.put(r.getKey(), r.getValue());
    }

    @Override
    public void copyIn(String sql, byte[] data, int length) throws SQLException {
      maybeLose();
      List<Map.Entry<Long, String>> rows = decode(data, length);
      boolean toStage = sql.startsWith("COPY \"sluice_stage_");
      synchronized (FakeDatabase.this) {
        statements.add(toStage ? "COPY stage" : "COPY t");
      }
      if (toStage) {
        stage = rows;
        return;
      }
      Set<Long> seen = new HashSet<>();
      for (Map.Entry<Long, String> r : rows) {
        boolean stored;
        synchronized (FakeDatabase.this) {
          stored = table.containsKey(r.getKey());
        }
        if (stored || !seen.add(r.getKey())) throw new SQLException("duplicate key " + r.getKey(), "23505");
        if (POISON.equals(r.getValue())) throw new SQLException("refused " + r.getKey(), refuseState);
        pending.put(r.getKey(), r.getValue());
      }
    }

    @Override
    public void commit() throws SQLException {
      maybeLose();
      synchronized (FakeDatabase.this) {
        table.putAll(pending);
        if (!pending.isEmpty()) events.add("commit " + pending.size());
      }
      commits.incrementAndGet();
      pending.clear();
      stage = List.of();
    }

    @Override
    public void rollback() throws SQLException {
      pending.clear();
      stage = List.of();
      if (!open) throw new SQLException("This connection has been closed.", "08003");
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
    }
  }
}
