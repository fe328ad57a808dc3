package dev.sluice.connect.row;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

class RowLayoutTest {
  private static final Schema S = SchemaBuilder.struct().name("s").field("a", Schema.INT16_SCHEMA)
      .field("b", Schema.STRING_SCHEMA).build();

  @Test
  void namesEachFieldsTypeInSchemaOrder() {
    RowLayout l = new RowLayout(S, List.of("int2", "text"));
    assertEquals(2, l.size());
    assertEquals("b", l.field(1).name());
    assertEquals("int2", l.pgType(0));
    assertEquals("s[int2, text]", l.toString());
  }

  @Test
  void refusesAWrongCountOrAnUnknownType() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new RowLayout(S, List.of("int2"))).getMessage()
        .contains("one of"));
    assertThrows(IllegalArgumentException.class, () -> new RowLayout(S, List.of("int2", "jsonb")));
  }
}
