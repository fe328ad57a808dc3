package dev.sluice.connect.converter;

import dev.sluice.connect.row.CopyRow;
import dev.sluice.connect.row.RowBuilder;
import dev.sluice.connect.sink.pg.CopyBinary;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The contract converter's first reader: a scanner over the record's bytes for the plain JSON a well-behaved
 * producer writes (ASCII text without escapes, plain numbers), building the Connect value while checking the
 * contract by the {@link ReadPlan}. A JSON parser per record (its creation, buffer recycling and location
 * tracking) was a third of the worker's CPU samples even without a tree. Like {@link FastReader} it only says
 * "valid, here is the value" or "unsure" ({@link ReadPlan#UNSURE}): an escape, a byte above 0x7F, a literal, a
 * number it does not read exactly as Jackson would, or anything the contract refuses hands the record to the next
 * reader. So it can never accept what the tree path refuses. {@link #row} reads the same way into a binary COPY
 * tuple instead of a struct ({@code copy.rows}).
 */
final class ByteReader {
  private final ReadPlan root;
  private RowBuilder rows;

  ByteReader(ReadPlan root) {
    this.root = root;
  }

  /** The record's Connect value, or {@link ReadPlan#UNSURE}. */
  Object read(byte[] b) throws ReadPlan.Unsure {
    Cursor c = new Cursor(b);
    c.ws();
    Object v = read(c, root);
    c.ws();
    if (c.i != b.length) throw ReadPlan.UNSURE;
    return v;
  }

  /**
   * The record as one binary COPY tuple ({@code copy.rows}; the plan must have a {@link ReadPlan#layout}), or {@link
   * ReadPlan#UNSURE}. Not thread-safe: one {@link RowBuilder} is reused.
   */
  CopyRow row(byte[] b) throws ReadPlan.Unsure {
    Cursor c = new Cursor(b);
    c.ws();
    if (rows == null) rows = new RowBuilder(root.layout);
    rows.reset();
    long seen = fields(c, root, null, rows);
    c.ws();
    if (c.i != b.length || (seen & root.requiredMask) != root.requiredMask) throw ReadPlan.UNSURE;
    return rows.build();
  }

  /** Position in the record; every read past the end is "unsure". */
  private static final class Cursor {
    final byte[] b;
    int i;
    /** Set by {@link #numberEnd}: the number has neither fraction nor exponent. */
    boolean integral;

    Cursor(byte[] b) {
      this.b = b;
    }

    int peek() throws ReadPlan.Unsure {
      if (i >= b.length) throw ReadPlan.UNSURE;
      return b[i];
    }

    void expect(char ch) throws ReadPlan.Unsure {
      if (i >= b.length || b[i] != ch) throw ReadPlan.UNSURE;
      i++;
    }

    void ws() {
      while (i < b.length) {
        byte x = b[i];
        if (x != ' ' && x != '\n' && x != '\r' && x != '\t') return;
        i++;
      }
    }

    /** The bounds of a string's text (after the opening quote): ASCII, no escape, no control character. */
    int stringEnd() throws ReadPlan.Unsure {
      expect('"');
      for (int j = i; j < b.length; j++) {
        byte x = b[j];
        if (x == '"') return j;
        if (x == '\\' || x < 0x20) throw ReadPlan.UNSURE; // escapes, controls and bytes >= 0x80 (negative)
      }
      throw ReadPlan.UNSURE;
    }

    /**
     * The end of a JSON number starting at {@code i}, checked against JSON's grammar
     * ({@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}); sets {@link #integral}.
     */
    int numberEnd() throws ReadPlan.Unsure {
      int j = i;
      if (j < b.length && b[j] == '-') j++;
      int digits = j;
      while (j < b.length && b[j] >= '0' && b[j] <= '9') j++;
      if (j == digits || (b[digits] == '0' && j - digits > 1)) throw ReadPlan.UNSURE;
      integral = true;
      if (j < b.length && b[j] == '.') {
        integral = false;
        int f = ++j;
        while (j < b.length && b[j] >= '0' && b[j] <= '9') j++;
        if (j == f) throw ReadPlan.UNSURE;
      }
      if (j < b.length && (b[j] == 'e' || b[j] == 'E')) {
        integral = false;
        j++;
        if (j < b.length && (b[j] == '+' || b[j] == '-')) j++;
        int e = j;
        while (j < b.length && b[j] >= '0' && b[j] <= '9') j++;
        if (j == e) throw ReadPlan.UNSURE;
      }
      // What follows must end the token, or the text is not a number JSON has (e.g. 1x, 0x10, 1.5.3).
      if (j < b.length) {
        byte x = b[j];
        if (x != ',' && x != '}' && x != ']' && x != ' ' && x != '\n' && x != '\r' && x != '\t') throw ReadPlan.UNSURE;
      }
      if (j - i > 100) throw ReadPlan.UNSURE; // long numbers: Jackson's own limits decide
      return j;
    }
  }

  private static Object read(Cursor c, ReadPlan n) throws ReadPlan.Unsure {
    switch (n.kind) {
      case STRUCT: {
        Object[] values = new Object[n.fields.length];
        Object st = n.struct(values, fields(c, n, values, null));
        if (st == null) throw ReadPlan.UNSURE;
        return st;
      }
      case ARRAY: {
        List<Object> out = new ArrayList<>();
        elements(c, n, out, null);
        return out;
      }
      case STRING: {
        int start = c.i + 1;
        int end = string(c, n);
        String s = new String(c.b, start, end - start, StandardCharsets.ISO_8859_1);
        if (!n.uuid && n.pattern != null && !n.pattern.test(s)) throw ReadPlan.UNSURE;
        c.i = end + 1;
        return s;
      }
      case INTEGER: return n.box.apply(integer(c, n));
      case DOUBLE: return number(c, n);
      default:
        throw ReadPlan.UNSURE;
    }
  }

  /**
   * Encodes one field's value as PostgreSQL's binary COPY does (length word included), for the column type the plan
   * names ({@link ReadPlan#pgType}); the same checks as {@link #read}, without the Java objects.
   */
  private static void encode(Cursor c, ReadPlan n, CopyBinary.Buf b) throws ReadPlan.Unsure {
    switch (n.kind) {
      case ARRAY: {
        int at = CopyBinary.arrayStart(b, CopyBinary.TEXT_OID); // the scanner never reads a null
        CopyBinary.arrayEnd(b, at, elements(c, n, null, b));
        return;
      }
      case STRING: {
        if (n.uuid) {
          uuid(c, n, b);
          return;
        }
        int start = c.i + 1;
        int end = string(c, n);
        if (!n.asciiMatches && !n.pattern.test(new String(c.b, start, end - start, StandardCharsets.ISO_8859_1))) throw ReadPlan.UNSURE;
        b.i32(end - start); // ASCII: the bytes are the UTF-8 text
        b.bytes(c.b, start, end - start);
        c.i = end + 1;
        return;
      }
      case INTEGER: {
        long v = integer(c, n);
        switch (n.pgType) {
          case "int2": b.i32(2); b.i16((int) v); return;
          case "int4": b.i32(4); b.i32((int) v); return;
          case "int8": b.i32(8); b.i64(v); return;
          case "timestamptz": {
            b.i32(8);
            try {
              b.i64(Math.multiplyExact(v - CopyRow.PG_EPOCH_MS, 1000L)); // microseconds since PostgreSQL's epoch
            } catch (ArithmeticException e) {
              throw ReadPlan.UNSURE; // the sink refuses it from the struct, with the reason
            }
            return;
          }
          default: throw ReadPlan.UNSURE;
        }
      }
      case DOUBLE: {
        double d = number(c, n);
        b.i32(8);
        b.i64(Double.doubleToRawLongBits(d));
        return;
      }
      default:
        throw ReadPlan.UNSURE;
    }
  }

  /**
   * Reads a struct's fields: each into {@code values} by index, or (values null) encoded into {@code row}. Returns
   * the mask of the fields seen.
   */
  private static long fields(Cursor c, ReadPlan n, Object[] values, RowBuilder row) throws ReadPlan.Unsure {
    c.expect('{');
    long seen = 0;
    c.ws();
    if (c.peek() == '}') {
      c.i++;
      return seen;
    }
    for (int k = -1;;) {
      k = field(c, n.names, k + 1);
      if ((seen & (1L << k)) != 0) throw ReadPlan.UNSURE; // repeated
      seen |= 1L << k;
      c.ws();
      c.expect(':');
      c.ws();
      if (values != null) {
        values[k] = read(c, n.children[k]);
      } else {
        encode(c, n.children[k], row.open(k));
        row.close(k);
      }
      c.ws();
      int x = c.peek();
      c.i++;
      if (x == '}') return seen;
      if (x != ',') throw ReadPlan.UNSURE;
      c.ws();
    }
  }

  /** Reads an array's items into {@code out}, or (out null) encoded into {@code b}; returns their number. */
  private static int elements(Cursor c, ReadPlan n, List<Object> out, CopyBinary.Buf b) throws ReadPlan.Unsure {
    c.expect('[');
    c.ws();
    int count = 0;
    if (c.peek() == ']') {
      c.i++;
    } else {
      for (;;) {
        if (count == n.maxItems) throw ReadPlan.UNSURE;
        if (out != null) out.add(read(c, n.item));
        else encode(c, n.item, b);
        count++;
        c.ws();
        int x = c.peek();
        c.i++;
        if (x == ']') break;
        if (x != ',') throw ReadPlan.UNSURE;
        c.ws();
      }
    }
    if (count < n.minItems) throw ReadPlan.UNSURE;
    return count;
  }

  /** The end of a string's text (the cursor at its opening quote), checked for length and, for a uuid, its form. */
  private static int string(Cursor c, ReadPlan n) throws ReadPlan.Unsure {
    int start = c.i + 1;
    int end = c.stringEnd();
    int len = end - start; // ASCII only: bytes are characters are code points
    if (len < n.minLength || len > n.maxLength) throw ReadPlan.UNSURE;
    if (n.uuid && !ContractCheck.isLowercaseUuid(c.b, start, len)) throw ReadPlan.UNSURE;
    return end;
  }

  /** An integer the contract accepts (the cursor then past it). */
  private static long integer(Cursor c, ReadPlan n) throws ReadPlan.Unsure {
    int start = c.i;
    int end = c.numberEnd();
    // Plain integers of up to 18 characters only: they cannot overflow a long. Fractions and exponents (10.0,
    // 1e1) are the next reader's to judge.
    if (!c.integral || end - start > 18) throw ReadPlan.UNSURE;
    long v = JsonNumbers.parseLong(c.b, start, end);
    if (!n.accepts(v)) throw ReadPlan.UNSURE;
    c.i = end;
    return v;
  }

  /** A double the contract accepts (the cursor then past it). */
  private static double number(Cursor c, ReadPlan n) throws ReadPlan.Unsure {
    int start = c.i;
    int end = c.numberEnd();
    double d;
    if (c.integral) {
      // As Jackson: an integer token is read as a long, then converted (so -0 is 0.0, not -0.0). More than 18
      // characters could overflow: Jackson reads those as BigInteger, the next reader's case.
      if (end - start > 18) throw ReadPlan.UNSURE;
      d = (double) JsonNumbers.parseLong(c.b, start, end);
    } else {
      d = JsonNumbers.parseDouble(c.b, start, end);
    }
    if (!n.accepts(d)) throw ReadPlan.UNSURE;
    c.i = end;
    return d;
  }

  /**
   * A lowercase uuid string encoded as its 16 bytes, read and checked in one pass (it is in every record, key and
   * value): accepts exactly what {@link #string} with {@link ContractCheck#isLowercaseUuid} accepts.
   */
  private static void uuid(Cursor c, ReadPlan n, CopyBinary.Buf b) throws ReadPlan.Unsure {
    c.expect('"');
    int at = c.i;
    if (at + 36 >= c.b.length || c.b[at + 36] != '"' || 36 < n.minLength || 36 > n.maxLength) throw ReadPlan.UNSURE;
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < 36; i++) {
      if (ContractCheck.isUuidDash(i)) {
        if (c.b[at + i] != '-') throw ReadPlan.UNSURE;
        continue;
      }
      int d = ContractCheck.hexDigit(c.b[at + i]);
      if (d < 0) throw ReadPlan.UNSURE;
      if (i < 18) hi = (hi << 4) | d;
      else lo = (lo << 4) | d;
    }
    b.i32(16);
    b.i64(hi);
    b.i64(lo);
    c.i = at + 37;
  }


  /**
   * The index of the field whose name is the string at the cursor (then past it), or unsure. {@code hint} is tried
   * first: Sluice's producer writes the fields in the schema's order, so the one after the previous field is next.
   */
  private static int field(Cursor c, byte[][] names, int hint) throws ReadPlan.Unsure {
    int start = c.i + 1;
    int end = c.stringEnd();
    int len = end - start;
    for (int t = 0; t < names.length; t++) {
      int k = (hint + t) % names.length;
      byte[] name = names[k];
      if (name.length != len) continue;
      int j = 0;
      while (j < len && name[j] == c.b[start + j]) j++;
      if (j == len) {
        c.i = end + 1;
        return k;
      }
    }
    throw ReadPlan.UNSURE; // not a field of the contract
  }
}
