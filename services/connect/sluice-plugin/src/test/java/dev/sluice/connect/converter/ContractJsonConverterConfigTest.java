package dev.sluice.connect.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

class ContractJsonConverterConfigTest {
  @Test
  void readsTheSchemasAndTheFastPathSwitch() {
    Map<String, Object> p = new HashMap<>(Map.of("schema.content", "{}", "contract", "{\"type\":\"object\"}",
        "converter.type", "value"));
    ContractJsonConverterConfig c = new ContractJsonConverterConfig(p);
    assertEquals("{}", c.schemaContent);
    assertEquals("{\"type\":\"object\"}", c.contract);
    assertTrue(c.fastPath, "on by default");
    p.put("fast.path", "false");
    assertFalse(new ContractJsonConverterConfig(p).fastPath);
    p.put("fast.path", false);
    assertFalse(new ContractJsonConverterConfig(p).fastPath);
    assertFalse(c.copyRows, "structs by default");
    p.put("copy.rows", "true");
    assertTrue(new ContractJsonConverterConfig(p).copyRows);
  }

  @Test
  void aMissingSchemaOrABadSwitchIsRefused() {
    DataException e = assertThrows(DataException.class,
        () -> new ContractJsonConverterConfig(Map.of("contract", "{}")));
    assertTrue(e.getMessage().contains("needs both schema.content and contract"), e.getMessage());
    assertThrows(ConfigException.class, () -> new ContractJsonConverterConfig(Map.of("schema.content", "{}",
        "contract", "{}", "fast.path", "sometimes")));
  }

  @Test
  void theConverterShowsTheDocumentedDefinition() {
    ConfigDef def = new ContractJsonConverter().config();
    assertEquals(java.util.Set.of("schema.content", "contract", "fast.path", "copy.rows"), def.names());
    for (ConfigDef.ConfigKey k : def.configKeys().values()) assertTrue(k.documentation.length() > 20, k.name);
  }
}
