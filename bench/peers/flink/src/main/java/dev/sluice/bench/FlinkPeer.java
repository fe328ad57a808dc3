package dev.sluice.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * Bench peer 2: what many teams would run instead of Kafka Connect, Apache Flink SQL. One job in a local
 * mini-cluster (this JVM) reads the bench's sandbox topic with Flink's Kafka source and JSON format and writes it
 * with Flink's JDBC upsert sink into the sandbox table: {@code INSERT INTO sink SELECT … FROM src}.
 *
 * <p>Configured only through its environment, so no credential is ever in argv or a log line: {@code PEER_BROKERS},
 * {@code PEER_TOPIC}, {@code PEER_GROUP}, {@code PEER_TABLE}, {@code PEER_JDBC_URL} (no credentials in it),
 * {@code PEER_PG_USER}, {@code PEER_PG_PASSWORD}; optional {@code PEER_PARALLELISM} (2),
 * {@code PEER_FLUSH_ROWS} (10000) and {@code PEER_FLUSH_INTERVAL} (1s). The job is unbounded: the bench kills the
 * process once every row landed. The JVM must run in UTC ({@code -Duser.timezone=UTC}, see {@link #SELECT}).
 *
 * <p>Handshake on stdio: it prints {@code ready} once the JVM is up and the tables are declared, then waits for a
 * line on stdin before it submits the job. The bench starts it while the backlog is produced and starts its clock at
 * the submission, as it does when it creates a connector on an already running Connect worker: planning the job
 * and starting the mini-cluster are measured, the JVM's own start is not. When stdin closes (the bench exited, even
 * without killing it) the process ends.
 */
public final class FlinkPeer {
  private FlinkPeer() {}

  /**
   * The record value is the contract's plain JSON; the key (composite JSON) and the schema-id header are not read.
   * Unknown (optional) fields are ignored by Flink's JSON format; a missing required field fails the job rather than
   * store a NULL. {@code published_at} is epoch milliseconds.
   */
  static String sourceDdl(Map<String, String> env) {
    return "CREATE TABLE src ("
        + " device_id STRING, published_at BIGINT, metric_name SMALLINT, `value` DOUBLE, tags ARRAY<STRING>"
        + ") WITH ("
        + " 'connector' = 'kafka',"
        + option("topic", need(env, "PEER_TOPIC"))
        + option("properties.bootstrap.servers", need(env, "PEER_BROKERS"))
        + option("properties.group.id", need(env, "PEER_GROUP"))
        // The whole backlog, as the Connect sink drains it (auto.offset.reset=earliest on a fresh group).
        + " 'scan.startup.mode' = 'earliest-offset',"
        + " 'format' = 'json',"
        + " 'json.fail-on-missing-field' = 'true',"
        + " 'json.ignore-parse-errors' = 'false')";
  }

  /**
   * The JDBC upsert sink on the sandbox table (Flink's Postgres dialect writes {@code INSERT … ON CONFLICT (key) DO
   * UPDATE}). Settings, per Flink's JDBC connector docs:
   *
   * <ul>
   *   <li>{@code sink.buffer-flush.max-rows} 10000 (default 100, far too small for a bulk drain): one JDBC batch per
   *       10000 rows per subtask, the batch of the Sluice sink and of the Debezium alternative;
   *   <li>{@code sink.buffer-flush.interval} 1s (the default): a partial buffer is written at most a second later,
   *       so the tail of the backlog lands promptly;
   *   <li>{@code sink.parallelism} 2: two writers, as the Sluice sink runs two tasks.
   * </ul>
   *
   * {@code tags} is declared STRING: Flink's JDBC Postgres dialect reads arrays but refuses to write them ("Writing
   * ARRAY type is not yet supported in JDBC:PostgreSQL"), so the job renders each tag list as PostgreSQL's array
   * literal ({@link PgTextArray}) and PostgreSQL parses it into the same {@code text[]} column: same table, same
   * stored values, at the cost of one small function call per row and PostgreSQL's array input (the Bun consumer
   * peer sends its tags the same way).
   *
   * <p>The URL carries pgjdbc's {@code reWriteBatchedInserts=true} (its documented setting for batched inserts: one
   * multi-row INSERT per batch instead of one statement per row) and {@code stringtype=unspecified} (strings are sent
   * untyped, so PostgreSQL casts the device id to {@code uuid} and the tag literal to {@code text[]} itself; Flink has
   * no UUID type).
   */
  static String sinkDdl(Map<String, String> env) {
    return "CREATE TABLE sink ("
        + " device_id STRING NOT NULL, published_at TIMESTAMP(3) NOT NULL, metric_name SMALLINT NOT NULL,"
        + " `value` DOUBLE, tags STRING,"
        + " PRIMARY KEY (device_id, published_at, metric_name) NOT ENFORCED"
        + ") WITH ("
        + " 'connector' = 'jdbc',"
        + option("url", jdbcUrl(need(env, "PEER_JDBC_URL")))
        + option("table-name", need(env, "PEER_TABLE"))
        + option("username", need(env, "PEER_PG_USER"))
        + option("password", need(env, "PEER_PG_PASSWORD"))
        + option("sink.buffer-flush.max-rows", env.getOrDefault("PEER_FLUSH_ROWS", "10000"))
        + option("sink.buffer-flush.interval", env.getOrDefault("PEER_FLUSH_INTERVAL", "1s"))
        + option("sink.parallelism", env.getOrDefault("PEER_PARALLELISM", "2"))
        + " 'sink.max-retries' = '3')";
  }

  /**
   * Epoch milliseconds to the instant as a UTC wall clock: Flink's JDBC sink writes TIMESTAMP through
   * {@code java.sql.Timestamp}, which pgjdbc renders in the JVM's zone, so session and JVM are both UTC.
   */
  static final String SELECT =
      "INSERT INTO sink SELECT device_id, CAST(TO_TIMESTAMP_LTZ(published_at, 3) AS TIMESTAMP(3)), metric_name,"
          + " `value`, PG_TEXT_ARRAY(tags) FROM src";

  /**
   * A tag list as PostgreSQL's array literal: {@code {"a","b"}}, every element quoted with {@code \} and {@code "}
   * escaped (so any text round-trips), a NULL element unquoted, {@code {}} for none.
   */
  public static final class PgTextArray extends ScalarFunction {
    public String eval(String[] tags) {
      if (tags == null) return null;
      StringBuilder out = new StringBuilder(16 * tags.length + 2).append('{');
      for (int i = 0; i < tags.length; i++) {
        if (i > 0) out.append(',');
        String t = tags[i];
        if (t == null) {
          out.append("NULL");
          continue;
        }
        out.append('"');
        for (int k = 0; k < t.length(); k++) {
          char c = t.charAt(k);
          if (c == '"' || c == '\\') out.append('\\');
          out.append(c);
        }
        out.append('"');
      }
      return out.append('}').toString();
    }
  }

  /** The given JDBC URL with pgjdbc's batching and untyped-string parameters added. */
  static String jdbcUrl(String url) {
    return url + (url.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true&stringtype=unspecified";
  }

  private static String option(String key, String value) {
    return " '" + key + "' = '" + value.replace("'", "''") + "',";
  }

  private static String need(Map<String, String> env, String key) {
    String v = env.get(key);
    if (v == null || v.isEmpty()) throw new IllegalArgumentException(key + " is not set (the bench sets PEER_*)");
    return v;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    int parallelism = Integer.parseInt(env.getOrDefault("PEER_PARALLELISM", "2"));
    Configuration conf = new Configuration();
    conf.setString("table.local-time-zone", "UTC");
    conf.setString("pipeline.name", "sluice-bench-flink-peer");
    // The mini-cluster's REST endpoint (web UI) on loopback, on any free port: never a fixed 8081 clash.
    conf.setString("rest.bind-address", "127.0.0.1");
    conf.setString("rest.bind-port", "0");
    // The local environment starts a mini-cluster with as many slots as the parallelism.
    StreamExecutionEnvironment see = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    see.setParallelism(parallelism);
    // A production job checkpoints (its Kafka offsets and the JDBC sink's flush ride on them); at-least-once is
    // enough for an idempotent upsert sink and skips barrier alignment. Every 10 s: a few during a drain.
    see.enableCheckpointing(10_000, CheckpointingMode.AT_LEAST_ONCE);
    StreamTableEnvironment tenv = StreamTableEnvironment.create(see);
    tenv.createTemporarySystemFunction("PG_TEXT_ARRAY", PgTextArray.class);
    tenv.executeSql(sourceDdl(env));
    tenv.executeSql(sinkDdl(env));
    System.out.println("ready");
    System.out.flush();
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    if (stdin.readLine() == null) return;
    // Stdin closes when the bench exits, also when it dies without killing this process: then stop too.
    Thread orphan =
        new Thread(
            () -> {
              try {
                while (stdin.readLine() != null) {}
              } catch (java.io.IOException e) {
                // closed either way
              }
              System.err.println("flink peer: the bench is gone, stopping");
              Runtime.getRuntime().halt(0);
            },
            "stdin-watch");
    orphan.setDaemon(true);
    orphan.start();
    long t0 = System.nanoTime();
    var result = tenv.executeSql(SELECT);
    // Planning and the mini-cluster's start: part of the measured time, reported apart in the bench's log.
    System.out.println("job submitted in " + (System.nanoTime() - t0) / 1_000_000 + " ms (planned, mini-cluster up)");
    System.out.flush();
    // Runs until killed: the source is unbounded.
    result.await();
  }
}
