package dev.sluice.connect.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class PgUpsertSinkConnectorTest {
  @Test
  void everyTaskGetsTheConnectorConfig() {
    PgUpsertSinkConnector c = new PgUpsertSinkConnector();
    Map<String, String> props = Map.of(PgUpsertSinkConfig.URL, "jdbc:postgresql://h/db", "name", "s");
    c.start(props);
    List<Map<String, String>> tasks = c.taskConfigs(3);
    assertEquals(List.of(props, props, props), tasks);
    assertSame(PgUpsertSinkTask.class, c.taskClass());
    assertSame(PgUpsertSinkConfig.CONFIG, c.config());
    assertEquals(PgUpsertSinkConfig.VERSION, c.version());
  }

  @Test
  void aBadConfigFailsTheConnectorBeforeAnyTask() {
    assertThrows(ConfigException.class,
        () -> new PgUpsertSinkConnector().start(Map.of(PgUpsertSinkConfig.URL, "x",
            PgUpsertSinkConfig.BATCH_SIZE, "0")));
  }
}
