package dev.sluice.connect.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Date;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

/** Plans carry exactly the contract's constraints, and shapes the readers cannot check exactly get none. */
class ReadPlanTest {
  @Test
  void theContractsPlanChecksWhatTheContractChecks() throws IOException {
    ReadPlan p = ConverterFixtures.plan("value");
    assertNotNull(p);
    assertEquals(ReadPlan.Kind.STRUCT, p.kind);
    ReadPlan at = p.children[p.schema.field("published_at").index()];
    assertTrue(at.accepts(0L) && at.accepts(253402300799999L));
    assertFalse(at.accepts(-1L) || at.accepts(253402300800000L));
    assertEquals(new Date(5L), at.box.apply(5L));
    ReadPlan code = p.children[p.schema.field("metric_name").index()];
    assertTrue(code.accepts(10L));
    assertFalse(code.accepts(11L));
    assertEquals((short) 20, code.box.apply(20L));
    ReadPlan value = p.children[p.schema.field("value").index()];
    assertTrue(value.accepts(-0.0) && value.accepts(Double.MAX_VALUE));
    assertFalse(value.accepts(Double.NaN) || value.accepts(Double.POSITIVE_INFINITY));
    ReadPlan tag = p.children[p.schema.field("tags").index()].item;
    assertTrue(tag.accepts("x".repeat(64)));
    assertFalse(tag.accepts("x".repeat(65)) || tag.accepts("a\0b") || tag.accepts("\ud83d\ude00"));
  }

  @Test
  void eachFieldNamesTheColumnTypeItsRowBytesAreAndOnlyFlatRowsGetALayout() throws IOException {
    assertEquals("sluice.Metric[uuid, timestamptz, int2, float8, _text]", ConverterFixtures.plan("value").layout.toString());
    assertEquals("sluice.MetricKey[uuid, int2, timestamptz]", ConverterFixtures.plan("key").layout.toString());
    assertTrue(ConverterFixtures.plan("value").children[4].item.asciiMatches, "the tag pattern holds for scanned text");
    ContractCheck nested = ContractCheck.compile(ConverterFixtures.JSON.readTree("{\"type\":\"object\","
        + "\"properties\":{\"a\":{\"type\":\"object\",\"properties\":{\"b\":{\"type\":\"integer\"}},\"required\":[\"b\"],"
        + "\"additionalProperties\":false},\"n\":{\"type\":\"integer\"}},\"required\":[\"a\",\"n\"],\"additionalProperties\":false}"));
    Schema inner = SchemaBuilder.struct().field("b", Schema.INT64_SCHEMA).build();
    ReadPlan p = ReadPlan.compile(SchemaBuilder.struct().field("a", inner).field("n", Schema.INT32_SCHEMA).build(), nested);
    assertNotNull(p, "the readers read it");
    assertNull(p.layout, "a struct in a struct has no column type: structs");
    assertEquals("int8", p.children[0].layout.pgType(0));
  }

  @Test
  void aMissingRequiredFieldMakesNoStruct() throws IOException {
    ReadPlan p = ConverterFixtures.plan("key");
    assertNull(p.struct(new Object[p.fields.length], 0));
  }

  @Test
  void shapesTheReadersDoNotHandleGetNoPlan() throws IOException {
    ContractCheck open = ContractCheck.compile(ConverterFixtures.JSON.readTree(
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}"));
    Schema s = SchemaBuilder.struct().field("a", Schema.STRING_SCHEMA).build();
    assertNull(ReadPlan.compile(s, open), "an object open to other fields");
    ContractCheck strings = ContractCheck.compile(ConverterFixtures.JSON.readTree(
        "{\"type\":\"string\",\"enum\":[\"a\"]}"));
    assertNull(ReadPlan.compile(Schema.STRING_SCHEMA, strings), "a string enum");
    assertNull(ReadPlan.compile(Schema.BOOLEAN_SCHEMA, ContractCheck.compile(ConverterFixtures.JSON.readTree(
        "{\"type\":\"boolean\"}"))), "a type without a reader");
  }
}
