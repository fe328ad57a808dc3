package dev.sluice.connect.sink;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * Settings of {@link PgUpsertSinkConnector}. The connection and table keys are the Debezium JDBC sink's, so a
 * connector file switches between the two by its class and the keys that only one of them knows.
 */
public final class PgUpsertSinkConfig extends AbstractConfig {
  static final String VERSION = "1.0.0";
  public static final String URL = "connection.url";
  public static final String USER = "connection.username";
  public static final String PASSWORD = "connection.password";
  public static final String TABLE = "collection.name.format";
  public static final String WRITE_MODE = "write.mode";
  public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
  public static final String BATCH_SIZE = "batch.size";

  /** How a batch reaches the table. */
  public enum WriteMode {
    /** COPY into a temporary stage, then one INSERT … SELECT … ON CONFLICT DO UPDATE. */
    COPY_UPSERT,
    /** COPY straight into the table; on a key that already exists, roll back and do COPY_UPSERT for a while. */
    COPY_FIRST;

    static WriteMode parse(String s) {
      return valueOf(s.trim().toUpperCase().replace('-', '_'));
    }
  }

  static final ConfigDef CONFIG = new ConfigDef()
      .define(URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH, "JDBC URL of the PostgreSQL database (jdbc:postgresql://host:port/db)")
      .define(USER, Type.STRING, null, Importance.HIGH, "Database user")
      .define(PASSWORD, Type.PASSWORD, null, Importance.HIGH, "Database password; use a config provider reference such as ${env:…}")
      .define(TABLE, Type.STRING, "${topic}", Importance.HIGH, "Target table; ${topic} is replaced by the record's topic")
      .define(WRITE_MODE, Type.STRING, "copy-upsert", (name, v) -> {
        try {
          WriteMode.parse((String) v);
        } catch (RuntimeException e) {
          throw new org.apache.kafka.common.config.ConfigException(name, v, "expected copy-upsert or copy-first");
        }
      }, Importance.MEDIUM, "copy-upsert (stage + set-based upsert) or copy-first (COPY into the table, upsert only after a key conflict)")
      .define(BATCH_SIZE, Type.INT, 10_000, atLeast(1), Importance.MEDIUM,
          "Most rows per transaction; a larger poll (consumer.override.max.poll.records) is written in several")
      .define(RETRY_BACKOFF_MS, Type.LONG, 2000L, atLeast(100), Importance.LOW,
          "Wait before the batch is retried after a connection or server failure; retries go on until the database is back");

  /** Like ConfigDef.Range.atLeast, but silent on a value that did not parse (its type error is the one to show). */
  private static ConfigDef.Validator atLeast(long min) {
    return (name, v) -> {
      if (v instanceof Number n && n.longValue() < min) throw new org.apache.kafka.common.config.ConfigException(name, v, "must be at least " + min);
    };
  }

  final String url;
  final String user;
  final Password password;
  final String table;
  final WriteMode writeMode;
  final long retryBackoffMs;
  final int batchSize;

  public PgUpsertSinkConfig(Map<?, ?> props) {
    super(CONFIG, props);
    url = getString(URL);
    user = getString(USER);
    password = getPassword(PASSWORD);
    table = getString(TABLE);
    writeMode = WriteMode.parse(getString(WRITE_MODE));
    retryBackoffMs = getLong(RETRY_BACKOFF_MS);
    batchSize = getInt(BATCH_SIZE);
  }

  /** The table a record of {@code topic} goes to. */
  String tableFor(String topic) {
    return table.replace("${topic}", topic);
  }
}
