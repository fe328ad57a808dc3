package dev.sluice.connect;

import com.fasterxml.jackson.core.io.NumberInput;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;

/**
 * The contract converter's first reader: a scanner over the record's bytes for the plain JSON a well-behaved
 * producer writes (ASCII text without escapes, plain numbers), building the Connect value while checking the
 * contract. A JSON parser per record (its creation, buffer recycling and location tracking) was a third of the
 * worker's CPU samples even without a tree. Like {@link FastReader} it only says "valid, here is the value" or
 * "unsure" ({@link FastReader#UNSURE}): an escape, a byte above 0x7F, a literal, a number it does not read exactly
 * as Jackson would, or anything the contract refuses hands the record to the next reader. So it can never accept
 * what the tree path refuses.
 */
final class ByteReader {
  private final Node root;

  private ByteReader(Node root) {
    this.root = root;
  }

  /** A reader for records of {@code schema} under {@code check}, or null when the pair uses something it does not handle. */
  static ByteReader compile(Schema schema, ContractCheck check) {
    Node root = node(schema, check);
    return root == null ? null : new ByteReader(root);
  }

  /** The record's Connect value, or {@link FastReader#UNSURE}. */
  Object read(byte[] b) throws FastReader.Unsure {
    Cursor c = new Cursor(b);
    c.ws();
    Object v = root.read(c);
    c.ws();
    if (c.i != b.length) throw FastReader.UNSURE;
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

    int peek() throws FastReader.Unsure {
      if (i >= b.length) throw FastReader.UNSURE;
      return b[i];
    }

    void expect(char ch) throws FastReader.Unsure {
      if (i >= b.length || b[i] != ch) throw FastReader.UNSURE;
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
    int stringEnd() throws FastReader.Unsure {
      expect('"');
      for (int j = i; j < b.length; j++) {
        byte x = b[j];
        if (x == '"') return j;
        if (x == '\\' || x < 0x20) throw FastReader.UNSURE; // escapes, controls and bytes >= 0x80 (negative)
      }
      throw FastReader.UNSURE;
    }

    /**
     * The end of a JSON number starting at {@code i}, checked against JSON's grammar
     * ({@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}); sets {@link #integral}.
     */
    int numberEnd() throws FastReader.Unsure {
      int j = i;
      if (j < b.length && b[j] == '-') j++;
      int digits = j;
      while (j < b.length && b[j] >= '0' && b[j] <= '9') j++;
      if (j == digits || (b[digits] == '0' && j - digits > 1)) throw FastReader.UNSURE;
      integral = true;
      if (j < b.length && b[j] == '.') {
        integral = false;
        int f = ++j;
        while (j < b.length && b[j] >= '0' && b[j] <= '9') j++;
        if (j == f) throw FastReader.UNSURE;
      }
      if (j < b.length && (b[j] == 'e' || b[j] == 'E')) {
        integral = false;
        j++;
        if (j < b.length && (b[j] == '+' || b[j] == '-')) j++;
        int e = j;
        while (j < b.length && b[j] >= '0' && b[j] <= '9') j++;
        if (j == e) throw FastReader.UNSURE;
      }
      // What follows must end the token, or the text is not a number JSON has (e.g. 1x, 0x10, 1.5.3).
      if (j < b.length) {
        byte x = b[j];
        if (x != ',' && x != '}' && x != ']' && x != ' ' && x != '\n' && x != '\r' && x != '\t') throw FastReader.UNSURE;
      }
      if (j - i > 100) throw FastReader.UNSURE; // long numbers: Jackson's own limits decide
      return j;
    }
  }

  private abstract static class Node {
    abstract Object read(Cursor c) throws FastReader.Unsure;
  }

  private interface LongTo {
    Object apply(long v);
  }

  private static Node node(Schema s, ContractCheck c) {
    if (c.enumValues != null && !c.enumValues.stream().allMatch(e -> e.isNumber())) return null;
    switch (s.type()) {
      case STRUCT: return "object".equals(c.type) ? StructNode.of(s, c) : null;
      case ARRAY: {
        if (!"array".equals(c.type) || c.items == null) return null;
        Node item = node(s.valueSchema(), c.items);
        return item == null ? null : new ArrayNode(item, c);
      }
      case STRING: return "string".equals(c.type) && c.enumValues == null ? new StringNode(c) : null;
      case INT16: return integer(c, Short.MIN_VALUE, Short.MAX_VALUE, v -> (short) v);
      case INT32: return integer(c, Integer.MIN_VALUE, Integer.MAX_VALUE, v -> (int) v);
      case INT64: return integer(c, Long.MIN_VALUE, Long.MAX_VALUE, Timestamp.LOGICAL_NAME.equals(s.name()) ? Date::new : v -> v);
      case FLOAT64: return "number".equals(c.type) ? new DoubleNode(c) : null;
      default: return null;
    }
  }

  /** A checked integer token of at most 18 characters. */
  private static long parseLong(byte[] b, int start, int end) {
    boolean neg = b[start] == '-';
    long v = 0;
    for (int j = neg ? start + 1 : start; j < end; j++) v = v * 10 + (b[j] - '0');
    return neg ? -v : v;
  }

  private static boolean contains(double[] allowed, double v) {
    for (double a : allowed) if (a == v) return true;
    return false;
  }

  private static Node integer(ContractCheck c, long lo, long hi, LongTo to) {
    if (!"integer".equals(c.type) && !"number".equals(c.type)) return null;
    long min = c.minimum == null ? lo : Math.max(lo, (long) Math.ceil(c.minimum));
    long max = c.maximum == null ? hi : Math.min(hi, (long) Math.floor(c.maximum));
    double[] allowed = c.enumValues == null ? null : c.enumValues.stream().mapToDouble(e -> e.doubleValue()).toArray();
    return new Node() {
      @Override
      Object read(Cursor cur) throws FastReader.Unsure {
        int start = cur.i;
        int end = cur.numberEnd();
        // Plain integers of up to 18 digits only: they cannot overflow a long. Fractions and exponents (10.0, 1e1)
        // are the next reader's to judge.
        if (!cur.integral || end - start > 18) throw FastReader.UNSURE;
        long v = parseLong(cur.b, start, end);
        if (v < min || v > max) throw FastReader.UNSURE;
        if (allowed != null && !contains(allowed, v)) throw FastReader.UNSURE;
        cur.i = end;
        return to.apply(v);
      }
    };
  }

  private static final class DoubleNode extends Node {
    private final double min;
    private final double max;
    private final double[] allowed;

    DoubleNode(ContractCheck c) {
      min = c.minimum == null ? Double.NEGATIVE_INFINITY : c.minimum;
      max = c.maximum == null ? Double.POSITIVE_INFINITY : c.maximum;
      allowed = c.enumValues == null ? null : c.enumValues.stream().mapToDouble(e -> e.doubleValue()).toArray();
    }

    @Override
    Object read(Cursor c) throws FastReader.Unsure {
      int start = c.i;
      int end = c.numberEnd();
      double d;
      if (c.integral) {
        // As Jackson: an integer token is read as a long, then converted (so -0 is 0.0, not -0.0). More than 18
        // characters could overflow: Jackson reads those as BigInteger, the next reader's case.
        if (end - start > 18) throw FastReader.UNSURE;
        d = (double) parseLong(c.b, start, end);
      } else {
        // The grammar was checked above, so Java's extra spellings (0x1p3, NaN, 1d) never get here. Jackson's fast
        // parser (FastDoubleParser) is correctly rounded like Double.parseDouble, which the tree path uses: the same
        // double, without the JDK's big-integer arithmetic for 17-digit values (~6 % of the worker's samples).
        d = NumberInput.parseDouble(new String(c.b, start, end - start, StandardCharsets.ISO_8859_1), true);
      }
      if (!Double.isFinite(d) || d < min || d > max) throw FastReader.UNSURE;
      if (allowed != null && !contains(allowed, d)) throw FastReader.UNSURE;
      c.i = end;
      return d;
    }
  }

  private static final class StringNode extends Node {
    private final Predicate<String> pattern;
    private final boolean uuid;
    private final int minLength;
    private final int maxLength;

    StringNode(ContractCheck c) {
      pattern = c.pattern;
      uuid = ContractCheck.isUuidPattern(c.patternText);
      minLength = c.minLength == null ? 0 : c.minLength;
      maxLength = c.maxLength == null ? Integer.MAX_VALUE : c.maxLength;
    }

    @Override
    Object read(Cursor c) throws FastReader.Unsure {
      int start = c.i + 1;
      int end = c.stringEnd();
      int n = end - start; // ASCII only: bytes are characters are code points
      if (n < minLength || n > maxLength) throw FastReader.UNSURE;
      if (uuid) {
        if (!ContractCheck.isLowercaseUuid(c.b, start, n)) throw FastReader.UNSURE;
      }
      String s = new String(c.b, start, n, StandardCharsets.ISO_8859_1);
      if (!uuid && pattern != null && !pattern.test(s)) throw FastReader.UNSURE;
      c.i = end + 1;
      return s;
    }
  }

  private static final class ArrayNode extends Node {
    private final Node item;
    private final int minItems;
    private final int maxItems;

    ArrayNode(Node item, ContractCheck c) {
      this.item = item;
      minItems = c.minItems == null ? 0 : c.minItems;
      maxItems = c.maxItems == null ? Integer.MAX_VALUE : c.maxItems;
    }

    @Override
    Object read(Cursor c) throws FastReader.Unsure {
      c.expect('[');
      c.ws();
      List<Object> out = new ArrayList<>();
      if (c.peek() == ']') {
        c.i++;
      } else {
        for (;;) {
          if (out.size() == maxItems) throw FastReader.UNSURE;
          out.add(item.read(c));
          c.ws();
          int x = c.peek();
          c.i++;
          if (x == ']') break;
          if (x != ',') throw FastReader.UNSURE;
          c.ws();
        }
      }
      if (out.size() < minItems) throw FastReader.UNSURE;
      return out;
    }
  }

  private static final class StructNode extends Node {
    private final Schema schema;
    private final Field[] fields;
    private final byte[][] names;
    private final Node[] nodes;
    private final long requiredMask;

    private StructNode(Schema schema, Field[] fields, Node[] nodes, long requiredMask) {
      this.schema = schema;
      this.fields = fields;
      this.nodes = nodes;
      this.requiredMask = requiredMask;
      names = new byte[fields.length][];
      for (int i = 0; i < fields.length; i++) names[i] = fields[i].name().getBytes(StandardCharsets.UTF_8);
    }

    static Node of(Schema s, ContractCheck c) {
      List<Field> fs = s.fields();
      // As FastReader: the contract's fields are exactly the struct's and the object is closed.
      if (!c.closed || fs.size() > 63 || fs.size() != c.properties.size()) return null;
      Field[] fields = fs.toArray(Field[]::new);
      Node[] nodes = new Node[fields.length];
      long required = 0;
      for (int i = 0; i < fields.length; i++) {
        ContractCheck fc = c.properties.get(fields[i].name());
        if (fc == null) return null;
        nodes[i] = node(fields[i].schema(), fc);
        if (nodes[i] == null) return null;
        if (c.required.contains(fields[i].name())) required |= 1L << i;
        else if (!fields[i].schema().isOptional()) return null;
      }
      for (String r : c.required) if (s.field(r) == null) return null;
      return new StructNode(s, fields, nodes, required);
    }

    /**
     * The field whose name is the string at the cursor (then past it), or unsure. {@code hint} is tried first:
     * Sluice's producer writes the fields in the schema's order, so the one after the previous field is the next.
     */
    private int field(Cursor c, int hint) throws FastReader.Unsure {
      int start = c.i + 1;
      int end = c.stringEnd();
      int n = end - start;
      for (int t = 0; t < names.length; t++) {
        int k = (hint + t) % names.length;
        byte[] name = names[k];
        if (name.length != n) continue;
        int j = 0;
        while (j < n && name[j] == c.b[start + j]) j++;
        if (j == n) {
          c.i = end + 1;
          return k;
        }
      }
      throw FastReader.UNSURE; // not a field of the contract
    }

    @Override
    Object read(Cursor c) throws FastReader.Unsure {
      c.expect('{');
      Object[] values = new Object[fields.length];
      long seen = 0;
      c.ws();
      if (c.peek() == '}') {
        c.i++;
      } else {
        for (int k = -1;;) {
          k = field(c, k + 1);
          if ((seen & (1L << k)) != 0) throw FastReader.UNSURE; // repeated
          seen |= 1L << k;
          c.ws();
          c.expect(':');
          c.ws();
          values[k] = nodes[k].read(c);
          c.ws();
          int x = c.peek();
          c.i++;
          if (x == '}') break;
          if (x != ',') throw FastReader.UNSURE;
          c.ws();
        }
      }
      if ((seen & requiredMask) != requiredMask) throw FastReader.UNSURE;
      Struct st = new Struct(schema);
      for (int k = 0; k < fields.length; k++) {
        if (values[k] != null) st.put(fields[k], values[k]);
      }
      return st;
    }
  }
}
