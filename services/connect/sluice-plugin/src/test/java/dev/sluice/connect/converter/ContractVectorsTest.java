package dev.sluice.connect.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs test/vectors/contract.json (the same file test/unit/contract.test.ts runs through the zod contract and the
 * registry's JSON Schema) through the converter, with its fast readers and with the JSON tree only: every vector must
 * get the verdict the file states (valid, or refused naming that field). The converter config is the committed
 * test/vectors/contract-schemas.json, which the TypeScript test holds equal to what src/contract renders.
 */
class ContractVectorsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path VECTORS = Path.of(System.getProperty("basedir", ".")).resolve("../../../test/vectors");

  private static JsonNode read(String file) throws IOException {
    return JSON.readTree(VECTORS.resolve(file).toFile());
  }

  /** The verdict as the vectors file writes it: "valid", or "refused at FIELD" ($: the record itself). */
  private static String verdict(ContractJsonConverter c, String text) {
    try {
      c.toConnectData("t", text.getBytes(StandardCharsets.UTF_8));
      return "valid";
    } catch (DataException e) {
      String m = e.getMessage();
      String at = "contract violation at ";
      if (!m.startsWith(at) || m.startsWith(at + "the record")) return "refused at $";
      String path = m.substring(at.length());
      int end = 0;
      while (end < path.length() && ".[:".indexOf(path.charAt(end)) < 0) end++;
      return "refused at " + path.substring(0, end);
    }
  }

  private static ContractJsonConverter converter(JsonNode config, boolean isKey, boolean fast) {
    ContractJsonConverter c = new ContractJsonConverter();
    c.configure(Map.of(
        ContractJsonConverter.SCHEMA_CONTENT, config.get("schema.content").textValue(),
        ContractJsonConverter.CONTRACT, config.get("contract").textValue(),
        ContractJsonConverter.FAST_PATH, String.valueOf(fast)), isKey);
    return c;
  }

  @TestFactory
  Stream<DynamicTest> everyVectorGetsTheVerdictTheFileStates() throws IOException {
    JsonNode vectors = read("contract.json");
    JsonNode schemas = read("contract-schemas.json");
    List<DynamicTest> tests = new ArrayList<>();
    for (String side : List.of("value", "key")) {
      for (boolean fast : List.of(true, false)) {
        ContractJsonConverter c = converter(schemas.get(side), side.equals("key"), fast);
        for (JsonNode v : vectors.get(side)) {
          String expected = v.get("valid").booleanValue() ? "valid" : "refused at " + v.get("field").textValue();
          String name = side + (fast ? " (fast readers)" : " (tree only)") + ": " + v.get("name").textValue();
          tests.add(DynamicTest.dynamicTest(name, () -> assertEquals(expected, verdict(c, v.get("json").textValue()), name)));
        }
      }
    }
    return tests.stream();
  }

  @Test
  void theTagPatternLoopMatchesTheRegexItStandsFor() throws IOException {
    JsonNode contract = JSON.readTree(read("contract-schemas.json").get("value").get("contract").textValue());
    String pattern = contract.at("/properties/tags/items/pattern").textValue();
    Predicate<String> loop = ContractCheck.matcherFor(pattern);
    Pattern regex = Pattern.compile(pattern);
    List<String> samples = List.of("", "abc", "a\0b", "\0", "\ud83d\ude00", "x\ud83d", "\ude00\ud83d", "\ud800",
        "\udfff", "\ud83d\ud83d", "é€\uffff", "a\nb", "\ud83d\ude00\ud800");
    for (String s : samples) assertEquals(regex.matcher(s).matches(), loop.test(s), () -> "pattern and loop disagree on " + s);
  }
}
