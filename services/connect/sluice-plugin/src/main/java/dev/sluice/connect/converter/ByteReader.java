package dev.sluice.connect.converter;

import com.fasterxml.jackson.core.io.NumberInput;
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
 * reader. So it can never accept what the tree path refuses.
 */
final class ByteReader {
  private final ReadPlan root;

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
      case STRUCT: return struct(c, n);
      case ARRAY: {
        c.expect('[');
        c.ws();
        List<Object> out = new ArrayList<>();
        if (c.peek() == ']') {
          c.i++;
        } else {
          for (;;) {
            if (out.size() == n.maxItems) throw ReadPlan.UNSURE;
            out.add(read(c, n.item));
            c.ws();
            int x = c.peek();
            c.i++;
            if (x == ']') break;
            if (x != ',') throw ReadPlan.UNSURE;
            c.ws();
          }
        }
        if (out.size() < n.minItems) throw ReadPlan.UNSURE;
        return out;
      }
      case STRING: {
        int start = c.i + 1;
        int end = c.stringEnd();
        int len = end - start; // ASCII only: bytes are characters are code points
        if (len < n.minLength || len > n.maxLength) throw ReadPlan.UNSURE;
        if (n.uuid && !ContractCheck.isLowercaseUuid(c.b, start, len)) throw ReadPlan.UNSURE;
        String s = new String(c.b, start, len, StandardCharsets.ISO_8859_1);
        if (!n.uuid && n.pattern != null && !n.pattern.test(s)) throw ReadPlan.UNSURE;
        c.i = end + 1;
        return s;
      }
      case INTEGER: {
        int start = c.i;
        int end = c.numberEnd();
        // Plain integers of up to 18 characters only: they cannot overflow a long. Fractions and exponents (10.0,
        // 1e1) are the next reader's to judge.
        if (!c.integral || end - start > 18) throw ReadPlan.UNSURE;
        long v = parseLong(c.b, start, end);
        if (!n.accepts(v)) throw ReadPlan.UNSURE;
        c.i = end;
        return n.box.apply(v);
      }
      case DOUBLE: {
        int start = c.i;
        int end = c.numberEnd();
        double d;
        if (c.integral) {
          // As Jackson: an integer token is read as a long, then converted (so -0 is 0.0, not -0.0). More than 18
          // characters could overflow: Jackson reads those as BigInteger, the next reader's case.
          if (end - start > 18) throw ReadPlan.UNSURE;
          d = (double) parseLong(c.b, start, end);
        } else {
          // The grammar was checked above, so Java's extra spellings (0x1p3, NaN, 1d) never get here. Jackson's fast
          // parser (FastDoubleParser) is correctly rounded like Double.parseDouble, which the tree path uses: the
          // same double, without the JDK's big-integer arithmetic for 17-digit values (~6 % of the worker's samples).
          d = NumberInput.parseDouble(new String(c.b, start, end - start, StandardCharsets.ISO_8859_1), true);
        }
        if (!n.accepts(d)) throw ReadPlan.UNSURE;
        c.i = end;
        return d;
      }
      default:
        throw ReadPlan.UNSURE;
    }
  }

  private static Object struct(Cursor c, ReadPlan n) throws ReadPlan.Unsure {
    c.expect('{');
    Object[] values = new Object[n.fields.length];
    long seen = 0;
    c.ws();
    if (c.peek() == '}') {
      c.i++;
    } else {
      for (int k = -1;;) {
        k = field(c, n.names, k + 1);
        if ((seen & (1L << k)) != 0) throw ReadPlan.UNSURE; // repeated
        seen |= 1L << k;
        c.ws();
        c.expect(':');
        c.ws();
        values[k] = read(c, n.children[k]);
        c.ws();
        int x = c.peek();
        c.i++;
        if (x == '}') break;
        if (x != ',') throw ReadPlan.UNSURE;
        c.ws();
      }
    }
    Object st = n.struct(values, seen);
    if (st == null) throw ReadPlan.UNSURE;
    return st;
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

  /** A checked integer token of at most 18 characters. */
  private static long parseLong(byte[] b, int start, int end) {
    boolean neg = b[start] == '-';
    long v = 0;
    for (int j = neg ? start + 1 : start; j < end; j++) v = v * 10 + (b[j] - '0');
    return neg ? -v : v;
  }
}
