package dev.sluice.connect.row;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.junit.jupiter.api.Test;

/** A row gives back exactly the struct it was encoded from, whatever the field types. */
class CopyRowTest {
  private static final Schema S = SchemaBuilder.struct().name("m")
      .field("id", Schema.STRING_SCHEMA)
      .field("at", Timestamp.SCHEMA)
      .field("code", Schema.INT16_SCHEMA)
      .field("n", Schema.OPTIONAL_INT32_SCHEMA)
      .field("big", Schema.INT64_SCHEMA)
      .field("v", Schema.FLOAT64_SCHEMA)
      .field("label", Schema.STRING_SCHEMA)
      .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
      .build();
  private static final RowLayout LAYOUT = RowFixtures.layout(S, "uuid", "timestamptz", "int2", "int4", "int8",
      "float8", "text", "_text");

  private static Struct struct(String id, List<String> tags) {
    return new Struct(S).put("id", id).put("at", new Date(1_780_272_000_123L)).put("code", (short) -7)
        .put("big", Long.MIN_VALUE).put("v", -0.0).put("label", "héllo").put("tags", tags);
  }

  @Test
  void givesBackTheStructItWasEncodedFrom() {
    for (List<String> tags : List.<List<String>>of(List.of(), List.of("a"), List.of("x:1", "", "ünï"))) {
      Struct s = struct("3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c", new ArrayList<>(tags));
      CopyRow r = RowFixtures.of(LAYOUT, s);
      assertEquals(s, r.toStruct());
      assertEquals(s.toString(), r.toString());
      assertNull(r.get("n"), "a null field");
      assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) r.get("v")));
      assertEquals((short) -7, r.get(2));
    }
    assertEquals("00000000-0000-0000-0000-000000000000",
        RowFixtures.of(LAYOUT, struct("00000000-0000-0000-0000-000000000000", List.of())).get("id"));
    assertThrows(IllegalArgumentException.class, () -> RowFixtures.of(LAYOUT, struct("3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c", List.of())).get("nope"));
  }

  @Test
  void comparesFieldsAndRowsByTheirBytes() {
    CopyRow a = RowFixtures.of(LAYOUT, struct("3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c", List.of("t")));
    CopyRow b = RowFixtures.of(LAYOUT, struct("3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0d", List.of("t")));
    assertTrue(a.sameValue(1, b, 1));
    assertFalse(a.sameValue(0, b, 0));
    assertTrue(a.sameValue(3, b, 3), "both null");
    assertFalse(a.sameValue(3, b, 2), "null and a value");
    assertEquals(a, RowFixtures.of(LAYOUT, struct("3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c", List.of("t"))));
    assertEquals(a.hashCode(), RowFixtures.of(LAYOUT, struct("3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c", List.of("t"))).hashCode());
    assertNotEquals(a, b);
  }

  @Test
  void structsAndRowsAreReadAlike() {
    Struct s = struct("3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c", List.of("t"));
    CopyRow r = RowFixtures.of(LAYOUT, s);
    assertEquals(S, CopyRow.schemaOf(s));
    assertEquals(S, CopyRow.schemaOf(r));
    assertNull(CopyRow.schemaOf("text"));
    assertEquals(CopyRow.valueOf(s, S.field("at")), CopyRow.valueOf(r, S.field("at")));
  }
}
