package dev.sluice.connect.converter;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Records for {@link ConverterDiffTest}: producer-like keys and values (the field order and spelling of
 * src/producer/encode.ts), whole-record mutations, every field replaced by edge values of every kind the contract and
 * the parsers care about, and thousands of doubles in three spellings. Seeded: the same corpus on every run.
 */
final class ConverterCorpus {
  /** Replacements for one field's JSON text. */
  static final List<String> EDGES = List.of(
      "null", "true", "\"x\"", "\"\"", "0", "-0", "10", "10.0", "1e1", "1E+1", "-1", "0.5", "40000", "-32769",
      "32768", "253402300799999", "253402300800000", "9223372036854775807", "9223372036854775808", "1e999",
      "-1e999", "1.5e308", "123456789012345678901234567890", "[]", "[\"a\"]", "[\"a\\u0000b\"]", "[\"\\ud800\"]",
      "[\"\\ud83d\\ude00\"]", "{}", tags("\"t\"", 16), tags("\"t\"", 17), "[\"" + "x".repeat(64) + "\"]",
      "[\"" + "x".repeat(65) + "\"]", "[\"" + "\\ud83d\\ude00".repeat(64) + "\"]",
      "\"3F2B6C1E-8A4D-4F7E-9C2A-1B3D5E7F9A0C\"", "\"3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c\"",
      "\"3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0\"", "\"3f2b6c1e\\u002d8a4d-4f7e-9c2a-1b3d5e7f9a0c\"", "[1]", "[null]",
      "01", "NaN", "-0.0", "0.0", "1.", ".5", "+1", "1e", "1e+", "2.5e-3", "0x10", "1_000", "Infinity",
      "123456789012345678", "-123456789012345678", "1234567890123456789", "0.1000000000000000055511151231257827",
      "4.9e-324", "1e-400", "12 ", " 12", "1 2", "[\"a\" , \"b\" ]", "[ ]", "[\"a\",]", "[,\"a\"]", "[\"é\"]",
      "[\"\\u00e9\"]", "[\"a\\\"b\"]", "[\"a\\/b\"]", "[\"tab\there\"]", "[\"\u007f\"]", "[\"" + "é".repeat(64) + "\"]",
      "[\"" + "é".repeat(65) + "\"]", "\"3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c \"",
      "\"3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c", "tru", "nul");

  /** Decimal-to-double rounding cases that trip naive parsers. */
  static final List<String> HARD_DOUBLES = List.of(
      "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9e-324", "2.4703282292062327e-324",
      "2.4703282292062328e-324", "1.7976931348623157e308", "1.7976931348623158e308", "9007199254740993",
      "9007199254740993.0", "0.1", "0.30000000000000004", "1.00000000000000011102230246251565404236316680908203125",
      "123456789012345678901234567890.5", "1e23", "8.41e21", "5e-324", "1e-323", "0.000000000000000000000000000001",
      "3.14159265358979323846264338327950288");

  private static final double[] MIN = {-40, 0, 870, 400, 0, 20};
  private static final double[] SPAN = {125, 100, 214, 4600, 100_000, 110};

  private final Random random;

  ConverterCorpus(long seed) {
    random = new Random(seed);
  }

  private static String tags(String item, int n) {
    return "[" + String.join(",", Collections.nCopies(n, item)) + "]";
  }

  /** {@code count} producer values and their keys: 50 devices, six metric codes, a tick a minute. */
  List<String[]> producerRecords(int count) {
    List<String> devices = new ArrayList<>();
    for (int i = 0; i < 50; i++) devices.add(new UUID(random.nextLong(), random.nextLong()).toString());
    List<String[]> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      int device = k % 50;
      int code = (k / 50) % 6;
      long at = 1_780_272_000_000L + (k / 300) * 60_000L;
      double value = MIN[code] + SPAN[code] * random.nextDouble();
      String id = "\"" + devices.get(device) + "\"";
      String tagList = "[\"site:" + device % 16 + "\",\"fw:1." + device % 4 + "\"]";
      out.add(new String[] {
          "{\"device_id\":" + id + ",\"published_at\":" + at + ",\"metric_name\":" + code * 10 + ",\"value\":"
              + value + ",\"tags\":" + tagList + "}",
          "{\"device_id\":" + id + ",\"metric_name\":" + code * 10 + ",\"published_at\":" + at + "}"});
    }
    return out;
  }

  private static String first(String text, String what, String with) {
    return text.replaceFirst(Pattern.quote(what), Matcher.quoteReplacement(with));
  }

  private static String firstRegex(String text, String regex, String with) {
    return text.replaceFirst(regex, Matcher.quoteReplacement(with));
  }

  /** Whole-record mutations of a valid record's text. */
  List<String> mutateText(String text) {
    int cut = random.nextInt(text.length());
    return List.of(text + " ", text + "x", text + "{}", " " + text, text.substring(0, cut), text.substring(cut),
        text.substring(0, cut) + "\u0000" + text.substring(cut), first(text, "{", "{\"value\":1,"),
        first(text, "{", "{\"unit\":\"C\","), first(text, "{", "{ "), first(text, ",", ", "),
        firstRegex(text, "\"tags\":\\[[^\\]]*\\]", "\"tags\":[]"), firstRegex(text, ",\"tags\":\\[[^\\]]*\\]", ""),
        "[" + text + "]", "", "null", "{}", "\ufeff" + text, text.replaceAll("([{,:\\[])", "$1 "),
        text.replaceAll("([{,:\\[])", "$1\n\t"), "\r\n" + text + "\r\n",
        firstRegex(text, "\"d(\\w+)\":", "\"\\u0064evice_id\":"), first(text, "}", ",}"), first(text, "{", "{,"),
        first(text, ":", "::"), first(text, "\"tags\":[", "\"tags\":[\"é\","),
        first(text, "\"tags\":[", "\"tags\":[\"\\u0041\","));
  }

  /** Every field of a flat record replaced by each edge value, dropped, repeated and misspelt. */
  static List<String> mutateFields(String text) {
    Map<String, String> fields = fieldsOf(text);
    List<String> out = new ArrayList<>();
    for (String f : fields.keySet()) {
      for (String e : EDGES) {
        List<String> parts = new ArrayList<>();
        fields.forEach((k, v) -> parts.add("\"" + k + "\":" + (k.equals(f) ? e : v)));
        out.add("{" + String.join(",", parts) + "}");
      }
      List<String> rest = new ArrayList<>();
      fields.forEach((k, v) -> {
        if (!k.equals(f)) rest.add("\"" + k + "\":" + v);
      });
      out.add("{" + String.join(",", rest) + "}");
      out.add("{\"" + f + "\":" + fields.get(f) + "," + text.substring(1));
      out.add(first(text, "\"" + f + "\"", "\"" + f.toUpperCase(Locale.ROOT) + "\""));
    }
    return out;
  }

  /** The top-level fields of a producer record (plain names; values without top-level commas except in arrays). */
  private static Map<String, String> fieldsOf(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = Pattern.compile("\"(\\w+)\":(\\[[^\\]]*\\]|[^,}]+)").matcher(text);
    while (m.find()) out.put(m.group(1), m.group(2));
    return out;
  }

  /** The hard cases, then finite doubles from random bits, each spelt three ways: shortest, 17 and 20 digits. */
  List<String> doubleTexts(int count) {
    List<String> out = new ArrayList<>(HARD_DOUBLES);
    while (out.size() < count) {
      double x = Double.longBitsToDouble(random.nextLong());
      if (!Double.isFinite(x)) continue;
      out.add(Double.toString(x));
      out.add(new BigDecimal(x).round(new MathContext(17)).toString());
      out.add(new BigDecimal(x).round(new MathContext(20)).toString().replace("E+", "e"));
    }
    return out;
  }

  /** The records, their mutations, the first eight's field mutations and (for values) the doubles. */
  List<String> corpus(List<String> records, boolean values) {
    List<String> out = new ArrayList<>(records);
    for (int i = 0; i < records.size(); i++) {
      out.addAll(mutateText(records.get(i)));
      if (i < 8) out.addAll(mutateFields(records.get(i)));
    }
    if (values) {
      List<String> doubles = doubleTexts(9_000);
      for (int i = 0; i < doubles.size(); i++) {
        out.add(records.get(i % records.size()).replaceFirst("\"value\":[^,]+", "\"value\":" + doubles.get(i)));
      }
    }
    return out;
  }
}
