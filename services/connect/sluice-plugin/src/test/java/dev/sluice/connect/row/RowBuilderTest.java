package dev.sluice.connect.row;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.connect.sink.pg.CopyBinary;
import java.util.HexFormat;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

/** Fields given in any order come out in schema order, absent ones as null, and nothing of the last record stays. */
class RowBuilderTest {
  private static final Schema S = SchemaBuilder.struct().field("a", Schema.INT16_SCHEMA)
      .field("b", Schema.OPTIONAL_STRING_SCHEMA).field("c", Schema.INT64_SCHEMA).build();
  private static final RowLayout LAYOUT = new RowLayout(S, java.util.List.of("int2", "text", "int8"));

  @Test
  void laysOutFieldsInSchemaOrderWithAbsentOnesNull() {
    RowBuilder b = new RowBuilder(LAYOUT);
    b.reset();
    CopyBinary.forType("text").write(b.open(1), "x");
    b.close(1);
    CopyBinary.forType("int2").write(b.open(0), (short) 3);
    b.close(0);
    b.reset(); // the first record is forgotten
    CopyBinary.forType("int8").write(b.open(2), 9L);
    b.close(2);
    CopyBinary.forType("int2").write(b.open(0), (short) 7);
    b.close(0);
    CopyRow r = b.build();
    assertEquals(new Struct(S).put("a", (short) 7).put("c", 9L), r.toStruct());
    assertEquals("0003" + "00000002" + "0007" + "ffffffff" + "00000008" + "0000000000000009",
        HexFormat.of().formatHex(RowFixtures.bytes(r)));
  }
}
