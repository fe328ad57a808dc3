package dev.sluice.connect.converter;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.storage.Converter;

/**
 * Reads plain JSON records that must satisfy the metric contract.
 *
 * <p>Config: {@code schema.content} (the Connect schema, as JsonConverter's KIP-1054 option) and {@code contract} (the
 * contract's JSON Schema, the one registered in the schema registry). A record that is not JSON, has duplicate keys,
 * or breaks the contract (wrong type, unknown field, missing field, out-of-range number, bad uuid, NUL in a tag, ...)
 * throws a DataException, so with {@code errors.tolerance=all} it goes to the DLQ with the reason in its headers
 * instead of failing the sink task in PostgreSQL or being silently narrowed (JsonConverter alone reads "hot" as 0.0
 * for a double and 40000 as -25536 for an int16).
 *
 * <p>Three readers, each only for what the one before cannot vouch for: {@link ByteReader} scans the bytes of plain
 * ASCII JSON straight into a Connect struct, checking the contract on the way (nearly every record); {@link
 * FastReader} does the same from Jackson's tokens (escapes, non-ASCII text, unusual numbers); the tree path parses
 * into a JSON tree (with duplicate-key detection), where {@link ContractCheck} names the violation. Every DLQ reason
 * comes from the tree path.
 *
 * <p>With {@code copy.rows=true} the byte scanner's records become {@link dev.sluice.connect.row.CopyRow}s, the
 * value already encoded as a binary COPY tuple, which the Sluice sink copies as it is instead of taking apart a
 * struct built only for it (docs/decisions/copy-rows.md); the other readers still give structs.
 */
public class ContractJsonConverter implements Converter {
  /** See {@link ContractJsonConverterConfig}. */
  public static final String SCHEMA_CONTENT = ContractJsonConverterConfig.SCHEMA_CONTENT;
  public static final String CONTRACT = ContractJsonConverterConfig.CONTRACT;
  public static final String FAST_PATH = ContractJsonConverterConfig.FAST_PATH;
  public static final String COPY_ROWS = ContractJsonConverterConfig.COPY_ROWS;

  private ObjectReader reader;
  private Schema schema;
  private ContractCheck check;
  private ByteReader bytes;
  private boolean rows;
  private FastReader fast;
  private long streamReads;
  private long treeReads;
  private final JsonConverter writer = new JsonConverter();

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    ContractJsonConverterConfig config = new ContractJsonConverterConfig(configs);
    ObjectMapper mapper = new ObjectMapper()
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    reader = mapper.reader();
    // Configured first: asConnectSchema uses the converter's schema cache.
    writer.configure(Map.of("schemas.enable", "false", "converter.type", isKey ? "key" : "value"), isKey);
    try {
      schema = writer.asConnectSchema(mapper.readTree(config.schemaContent));
      check = ContractCheck.compile(mapper.readTree(config.contract));
      // The token reader gets its own factory: the mapper's detects duplicate keys, which the plan does by field index.
      ReadPlan plan = config.fastPath ? ReadPlan.compile(schema, check) : null;
      bytes = plan == null ? null : new ByteReader(plan);
      rows = config.copyRows && plan != null && plan.layout != null;
      fast = plan == null ? null : new FastReader(JsonFactory.builder().disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build(), plan);
    } catch (JsonProcessingException e) {
      throw new DataException("ContractJsonConverter: " + SCHEMA_CONTENT + " or " + CONTRACT + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The converter's settings ({@link ContractJsonConverterConfig}). */
  @Override
  public ConfigDef config() {
    return ContractJsonConverterConfig.CONFIG;
  }

  @Override
  public byte[] fromConnectData(String topic, Schema s, Object value) {
    return writer.fromConnectData(topic, s, value);
  }

  @Override
  public SchemaAndValue toConnectData(String topic, byte[] value) {
    if (value == null) throw new DataException("empty record (tombstone): the metric contract has no deletes");
    if (bytes != null) {
      try {
        return new SchemaAndValue(schema, rows ? bytes.row(value) : bytes.read(value));
      } catch (ReadPlan.Unsure e) {
        // the next reader decides
      }
    }
    if (fast != null) {
      streamReads++;
      try {
        return new SchemaAndValue(schema, fast.read(value));
      } catch (ReadPlan.Unsure e) {
        // the tree path below decides, and names the violation
      }
    }
    treeReads++;
    JsonNode node;
    try {
      node = reader.readTree(value);
    } catch (IOException e) {
      String msg = e instanceof JsonProcessingException ? ((JsonProcessingException) e).getOriginalMessage() : e.getMessage();
      throw new DataException("not JSON: " + msg, e);
    }
    if (node == null || node.isMissingNode()) throw new DataException("not JSON: empty record");
    check.validate(node, "");
    return new SchemaAndValue(schema, convert(schema, node));
  }

  private static Object convert(Schema s, JsonNode n) {
    if (n == null || n.isNull()) {
      if (s.isOptional()) return null;
      throw new DataException("null for a required field of type " + s.type());
    }
    switch (s.type()) {
      case INT8: return (byte) n.intValue();
      case INT16: return (short) n.intValue();
      case INT32: return n.intValue();
      case INT64: return Timestamp.LOGICAL_NAME.equals(s.name()) ? new Date(n.longValue()) : n.longValue();
      case FLOAT32: return n.floatValue();
      case FLOAT64: return n.doubleValue();
      case BOOLEAN: return n.booleanValue();
      case STRING: return n.textValue();
      case ARRAY: {
        List<Object> out = new ArrayList<>(n.size());
        for (JsonNode e : n) out.add(convert(s.valueSchema(), e));
        return out;
      }
      case STRUCT: {
        Struct st = new Struct(s);
        for (Field f : s.fields()) st.put(f, convert(f.schema(), n.get(f.name())));
        return st;
      }
      default:
        throw new DataException("unsupported Connect type in schema.content: " + s.type());
    }
  }

  /** Records handed to Jackson's token reader so far (the byte scanner could not vouch for them). */
  public long streamReads() {
    return streamReads;
  }

  /** Records read through the JSON tree so far (all of them when the fast path is off): poison, mostly. */
  public long treeReads() {
    return treeReads;
  }

  @Override
  public void close() {
    writer.close();
  }
}
