package dev.sluice.connect.converter;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.json.JsonConverter;

/** The committed converter config (test/vectors/contract-schemas.json), compiled as the converter compiles it. */
final class ConverterFixtures {
  static final Path VECTORS = Path.of(System.getProperty("basedir", ".")).resolve("../../../test/vectors");
  static final ObjectMapper JSON = new ObjectMapper();
  /** A valid value record of the contract. */
  static final String VALUE = "{\"device_id\":\"3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c\",\"published_at\":1780272000000,"
      + "\"metric_name\":10,\"value\":21.5,\"tags\":[\"site:1\",\"fw:1.2\"]}";

  private ConverterFixtures() {}

  /** "schema.content" and "contract" of {@code side} (value or key). */
  static JsonNode config(String side) {
    try {
      return JSON.readTree(VECTORS.resolve("contract-schemas.json").toFile()).get(side);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Map<String, String> props(String side) {
    JsonNode c = config(side);
    return Map.of(ContractJsonConverterConfig.SCHEMA_CONTENT, c.get("schema.content").textValue(),
        ContractJsonConverterConfig.CONTRACT, c.get("contract").textValue());
  }

  static Schema schema(String side) throws IOException {
    JsonConverter j = new JsonConverter();
    j.configure(Map.of("schemas.enable", "false"), side.equals("key"));
    return j.asConnectSchema(JSON.readTree(config(side).get("schema.content").textValue()));
  }

  static ContractCheck check(String side) throws IOException {
    return ContractCheck.compile(JSON.readTree(config(side).get("contract").textValue()));
  }

  static ReadPlan plan(String side) throws IOException {
    return ReadPlan.compile(schema(side), check(side));
  }

  static FastReader fastReader(String side) throws IOException {
    return new FastReader(JsonFactory.builder().disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build(),
        plan(side));
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
