package dev.sluice.connect.sink.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.connect.row.CopyRow;
import dev.sluice.connect.row.RowFixtures;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

/** The SQL a table is written with, and the checks of the record shape against its columns. */
class PgTableTest {
  private static final Schema KEY = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).build();
  private static final Schema VALUE = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA)
      .field("we\"ird", Schema.OPTIONAL_STRING_SCHEMA).build();
  private static final PgSession.Columns COLUMNS = new PgSession.Columns("public.t",
      Map.of("id", "int8", "we\"ird", "varchar", "extra", "int4"),
      Map.of("id", "bigint", "we\"ird", "character varying(10)", "extra", "integer"));

  private static SinkRecord record(Schema value, Object v) {
    return new SinkRecord("t", 0, KEY, new Struct(KEY).put("id", 1L), value, v, 0);
  }

  @Test
  void writesTheValueFieldsAndConflictsOnTheKey() {
    PgTable t = PgTable.plan("t", COLUMNS, record(VALUE, new Struct(VALUE).put("id", 1L)));
    assertEquals("public.t", t.name);
    assertEquals("\"id\", \"we\"\"ird\"", t.columnList);
    assertEquals("\"id\"", t.keyList);
    assertEquals("COPY public.t (\"id\", \"we\"\"ird\") FROM STDIN (FORMAT binary)", t.copyInto);
    assertTrue(t.createStage.matches("CREATE TEMP TABLE IF NOT EXISTS \"sluice_stage_[0-9a-f]+\" \\(\"id\" bigint, "
        + "\"we\"\"ird\" character varying\\(10\\)\\) ON COMMIT DELETE ROWS"), t.createStage);
    assertTrue(t.moveStage.endsWith("ON CONFLICT (\"id\") DO UPDATE SET \"we\"\"ird\" = EXCLUDED.\"we\"\"ird\" "
        + "WHERE (t.\"we\"\"ird\") IS DISTINCT FROM (EXCLUDED.\"we\"\"ird\")"), t.moveStage);
    assertEquals(List.of(7L), t.keyOf(new Struct(VALUE).put("id", 7L).put("we\"ird", "x")));
  }

  @Test
  void aTableOfKeyColumnsOnlyIgnoresRepeats() {
    PgTable t = PgTable.plan("t", COLUMNS, record(KEY, new Struct(KEY).put("id", 1L)));
    assertTrue(t.moveStage.endsWith("ON CONFLICT (\"id\") DO NOTHING"), t.moveStage);
  }

  @Test
  void aNullIsWrittenAsNullAndAStructOfAnotherSchemaByName() {
    PgTable t = PgTable.plan("t", COLUMNS, record(VALUE, new Struct(VALUE).put("id", 1L)));
    Schema same = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA)
        .field("we\"ird", Schema.OPTIONAL_STRING_SCHEMA).build();
    CopyBinary.Buf a = new CopyBinary.Buf();
    CopyBinary.Buf b = new CopyBinary.Buf();
    t.encode(a, new Struct(VALUE).put("id", 1L));
    t.encode(b, new Struct(same).put("id", 1L));
    assertEquals(2 + 4 + 8 + 4, a.n);
    assertEquals(List.of(0, 2, 0, 0, 0, 8), List.of(a.a[0], a.a[1], a.a[2], a.a[3], a.a[4], a.a[5]).stream()
        .map(Byte::intValue).toList());
    assertEquals(-1, a.a[14]);
    assertEquals(java.util.HexFormat.of().formatHex(a.a, 0, a.n), java.util.HexFormat.of().formatHex(b.a, 0, b.n));
  }

  @Test
  void aCopyRowIsCopiedWhenItsTypesAreTheColumnsAndEncodedFromItsStructOtherwise() {
    Struct v = new Struct(VALUE).put("id", 7L).put("we\"ird", "x");
    CopyRow row = RowFixtures.of(RowFixtures.layout(VALUE, "int8", "text"), v);
    PgTable t = PgTable.plan("t", COLUMNS, record(VALUE, row));
    assertEquals(hex(t, v), hex(t, row));
    assertEquals(t.keyOf(v), t.keyOf(row));
    // An int32 field's int4 bytes do not fit the int8 column: the row is encoded from its struct.
    Schema narrow = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).field("we\"ird", Schema.OPTIONAL_STRING_SCHEMA).build();
    Struct n = new Struct(narrow).put("id", 7);
    CopyRow narrowRow = RowFixtures.of(RowFixtures.layout(narrow, "int4", "text"), n);
    PgTable t2 = PgTable.plan("t", COLUMNS, record(narrow, narrowRow));
    assertEquals(hex(t2, n), hex(t2, narrowRow));
    assertEquals(2 + 4 + 8 + 4, hex(t2, narrowRow).length() / 2, "8 bytes for the int8 column");
  }

  private static String hex(PgTable t, Object value) {
    CopyBinary.Buf b = new CopyBinary.Buf(64);
    t.encode(b, value);
    return java.util.HexFormat.of().formatHex(b.a, 0, b.n);
  }

  @Test
  void refusesWhatTheTableCannotTakeWithTheFix() {
    Struct v = new Struct(VALUE).put("id", 1L);
    assertTrue(assertThrows(ConnectException.class, () -> PgTable.plan("u", null, record(VALUE, v))).getMessage()
        .contains("sluice db migrate"));
    Schema extra = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).field("nope", Schema.STRING_SCHEMA).build();
    assertTrue(assertThrows(ConnectException.class, () -> PgTable.plan("t", COLUMNS,
        record(extra, new Struct(extra).put("id", 1L).put("nope", "x")))).getMessage().contains("has no column"));
    PgSession.Columns json = new PgSession.Columns("t", Map.of("id", "int8", "we\"ird", "jsonb"), Map.of());
    assertTrue(assertThrows(ConnectException.class, () -> PgTable.plan("t", json, record(VALUE, v))).getMessage()
        .contains("cannot write"));
    SinkRecord raw = new SinkRecord("t", 0, null, "k", null, "v", 0);
    assertTrue(assertThrows(ConnectException.class, () -> PgTable.plan("t", COLUMNS, raw)).getMessage()
        .contains("ContractJsonConverter"));
  }
}
