package dev.sluice.connect.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The scanner's number reading gives the bits Jackson's tree and Double.parseDouble give. */
class JsonNumbersTest {
  private static double parse(String s) {
    byte[] b = ConverterFixtures.utf8(s);
    return JsonNumbers.parseDouble(b, 0, b.length);
  }

  @Test
  void readsIntegersOfUpTo18Characters() {
    for (String s : List.of("0", "-0", "7", "-123456789012345678", "999999999999999999")) {
      byte[] b = ConverterFixtures.utf8(s);
      assertEquals(Long.parseLong(s), JsonNumbers.parseLong(b, 0, b.length), s);
    }
  }

  @Test
  void numbersOutsideTheFastPathGoToTheFullParser() {
    for (String s : List.of("1e23", "9007199254740993.0", "0.30000000000000004", "1.7976931348623157e308", "5e-324")) {
      byte[] b = ConverterFixtures.utf8(s);
      assertTrue(Double.isNaN(JsonNumbers.exactFast(b, 0, b.length)), s);
      assertEquals(Double.doubleToRawLongBits(Double.parseDouble(s)), Double.doubleToRawLongBits(parse(s)), s);
    }
  }

  @Test
  void theFastDoublePathGivesDoubleParseDoublesBitsOrHandsOver() {
    Random r = new Random(7);
    int fast = 0;
    List<String> fixed = List.of("0.1", "-0.0", "0.0", "9007199254740992.5", "9007199254740993.0", "1e22", "1e23",
        "4.725214233668986", "-4.725214233668986e-22", "123456789012345678.0", "1.7976931348623157e308", "5e-324",
        "0.30000000000000004", "2.5E+3", "1E-0", "00.5");
    List<String> all = new ArrayList<>(fixed);
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
      double d = JsonNumbers.exactFast(bytes, 0, bytes.length);
      if (Double.isNaN(d)) continue;
      fast++;
      assertEquals(Double.doubleToRawLongBits(Double.parseDouble(s)), Double.doubleToRawLongBits(d), s);
    }
    assertTrue(fast > all.size() / 2, "taken by most: " + fast);
  }
}
