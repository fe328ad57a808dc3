package dev.sluice.connect.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import dev.sluice.connect.row.CopyRow;
import dev.sluice.connect.row.RowFixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The converter's fast readers and its JSON tree agree: every record, valid or poison (producer-like records and
 * thousands of mutations of them), gives the same value (same Java types, same double bits) or the same error through
 * the converter with its fast readers as through the tree alone, for the value and the key; and each reader takes
 * records (none of them always hands over).
 */
class ConverterDiffTest {
  private static final Path VECTORS = Path.of(System.getProperty("basedir", ".")).resolve("../../../test/vectors");

  /** One record's outcome through one converter, and which reader took it. */
  private record Outcome(String result, String path) {}

  private static ContractJsonConverter converter(JsonNode config, boolean isKey, boolean fast) {
    return converter(config, isKey, fast, false);
  }

  private static ContractJsonConverter converter(JsonNode config, boolean isKey, boolean fast, boolean rows) {
    ContractJsonConverter c = new ContractJsonConverter();
    c.configure(Map.of(
        ContractJsonConverter.SCHEMA_CONTENT, config.get("schema.content").textValue(),
        ContractJsonConverter.CONTRACT, config.get("contract").textValue(),
        ContractJsonConverter.FAST_PATH, String.valueOf(fast),
        ContractJsonConverter.COPY_ROWS, String.valueOf(rows)), isKey);
    return c;
  }

  private static Outcome run(ContractJsonConverter c, byte[] record) {
    long stream = c.streamReads();
    long tree = c.treeReads();
    String result;
    try {
      SchemaAndValue v = c.toConnectData("t", record);
      result = "ok " + v.value() + " " + describe(v.value());
    } catch (RuntimeException e) {
      result = "err " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    return new Outcome(result, c.treeReads() != tree ? "tree" : c.streamReads() != stream ? "stream" : "bytes");
  }

  /** The Java classes of a struct's values: the same text from a Short and an Integer must not pass as equal. */
  private static String describe(Object v) {
    if (!(v instanceof Struct s)) return v == null ? "null" : v.getClass().getSimpleName();
    StringBuilder b = new StringBuilder("[");
    for (Field f : s.schema().fields()) {
      Object x = s.get(f);
      b.append(f.name()).append(':').append(x == null ? "null" : x.getClass().getSimpleName());
      if (x instanceof Date d) b.append('=').append(d.getTime());
      if (x instanceof Double d) b.append('=').append(Double.doubleToRawLongBits(d));
      if (x instanceof List<?> l) {
        for (Object e : l) b.append(',').append(e == null ? "null" : e.getClass().getSimpleName());
      }
      b.append(' ');
    }
    return b.append(']').toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"value", "key"})
  void bothPathsGiveTheSameValueOrTheSameError(String side) throws IOException {
    JsonNode config = new ObjectMapper().readTree(VECTORS.resolve("contract-schemas.json").toFile()).get(side);
    boolean isKey = side.equals("key");
    ContractJsonConverter fast = converter(config, isKey, true);
    ContractJsonConverter tree = converter(config, isKey, false);
    ConverterCorpus corpus = new ConverterCorpus(side.hashCode());
    List<String> own = corpus.producerRecords(400).stream().map(r -> r[isKey ? 1 : 0]).toList();
    List<String> all = corpus.corpus(own, !isKey);
    List<String> differ = new ArrayList<>();
    List<Outcome> outcomes = new ArrayList<>();
    for (String text : all) {
      byte[] record = text.getBytes(StandardCharsets.UTF_8);
      Outcome f = run(fast, record);
      Outcome t = run(tree, record);
      if (!f.result().equals(t.result())) differ.add(text + "\n  fast: " + f.result() + "\n  tree: " + t.result());
      outcomes.add(new Outcome(t.result(), f.path()));
    }
    assertEquals(List.of(), differ.subList(0, Math.min(5, differ.size())), differ.size() + " records differ");
    // The producer's records all take the byte scanner; the mutants are accepted by each reader, and refused a lot.
    List<Outcome> producer = outcomes.subList(0, own.size());
    assertEquals(List.of(), producer.stream().filter(o -> !o.result().startsWith("ok ") || !o.path().equals("bytes"))
        .toList());
    List<Outcome> mutants = outcomes.subList(own.size(), outcomes.size());
    assertTrue(acceptedBy(mutants, "bytes") > 100, () -> "bytes: " + acceptedBy(mutants, "bytes"));
    assertTrue(acceptedBy(mutants, "stream") > (isKey ? 5 : 50), () -> "stream: " + acceptedBy(mutants, "stream"));
    assertTrue(acceptedBy(mutants, "tree") > 0, "tree");
    assertTrue(mutants.stream().filter(o -> o.result().startsWith("err ")).count() > 1000, "errors");
    if (!isKey) assertTrue(all.size() > 9_000, "the doubles are in the corpus");
  }

  /**
   * With copy.rows, every record the byte scanner takes becomes a row whose bytes are the tree path's struct encoded
   * by the sink's own column encoders, and whose struct is the tree path's; every other record gives the tree path's
   * value or error, as without copy.rows.
   */
  @ParameterizedTest
  @ValueSource(strings = {"value", "key"})
  void copyRowsAreTheTreePathsValueEncodedAsTheSinkWould(String side) throws IOException {
    JsonNode config = new ObjectMapper().readTree(VECTORS.resolve("contract-schemas.json").toFile()).get(side);
    boolean isKey = side.equals("key");
    ContractJsonConverter rows = converter(config, isKey, true, true);
    ContractJsonConverter tree = converter(config, isKey, false);
    ConverterCorpus corpus = new ConverterCorpus(side.hashCode() + 1);
    List<String> own = corpus.producerRecords(400).stream().map(r -> r[isKey ? 1 : 0]).toList();
    List<String> differ = new ArrayList<>();
    int asRows = 0;
    for (String text : corpus.corpus(own, !isKey)) {
      byte[] record = text.getBytes(StandardCharsets.UTF_8);
      Object expected = value(tree, record);
      Object got = value(rows, record);
      if (got instanceof CopyRow r) {
        asRows++;
        boolean same = expected instanceof Struct s
            && Arrays.equals(RowFixtures.bytes(RowFixtures.of(r.layout(), s)), RowFixtures.bytes(r))
            && describe(s).equals(describe(r.toStruct())) && s.equals(r.toStruct());
        if (!same) differ.add(text + "\n  row: " + r + "\n  tree: " + expected);
      } else if (!String.valueOf(got).equals(String.valueOf(expected)) || !describe(got).equals(describe(expected))) {
        differ.add(text + "\n  rows converter: " + got + "\n  tree: " + expected);
      }
    }
    assertEquals(List.of(), differ.subList(0, Math.min(5, differ.size())), differ.size() + " records differ");
    int n = asRows;
    assertTrue(n > own.size() + 100, () -> "rows: " + n);
  }

  /** The converter's value for a record, or its error as text. */
  private static Object value(ContractJsonConverter c, byte[] record) {
    try {
      return c.toConnectData("t", record).value();
    } catch (RuntimeException e) {
      return "err " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  private static long acceptedBy(List<Outcome> outcomes, String path) {
    return outcomes.stream().filter(o -> o.result().startsWith("ok ") && o.path().equals(path)).count();
  }
}
