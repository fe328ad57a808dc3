package dev.sluice.connect.row;

import dev.sluice.connect.sink.pg.CopyBinary;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * A record value already encoded as one tuple of PostgreSQL's binary COPY format (a 16-bit field count, then per
 * field a 32-bit length, -1 for null, and the bytes): what the contract converter's byte scanner emits with {@code
 * copy.rows=true} instead of a {@link Struct}, so the Sluice sink copies the bytes instead of re-encoding a struct
 * built only to be taken apart again. {@link #get} and {@link #toStruct()} give the exact values the struct would
 * have held (for transforms, other sinks and error messages). Immutable.
 */
public final class CopyRow {
  /** 2000-01-01T00:00:00Z, PostgreSQL's epoch, in Unix milliseconds. */
  public static final long PG_EPOCH_MS = 946_684_800_000L;

  private final RowLayout layout;
  private final byte[] bytes;
  private final int[] starts;

  /** {@code bytes}: the tuple; {@code starts}: the offset of each field's length word in it (not copied: hand over). */
  public CopyRow(RowLayout layout, byte[] bytes, int[] starts) {
    this.layout = layout;
    this.bytes = bytes;
    this.starts = starts;
  }

  /** The Connect schema of a struct or a CopyRow, or null for anything else (the record is then neither). */
  public static Schema schemaOf(Object value) {
    if (value instanceof Struct s) return s.schema();
    if (value instanceof CopyRow r) return r.schema();
    return null;
  }

  /** Field {@code f} of a struct or a CopyRow ({@code f} must be a field of the value's own schema). */
  public static Object valueOf(Object value, Field f) {
    return value instanceof CopyRow r ? r.get(f.index()) : ((Struct) value).get(f);
  }

  /** The layout shared by every row of its converter. */
  public RowLayout layout() {
    return layout;
  }

  /** The Connect schema of the value (as a struct's {@code schema()}). */
  public Schema schema() {
    return layout.schema();
  }

  /** The tuple's length in bytes. */
  public int length() {
    return bytes.length;
  }

  /** Appends the tuple to a COPY stream. */
  public void writeTo(CopyBinary.Buf b) {
    b.bytes(bytes);
  }

  /** Whether field {@code i} of this row and field {@code j} of {@code other} hold the same value (same bytes). */
  public boolean sameValue(int i, CopyRow other, int j) {
    int a = starts[i];
    int b = other.starts[j];
    int len = i32(bytes, a);
    if (len != i32(other.bytes, b)) return false;
    return len < 0 || Arrays.equals(bytes, a + 4, a + 4 + len, other.bytes, b + 4, b + 4 + len);
  }

  /** The value of field {@code name} as a struct would hold it; throws IllegalArgumentException for an unknown field. */
  public Object get(String name) {
    Field f = schema().field(name);
    if (f == null) throw new IllegalArgumentException(name + " is not a field of " + layout);
    return get(f.index());
  }

  /** The value of field {@code i} as a struct would hold it (String, Date, Short, Integer, Long, Double, List). */
  public Object get(int i) {
    int at = starts[i];
    int len = i32(bytes, at);
    if (len < 0) return null;
    at += 4;
    switch (layout.pgType(i)) {
      case "uuid": return new UUID(i64(bytes, at), i64(bytes, at + 8)).toString();
      case "text": return new String(bytes, at, len, StandardCharsets.UTF_8);
      case "int2": return (short) ((bytes[at] << 8) | (bytes[at + 1] & 0xff));
      case "int4": return i32(bytes, at);
      case "int8": return i64(bytes, at);
      case "timestamptz": return new Date(i64(bytes, at) / 1000 + PG_EPOCH_MS);
      case "float8": return Double.longBitsToDouble(i64(bytes, at));
      case "_text": return texts(at);
      default: throw new IllegalStateException("no decoder for " + layout.pgType(i));
    }
  }

  /** A one-dimensional text[] without nulls, as the converter writes it. */
  private List<String> texts(int at) {
    int dims = i32(bytes, at);
    if (dims == 0) return new ArrayList<>();
    int n = i32(bytes, at + 12);
    List<String> out = new ArrayList<>(n);
    int p = at + 20;
    for (int k = 0; k < n; k++) {
      int len = i32(bytes, p);
      out.add(new String(bytes, p + 4, len, StandardCharsets.UTF_8));
      p += 4 + len;
    }
    return out;
  }

  /** The struct the converter would have emitted without {@code copy.rows}. */
  public Struct toStruct() {
    Struct s = new Struct(schema());
    for (int i = 0; i < layout.size(); i++) {
      Object v = get(i);
      if (v != null) s.put(layout.field(i), v);
    }
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CopyRow r && r.layout.schema().equals(layout.schema()) && Arrays.equals(r.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return toStruct().toString();
  }

  private static int i32(byte[] b, int at) {
    return (b[at] << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
  }

  private static long i64(byte[] b, int at) {
    return ((long) i32(b, at) << 32) | (i32(b, at + 4) & 0xffffffffL);
  }
}
