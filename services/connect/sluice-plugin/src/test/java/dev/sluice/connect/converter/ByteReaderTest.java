package dev.sluice.connect.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import dev.sluice.connect.row.CopyRow;
import dev.sluice.connect.row.RowFixtures;
import java.util.HexFormat;
import java.util.List;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

/**
 * What ByteReader vouches for and what it hands on ("unsure"); that it never disagrees with the tree is
 * {@link ConverterDiffTest}.
 */
class ByteReaderTest {
  private static Object read(String side, String json) throws Exception {
    return new ByteReader(ConverterFixtures.plan(side)).read(ConverterFixtures.utf8(json));
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
  void encodesAPlainRecordAsTheSinkWouldEncodeItsStruct() throws Exception {
    ReadPlan plan = ConverterFixtures.plan("value");
    ByteReader reader = new ByteReader(plan);
    for (String json : List.of(ConverterFixtures.VALUE, ConverterFixtures.VALUE.replace("[\"site:1\",\"fw:1.2\"]", "[ ]"),
        ConverterFixtures.VALUE.replace("21.5", "-0"), ConverterFixtures.VALUE.replace("1780272000000", "0"))) {
      Struct s = (Struct) reader.read(ConverterFixtures.utf8(json));
      CopyRow r = reader.row(ConverterFixtures.utf8(json));
      assertEquals(HexFormat.of().formatHex(RowFixtures.bytes(RowFixtures.of(plan.layout, s))),
          HexFormat.of().formatHex(RowFixtures.bytes(r)), json);
      assertEquals(s, r.toStruct());
    }
    assertEquals("sluice.Metric[uuid, timestamptz, int2, float8, _text]", plan.layout.toString());
    assertThrows(ReadPlan.Unsure.class, () -> reader.row(ConverterFixtures.utf8(ConverterFixtures.VALUE.replace("10,", "11,"))));
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
  void handsOnWhatOnlyAParserReadsExactly() {
    String v = ConverterFixtures.VALUE;
    unsure("value", v.replace("\"site:1\"", "\"\u00e9\""));
    unsure("value", v.replace("\"site:1\"", "\"a\\\"b\""));
  }
}
