package dev.sluice.connect.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

/**
 * What FastReader vouches for and what it hands on ("unsure"); that it never disagrees with the tree is
 * {@link ConverterDiffTest}.
 */
class FastReaderTest {
  private static Object read(String side, String json) throws Exception {
    return ConverterFixtures.fastReader(side).read(ConverterFixtures.utf8(json));
  }

  private static void unsure(String side, String json) {
    assertThrows(ReadPlan.Unsure.class, () -> read(side, json), json);
  }

  @Test
  void readsAPlainRecord() throws Exception {
    Struct s = (Struct) read("value", ConverterFixtures.VALUE);
    assertEquals(21.5, s.get("value"));
    assertEquals(List.of("site:1", "fw:1.2"), s.get("tags"));
    Struct k = (Struct) read("key", "{\"device_id\":\"3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c\",\"metric_name\":0,"
        + "\"published_at\":1}");
    assertEquals((short) 0, k.get("metric_name"));
  }

  @Test
  void handsOnViolationsRepeatsAndBadJson() throws IOException {
    String v = ConverterFixtures.VALUE;
    unsure("value", v.replace("10,", "11,"));
    unsure("value", v.replace("21.5", "1e999"));
    unsure("value", v.replace("{", "{\"value\":1,"));
    unsure("value", v.replace("\"tags\"", "\"TAGS\""));
    unsure("value", v + "x");
    unsure("value", v.substring(0, v.length() - 1));
    unsure("value", v.replace("1780272000000", "1780272000000.0"));
    unsure("value", v.replace("\"site:1\"", "\"a\\u0000b\""));
  }

  @Test
  void readsEscapesAndNonAsciiThatTheByteScannerHandsOn() throws Exception {
    String v = ConverterFixtures.VALUE.replace("\"site:1\"", "\"\u00e9\\\"\"");
    assertEquals(List.of("\u00e9\"", "fw:1.2"), ((Struct) read("value", v)).get("tags"));
  }
}
