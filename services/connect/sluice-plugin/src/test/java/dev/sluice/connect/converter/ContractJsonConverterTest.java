package dev.sluice.connect.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

/** The converter's own duties; its readers agree in {@link ConverterDiffTest}, its verdicts in ContractVectorsTest. */
class ContractJsonConverterTest {
  private static ContractJsonConverter converter(String side, boolean fast) {
    ContractJsonConverter c = new ContractJsonConverter();
    Map<String, Object> p = new HashMap<>(ConverterFixtures.props(side));
    p.put(ContractJsonConverter.FAST_PATH, String.valueOf(fast));
    c.configure(p, side.equals("key"));
    return c;
  }

  @Test
  void readsAValueIntoTheContractsStructOnTheFastPath() {
    ContractJsonConverter c = converter("value", true);
    SchemaAndValue v = c.toConnectData("metrics", ConverterFixtures.utf8(ConverterFixtures.VALUE));
    Struct s = (Struct) v.value();
    assertEquals(v.schema(), s.schema());
    assertEquals(new Date(1780272000000L), s.get("published_at"));
    assertEquals((short) 10, s.get("metric_name"));
    assertEquals(21.5, s.get("value"));
    assertEquals(List.of("site:1", "fw:1.2"), s.get("tags"));
    assertEquals(0, c.streamReads() + c.treeReads(), "the byte scanner took it");
  }

  @Test
  void withoutTheFastPathEveryRecordIsATreeRead() {
    ContractJsonConverter c = converter("value", false);
    c.toConnectData("metrics", ConverterFixtures.utf8(ConverterFixtures.VALUE));
    assertEquals(1, c.treeReads());
  }

  @Test
  void refusesTombstonesBadJsonAndViolationsWithTheReason() {
    ContractJsonConverter c = converter("value", true);
    assertTrue(assertThrows(DataException.class, () -> c.toConnectData("m", null)).getMessage().contains("tombstone"));
    assertTrue(assertThrows(DataException.class, () -> c.toConnectData("m", ConverterFixtures.utf8("{")))
        .getMessage().startsWith("not JSON"));
    String hot = ConverterFixtures.VALUE.replace("21.5", "\"hot\"");
    assertTrue(assertThrows(DataException.class, () -> c.toConnectData("m", ConverterFixtures.utf8(hot)))
        .getMessage().contains("contract violation at value"));
  }

  @Test
  void badSchemasFailTheConfiguration() {
    ContractJsonConverter c = new ContractJsonConverter();
    assertThrows(DataException.class, () -> c.configure(Map.of("schema.content", "{", "contract", "{}"), false));
  }

  @Test
  void writesConnectDataAsPlainJson() {
    ContractJsonConverter c = converter("value", true);
    SchemaAndValue v = c.toConnectData("m", ConverterFixtures.utf8(ConverterFixtures.VALUE));
    String json = new String(c.fromConnectData("m", v.schema(), v.value()), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(v.value(), c.toConnectData("m", ConverterFixtures.utf8(json)).value());
  }
}
