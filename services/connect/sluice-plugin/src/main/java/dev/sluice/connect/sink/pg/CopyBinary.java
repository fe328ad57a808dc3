package dev.sluice.connect.sink.pg;

import dev.sluice.connect.row.CopyRow;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.connect.errors.DataException;

/**
 * PostgreSQL's binary COPY format (https://www.postgresql.org/docs/17/sql-copy.html, "Binary Format"): a growable
 * buffer and one encoder per column type. Binary rows spare PostgreSQL the text parsing of uuids, timestamps and
 * arrays, which is a large share of a text COPY's cost.
 */
public final class CopyBinary {
  private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
  /** pg_type oids of text and varchar: an array names its element type, and PostgreSQL refuses another one. */
  public static final int TEXT_OID = 25;
  private static final int VARCHAR_OID = 1043;

  private CopyBinary() {}

  /** Writes one field value (length prefix included) into the buffer. Throws DataException for a value it cannot hold. */
  public interface Encoder {
    /** Writes {@code v} (not null) into {@code b}. */
    void write(Buf b, Object v);
  }

  /** A growable big-endian byte buffer that can be reset to a mark (to drop a half-written row). */
  public static final class Buf {
    /** The bytes; the first {@link #n} are written. */
    public byte[] a;
    /** Bytes written; set it back to a mark to drop what was written after it. */
    public int n;

    /** A buffer of 1 MiB to start with (a COPY batch). */
    public Buf() {
      this(1 << 20);
    }

    /** A buffer of {@code capacity} bytes to start with; it grows as needed. */
    public Buf(int capacity) {
      a = new byte[capacity];
    }

    /** Starts a COPY stream: resets the buffer and writes the signature and header. */
    public void header() {
      n = 0;
      bytes(HEADER);
    }

    /** Ends a COPY stream. */
    public void trailer() {
      i16(-1);
    }

    private void room(int k) {
      if (n + k > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, n + k));
    }

    public void i16(int v) {
      room(2);
      a[n++] = (byte) (v >>> 8);
      a[n++] = (byte) v;
    }

    public void i32(int v) {
      room(4);
      a[n++] = (byte) (v >>> 24);
      a[n++] = (byte) (v >>> 16);
      a[n++] = (byte) (v >>> 8);
      a[n++] = (byte) v;
    }

    public void i64(long v) {
      i32((int) (v >>> 32));
      i32((int) v);
    }

    public void bytes(byte[] b) {
      bytes(b, 0, b.length);
    }

    public void bytes(byte[] b, int off, int len) {
      room(len);
      System.arraycopy(b, off, a, n, len);
      n += len;
    }

    /** Overwrites the 32-bit value at {@code at} (a length written before its data was known). */
    private void i32At(int at, int v) {
      a[at] = (byte) (v >>> 24);
      a[at + 1] = (byte) (v >>> 16);
      a[at + 2] = (byte) (v >>> 8);
      a[at + 3] = (byte) v;
    }
  }

  /** The encoder for a PostgreSQL type name (pg_type.typname), or null when the type is not supported. */
  public static Encoder forType(String typname) {
    switch (typname) {
      case "uuid": return CopyBinary::uuid;
      case "timestamptz": case "timestamp": return CopyBinary::timestamp;
      case "int2": return (b, v) -> { b.i32(2); b.i16((int) range(v, Short.MIN_VALUE, Short.MAX_VALUE, typname)); };
      case "int4": return (b, v) -> { b.i32(4); b.i32((int) range(v, Integer.MIN_VALUE, Integer.MAX_VALUE, typname)); };
      case "int8": return (b, v) -> { b.i32(8); b.i64(integral(v, typname)); };
      case "float8": return (b, v) -> { b.i32(8); b.i64(Double.doubleToRawLongBits(number(v, typname).doubleValue())); };
      case "float4": return (b, v) -> { b.i32(4); b.i32(Float.floatToRawIntBits(number(v, typname).floatValue())); };
      case "bool": return (b, v) -> { b.i32(1); b.bytes(new byte[] {(byte) (bool(v) ? 1 : 0)}); };
      case "text": case "varchar": return (b, v) -> text(b, v, typname);
      case "_text": return (b, v) -> textArray(b, v, TEXT_OID);
      case "_varchar": return (b, v) -> textArray(b, v, VARCHAR_OID);
      default: return null;
    }
  }

  private static void uuid(Buf b, Object v) {
    UUID u;
    if (v instanceof UUID x) u = x;
    else if (v instanceof String s) {
      try {
        u = UUID.fromString(s);
      } catch (IllegalArgumentException e) {
        throw new DataException("not a uuid: " + s);
      }
    } else throw wrongType(v, "uuid");
    b.i32(16);
    b.i64(u.getMostSignificantBits());
    b.i64(u.getLeastSignificantBits());
  }

  private static void timestamp(Buf b, Object v) {
    long ms;
    if (v instanceof Date d) ms = d.getTime();
    else if (v instanceof Long l) ms = l;
    else throw wrongType(v, "timestamp");
    b.i32(8);
    // Integer microseconds since PostgreSQL's epoch: the same instant whatever the JVM's or the session's zone.
    b.i64(Math.multiplyExact(ms - CopyRow.PG_EPOCH_MS, 1000L));
  }

  private static void text(Buf b, Object v, String typname) {
    if (!(v instanceof String s)) throw wrongType(v, typname);
    byte[] bytes = utf8(s);
    b.i32(bytes.length);
    b.bytes(bytes);
  }

  private static void textArray(Buf b, Object v, int elementOid) {
    if (!(v instanceof List<?> list)) throw wrongType(v, "text[]");
    int at = arrayStart(b, elementOid);
    for (Object e : list) {
      if (!(e instanceof String s)) throw new DataException("text[] element must be a non-null string, got " + describe(e));
      byte[] bytes = utf8(s);
      b.i32(bytes.length);
      b.bytes(bytes);
    }
    arrayEnd(b, at, list.size());
  }

  /**
   * Starts a one-dimensional array without nulls of {@code elementOid}: its elements (each length-prefixed) follow,
   * then {@link #arrayEnd} with the offset this returns.
   */
  public static int arrayStart(Buf b, int elementOid) {
    int at = b.n;
    b.i32(0); // length, patched by arrayEnd
    b.i32(1); // dimensions (0 when empty)
    b.i32(0); // has-null flag: no nulls
    b.i32(elementOid);
    b.i32(0); // element count, patched by arrayEnd
    b.i32(1); // lower bound
    return at;
  }

  /** Ends the array started at {@code at} with {@code count} elements (an empty one has no dimension). */
  public static void arrayEnd(Buf b, int at, int count) {
    if (count == 0) {
      b.n = at + 16;
      b.i32At(at + 4, 0);
    } else {
      b.i32At(at + 16, count);
    }
    b.i32At(at, b.n - at - 4);
  }

  private static byte[] utf8(String s) {
    if (s.indexOf('\0') >= 0) throw new DataException("text contains a NUL character, which PostgreSQL cannot store");
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Number number(Object v, String typname) {
    if (v instanceof Number x) return x;
    throw wrongType(v, typname);
  }

  private static long integral(Object v, String typname) {
    if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long) return ((Number) v).longValue();
    throw wrongType(v, typname);
  }

  private static long range(Object v, long min, long max, String typname) {
    long x = integral(v, typname);
    if (x < min || x > max) throw new DataException(x + " is out of range for " + typname + " (" + min + ".." + max + ")");
    return x;
  }

  private static boolean bool(Object v) {
    if (v instanceof Boolean x) return x;
    throw wrongType(v, "bool");
  }

  private static DataException wrongType(Object v, String typname) {
    return new DataException("a " + typname + " column cannot hold " + describe(v));
  }

  private static String describe(Object v) {
    return v == null ? "null" : v.getClass().getSimpleName() + " " + v;
  }
}
