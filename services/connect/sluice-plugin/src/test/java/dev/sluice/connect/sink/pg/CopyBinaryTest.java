package dev.sluice.connect.sink.pg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * CopyBinary writes, byte for byte, what PostgreSQL 17 itself writes for the same rows (golden files from
 * {@link CopyBinaryGoldenGenerator}, header included: neither side writes a header extension), through
 * {@link PgTable#encode} as the sink does; and refuses what a column cannot hold.
 */
class CopyBinaryTest {
  private static byte[] encode(GoldenRows.Case k) {
    Schema row = SchemaBuilder.struct().field("v", k.schema()).build();
    Struct sample = new Struct(row);
    SinkRecord r = new SinkRecord("t", 0, row, sample, row, sample, 0);
    PgTable t = PgTable.plan("t", new PgSession.Columns("t", Map.of("v", k.typname()), Map.of("v", k.sqlType())), r);
    CopyBinary.Buf b = new CopyBinary.Buf();
    b.header();
    for (GoldenRows.Value v : k.values()) t.encode(b, new Struct(row).put("v", v.java()));
    b.trailer();
    return Arrays.copyOf(b.a, b.n);
  }

  @TestFactory
  Stream<DynamicTest> everyTypeIsEncodedAsPostgresqlEncodesIt() {
    return GoldenRows.cases().stream().map(k -> DynamicTest.dynamicTest(k.typname(), () -> {
      byte[] golden = Files.readAllBytes(GoldenRows.DIR.resolve(k.file()));
      byte[] ours = encode(k);
      HexFormat hex = HexFormat.of();
      assertEquals(hex.formatHex(golden), hex.formatHex(ours), k.typname() + ": " + k.query());
      assertArrayEquals(golden, ours);
    }));
  }

  @Test
  void everyGoldenFileHasItsCase() throws IOException {
    try (Stream<java.nio.file.Path> files = Files.list(GoldenRows.DIR)) {
      List<String> names = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".bin")).sorted().toList();
      assertEquals(GoldenRows.cases().stream().map(GoldenRows.Case::file).sorted().toList(), names);
    }
  }

  @Test
  void valuesAColumnCannotHoldAreRefusedWithTheReason() {
    CopyBinary.Buf b = new CopyBinary.Buf();
    assertTrue(assertThrows(DataException.class, () -> CopyBinary.forType("int2").write(b, 40_000)).getMessage()
        .contains("out of range for int2"));
    assertThrows(DataException.class, () -> CopyBinary.forType("int4").write(b, 1L << 31));
    assertThrows(DataException.class, () -> CopyBinary.forType("int8").write(b, 1.5));
    assertTrue(assertThrows(DataException.class, () -> CopyBinary.forType("uuid").write(b, "nope")).getMessage()
        .contains("not a uuid"));
    assertTrue(assertThrows(DataException.class, () -> CopyBinary.forType("text").write(b, "a\0b")).getMessage()
        .contains("NUL"));
    assertThrows(DataException.class, () -> CopyBinary.forType("_text").write(b, Arrays.asList("a", null)));
    assertThrows(ArithmeticException.class, () -> CopyBinary.forType("timestamptz").write(b, Long.MAX_VALUE));
    assertThrows(DataException.class, () -> CopyBinary.forType("bool").write(b, "true"));
    assertNull(CopyBinary.forType("jsonb"));
  }

  @Test
  void theBufferGrowsAndDropsAHalfWrittenRow() {
    CopyBinary.Buf b = new CopyBinary.Buf();
    b.header();
    int mark = b.n;
    byte[] big = new byte[3 << 20];
    b.bytes(big);
    assertEquals(mark + big.length, b.n);
    b.n = mark;
    b.trailer();
    assertEquals(mark + 2, b.n);
  }
}
