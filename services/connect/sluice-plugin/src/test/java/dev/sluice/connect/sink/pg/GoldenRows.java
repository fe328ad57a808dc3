package dev.sluice.connect.sink.pg;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Timestamp;

/**
 * The rows of CopyBinary's golden files: per column type, edge values as the sink gets them (Java values of a Connect
 * struct) and as SQL literals of the same values. {@link CopyBinaryGoldenGenerator} asks PostgreSQL for their binary
 * COPY once; {@link CopyBinaryTest} encodes the Java values and compares the bytes.
 */
final class GoldenRows {
  /** Where the golden files live (committed). */
  static final Path DIR = Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/copy-binary");

  /** One value: what the sink is handed, and the SQL literal PostgreSQL reads as the same value. */
  record Value(Object java, String sql) {}

  /** One golden file: a column of {@code sqlType} (pg_type.typname {@code typname}) holding {@code values}. */
  record Case(String typname, String sqlType, Schema schema, List<Value> values) {
    String file() {
      return typname + ".bin";
    }

    /** The query whose COPY output is the golden file: the values in order, one column. */
    String query() {
      List<String> rows = new ArrayList<>();
      for (int i = 0; i < values.size(); i++) rows.add("(" + i + ", (" + values.get(i).sql() + ")::" + sqlType + ")");
      return "SELECT v FROM (VALUES " + String.join(", ", rows) + ") AS x(i, v) ORDER BY i";
    }
  }

  private GoldenRows() {}

  private static Value v(Object java, String sql) {
    return new Value(java, sql);
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static Value text(String s) {
    return v(s, s == null ? "NULL" : quote(s));
  }

  private static Value array(String... items) {
    if (items == null) return v(null, "NULL");
    List<String> sql = Arrays.stream(items).map(GoldenRows::quote).toList();
    return v(List.of(items), "ARRAY[" + String.join(", ", sql) + "]::text[]");
  }

  private static Value dbl(double d) {
    return v(d, "'" + (Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : d) + "'");
  }

  private static Value flt(float f) {
    return v(f, "'" + (Float.isNaN(f) ? "NaN" : Float.isInfinite(f) ? (f > 0 ? "Infinity" : "-Infinity") : f) + "'");
  }

  /** An instant given in UTC (proleptic Gregorian, as both Java and PostgreSQL count), year 0 = 1 BC. */
  private static Value instant(int year, int month, int day, int h, int m, int s, int ms, boolean zone) {
    LocalDateTime t = LocalDateTime.of(year, month, day, h, m, s, ms * 1_000_000);
    String sql = String.format("'%04d-%02d-%02d %02d:%02d:%02d.%03d%s%s'", year <= 0 ? 1 - year : year, month, day,
        h, m, s, ms, zone ? "+00" : "", year <= 0 ? " BC" : "");
    return v(new Date(t.toInstant(ZoneOffset.UTC).toEpochMilli()), sql);
  }

  private static List<Value> instants(boolean zone) {
    return List.of(
        instant(1970, 1, 1, 0, 0, 0, 0, zone), instant(1969, 12, 31, 23, 59, 59, 999, zone),
        instant(2000, 1, 1, 0, 0, 0, 0, zone), instant(1999, 12, 31, 23, 59, 59, 999, zone),
        instant(2026, 6, 1, 12, 34, 56, 789, zone), instant(9999, 12, 31, 23, 59, 59, 999, zone),
        instant(1, 1, 1, 0, 0, 0, 0, zone), instant(-4713, 11, 24, 0, 0, 0, 0, zone),
        instant(294276, 12, 31, 23, 59, 59, 999, zone), v(null, "NULL"));
  }

  private static Schema opt(Schema.Type t) {
    return SchemaBuilder.type(t).optional().build();
  }

  /** Every golden file. */
  static List<Case> cases() {
    Schema strings = SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build();
    String[] sixteen = Collections.nCopies(16, "t").toArray(String[]::new);
    List<Value> arrays = List.of(array(), array("a"), array("", "é", "€", "\ud83d\ude00", "tab\there"),
        array(sixteen), array("x".repeat(64)), array((String[]) null));
    List<Value> texts = List.of(text(""), text("a"), text("é€\ud83d\ude00"), text("tab\t\"quote\\ 'apos'"),
        text("x".repeat(300)), text(null));
    Schema ts = Timestamp.builder().optional().build();
    return List.of(
        new Case("int2", "int2", opt(Schema.Type.INT16), List.of(v(Short.MIN_VALUE, "-32768"), v((short) -1, "-1"),
            v((short) 0, "0"), v((short) 1, "1"), v(Short.MAX_VALUE, "32767"), v(null, "NULL"))),
        new Case("int4", "int4", opt(Schema.Type.INT32), List.of(v(Integer.MIN_VALUE, "-2147483648"),
            v(0, "0"), v(Integer.MAX_VALUE, "2147483647"), v(null, "NULL"))),
        new Case("int8", "int8", opt(Schema.Type.INT64), List.of(v(Long.MIN_VALUE, "-9223372036854775808"),
            v(-1L, "-1"), v(0L, "0"), v(Long.MAX_VALUE, "9223372036854775807"), v(null, "NULL"))),
        new Case("float8", "float8", opt(Schema.Type.FLOAT64), List.of(dbl(0.0), dbl(-0.0), dbl(1.5), dbl(0.1),
            dbl(-2.2250738585072014E-308), dbl(Double.MIN_VALUE), dbl(Double.MAX_VALUE), dbl(-Double.MAX_VALUE),
            dbl(Double.NaN), dbl(Double.POSITIVE_INFINITY), dbl(Double.NEGATIVE_INFINITY), v(null, "NULL"))),
        new Case("float4", "float4", opt(Schema.Type.FLOAT32), List.of(flt(0f), flt(-0f), flt(1.5f),
            flt(Float.MIN_VALUE), flt(Float.MAX_VALUE), flt(Float.NaN), flt(Float.POSITIVE_INFINITY),
            flt(Float.NEGATIVE_INFINITY), v(null, "NULL"))),
        new Case("bool", "bool", opt(Schema.Type.BOOLEAN), List.of(v(true, "true"), v(false, "false"),
            v(null, "NULL"))),
        new Case("text", "text", opt(Schema.Type.STRING), texts),
        new Case("varchar", "varchar", opt(Schema.Type.STRING), texts),
        new Case("_text", "text[]", strings, arrays),
        new Case("_varchar", "varchar[]", strings, arrays),
        new Case("uuid", "uuid", opt(Schema.Type.STRING), List.of(text("00000000-0000-0000-0000-000000000000"),
            text("ffffffff-ffff-ffff-ffff-ffffffffffff"), text("3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c"),
            text(null))),
        new Case("timestamptz", "timestamptz", ts, instants(true)),
        new Case("timestamp", "timestamp", ts, instants(false)));
  }
}
