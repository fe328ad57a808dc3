package dev.sluice.connect.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class PgUpsertSinkConfigTest {
  private static Map<String, String> props(String... kv) {
    Map<String, String> m = new HashMap<>(Map.of(PgUpsertSinkConfig.URL, "jdbc:postgresql://h/db"));
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    PgUpsertSinkConfig c = new PgUpsertSinkConfig(props());
    assertEquals(PgUpsertSinkConfig.WriteMode.COPY_UPSERT, c.writeMode);
    assertEquals(10_000, c.batchSize);
    assertEquals(2000L, c.retryBackoffMs);
    assertNull(c.user);
    assertEquals("metrics", c.tableFor("metrics"));
  }

  @Test
  void readsEverySetting() {
    PgUpsertSinkConfig c = new PgUpsertSinkConfig(props(PgUpsertSinkConfig.WRITE_MODE, " Copy-First ",
        PgUpsertSinkConfig.BATCH_SIZE, "5", PgUpsertSinkConfig.RETRY_BACKOFF_MS, "100",
        PgUpsertSinkConfig.USER, "u", PgUpsertSinkConfig.PASSWORD, "secret", PgUpsertSinkConfig.TABLE, "s.${topic}_x"));
    assertEquals(PgUpsertSinkConfig.WriteMode.COPY_FIRST, c.writeMode);
    assertEquals(5, c.batchSize);
    assertEquals(100L, c.retryBackoffMs);
    assertEquals("u", c.user);
    assertEquals("secret", c.password.value());
    assertEquals("s.m_x", c.tableFor("m"));
  }

  @Test
  void refusesBadValuesNamingTheSetting() {
    assertThrows(ConfigException.class, () -> new PgUpsertSinkConfig(Map.of()));
    ConfigException mode = assertThrows(ConfigException.class,
        () -> new PgUpsertSinkConfig(props(PgUpsertSinkConfig.WRITE_MODE, "merge")));
    assertTrue(mode.getMessage().contains("copy-upsert or copy-first"), mode.getMessage());
    assertThrows(ConfigException.class, () -> new PgUpsertSinkConfig(props(PgUpsertSinkConfig.BATCH_SIZE, "0")));
    assertThrows(ConfigException.class, () -> new PgUpsertSinkConfig(props(PgUpsertSinkConfig.RETRY_BACKOFF_MS, "99")));
    ConfigException type = assertThrows(ConfigException.class,
        () -> new PgUpsertSinkConfig(props(PgUpsertSinkConfig.BATCH_SIZE, "many")));
    assertTrue(type.getMessage().contains(PgUpsertSinkConfig.BATCH_SIZE), type.getMessage());
  }

  @Test
  void everySettingIsDocumented() {
    for (ConfigDef.ConfigKey k : PgUpsertSinkConfig.CONFIG.configKeys().values()) {
      assertTrue(k.documentation != null && k.documentation.length() > 10, k.name);
    }
  }
}
