package dev.sluice.connect.transform;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.connect.row.CopyRow;
import dev.sluice.connect.row.RowFixtures;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class KeyMatchesValueTest {
  private static final Schema KEY = SchemaBuilder.struct().field("id", Schema.STRING_SCHEMA).build();
  private static final Schema VALUE = SchemaBuilder.struct().field("id", Schema.STRING_SCHEMA)
      .field("v", Schema.FLOAT64_SCHEMA).build();
  private final KeyMatchesValue<SinkRecord> smt = new KeyMatchesValue<>();

  private static SinkRecord record(Object key, Object value) {
    return new SinkRecord("t", 0, KEY, key, VALUE, value, 0);
  }

  @Test
  void aRecordWhoseKeyAgreesPassesUnchanged() {
    SinkRecord r = record(new Struct(KEY).put("id", "a"), new Struct(VALUE).put("id", "a").put("v", 1.0));
    assertSame(r, smt.apply(r));
  }

  @Test
  void copyRowsAreComparedWithEachOtherAndWithStructs() {
    Struct key = new Struct(KEY).put("id", "a");
    Struct value = new Struct(VALUE).put("id", "a").put("v", 1.0);
    CopyRow keyRow = RowFixtures.of(RowFixtures.layout(KEY, "text"), key);
    CopyRow valueRow = RowFixtures.of(RowFixtures.layout(VALUE, "text", "float8"), value);
    for (SinkRecord r : List.of(record(keyRow, valueRow), record(key, valueRow), record(keyRow, value))) {
      assertSame(r, smt.apply(r));
    }
    CopyRow otherRow = RowFixtures.of(RowFixtures.layout(VALUE, "text", "float8"), new Struct(VALUE).put("id", "b").put("v", 1.0));
    for (SinkRecord r : List.of(record(keyRow, otherRow), record(key, otherRow))) {
      assertTrue(assertThrows(DataException.class, () -> smt.apply(r)).getMessage()
          .contains("disagree on id: key has a, value has b"));
    }
  }

  @Test
  void disagreementMissingFieldsAndNonStructsAreRefusedWithTheReason() {
    DataException e = assertThrows(DataException.class,
        () -> smt.apply(record(new Struct(KEY).put("id", "a"), new Struct(VALUE).put("id", "b").put("v", 1.0))));
    assertTrue(e.getMessage().contains("disagree on id: key has a, value has b"), e.getMessage());
    Schema other = SchemaBuilder.struct().field("x", Schema.STRING_SCHEMA).build();
    assertTrue(assertThrows(DataException.class, () -> smt.apply(record(new Struct(KEY).put("id", "a"),
        new Struct(other).put("x", "a")))).getMessage().contains("not in the value"));
    assertTrue(assertThrows(DataException.class, () -> smt.apply(record("a", null))).getMessage()
        .contains("String and null"));
  }
}
