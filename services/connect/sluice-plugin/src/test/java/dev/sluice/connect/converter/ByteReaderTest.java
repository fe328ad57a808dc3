package dev.sluice.connect.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
  void theFastDoublePathGivesDoubleParseDoublesBitsOrHandsOver() {
    java.util.Random r = new java.util.Random(7);
    int fast = 0;
    List<String> fixed = List.of("0.1", "-0.0", "0.0", "9007199254740992.5", "9007199254740993.0", "1e22", "1e23",
        "4.725214233668986", "-4.725214233668986e-22", "123456789012345678.0", "1.7976931348623157e308", "5e-324",
        "0.30000000000000004", "2.5E+3", "1E-0", "00.5");
    List<String> all = new java.util.ArrayList<>(fixed);
    for (int k = 0; k < 200_000; k++) {
      StringBuilder b = new StringBuilder();
      if (r.nextBoolean()) b.append('-');
      int whole = r.nextInt(8);
      b.append(whole == 0 ? "0" : String.valueOf(1 + r.nextInt(9)));
      for (int i = 1; i < whole; i++) b.append(r.nextInt(10));
      b.append('.');
      for (int i = 0, n = 1 + r.nextInt(17); i < n; i++) b.append(r.nextInt(10));
      if (r.nextInt(3) == 0) b.append(r.nextBoolean() ? 'e' : 'E').append(r.nextBoolean() ? "-" : "").append(r.nextInt(40));
      all.add(b.toString());
    }
    for (String s : all) {
      byte[] bytes = ConverterFixtures.utf8(s);
      double d = ByteReader.exactFast(bytes, 0, bytes.length);
      if (Double.isNaN(d)) continue;
      fast++;
      assertEquals(Double.doubleToRawLongBits(Double.parseDouble(s)), Double.doubleToRawLongBits(d), s);
    }
    assertTrue(fast > all.size() / 2, "taken by most: " + fast);
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
