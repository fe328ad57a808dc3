package dev.sluice.connect;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;

/**
 * The contract converter's fast path: reads a record token by token and builds its Connect value while checking the
 * contract, with no JSON tree in between (the tree and its duplicate-key detection were ~17 % of the worker's CPU
 * samples). It only ever says "valid, here is the value" or "unsure": anything it does not vouch for (a violation,
 * a null, a float where an integer goes, a huge number, an unknown or repeated field, bad JSON, trailing data) makes
 * the converter take the tree path, which decides and names the error. So this class can never accept what the tree
 * path refuses, and the DLQ reasons stay exactly the tree path's.
 */
final class FastReader {
  /** "Take the tree path"; preallocated and without a stack trace, because it is control flow. */
  static final class Unsure extends Exception {
    private Unsure() {
      super(null, null, false, false);
    }
  }

  static final Unsure UNSURE = new Unsure();

  private final JsonFactory factory;
  private final Node root;

  private FastReader(JsonFactory factory, Node root) {
    this.factory = factory;
    this.root = root;
  }

  /** A reader for records of {@code schema} under {@code check}, or null when the pair uses something it does not handle. */
  static FastReader compile(JsonFactory factory, Schema schema, ContractCheck check) {
    Node root = node(schema, check);
    return root == null ? null : new FastReader(factory, root);
  }

  /** The record's Connect value, or {@link #UNSURE}. */
  Object read(byte[] bytes) throws Unsure {
    try (JsonParser p = factory.createParser(bytes)) {
      Object v = root.read(p, p.nextToken());
      if (p.nextToken() != null) throw UNSURE;
      return v;
    } catch (IOException e) {
      throw UNSURE;
    }
  }

  private abstract static class Node {
    abstract Object read(JsonParser p, JsonToken t) throws IOException, Unsure;
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

  private interface LongTo {
    Object apply(long v);
  }

  private static Node integer(ContractCheck c, long lo, long hi, LongTo to) {
    if (!"integer".equals(c.type) && !"number".equals(c.type)) return null;
    long min = c.minimum == null ? lo : Math.max(lo, (long) Math.ceil(c.minimum));
    long max = c.maximum == null ? hi : Math.min(hi, (long) Math.floor(c.maximum));
    double[] allowed = c.enumValues == null ? null : c.enumValues.stream().mapToDouble(e -> e.doubleValue()).toArray();
    return new Node() {
      @Override
      Object read(JsonParser p, JsonToken t) throws IOException, Unsure {
        // Only plain int/long tokens: a float such as 10.0 or a BigInteger is the tree path's to judge.
        if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) throw UNSURE;
        long v = p.getLongValue();
        if (v < min || v > max) throw UNSURE;
        if (allowed != null && !contains(allowed, v)) throw UNSURE;
        return to.apply(v);
      }
    };
  }

  private static boolean contains(double[] allowed, double v) {
    for (double a : allowed) if (a == v) return true;
    return false;
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
    Object read(JsonParser p, JsonToken t) throws IOException, Unsure {
      if (t == JsonToken.VALUE_NUMBER_INT) {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) throw UNSURE;
      } else if (t != JsonToken.VALUE_NUMBER_FLOAT) {
        throw UNSURE;
      }
      double d = p.getDoubleValue();
      if (!Double.isFinite(d) || d < min || d > max) throw UNSURE;
      if (allowed != null && !contains(allowed, d)) throw UNSURE;
      return d;
    }
  }

  private static final class StringNode extends Node {
    private final Predicate<String> pattern;
    private final int minLength;
    private final int maxLength;

    StringNode(ContractCheck c) {
      pattern = c.pattern;
      minLength = c.minLength == null ? 0 : c.minLength;
      maxLength = c.maxLength == null ? Integer.MAX_VALUE : c.maxLength;
    }

    @Override
    Object read(JsonParser p, JsonToken t) throws IOException, Unsure {
      if (t != JsonToken.VALUE_STRING) throw UNSURE;
      String s = p.getText();
      int n = s.length();
      for (int i = 0; i < n; i++) {
        if (Character.isSurrogate(s.charAt(i))) throw UNSURE; // pairs included: the tree path counts code points
      }
      if (n < minLength || n > maxLength) throw UNSURE;
      if (pattern != null && !pattern.test(s)) throw UNSURE;
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
    Object read(JsonParser p, JsonToken t) throws IOException, Unsure {
      if (t != JsonToken.START_ARRAY) throw UNSURE;
      List<Object> out = new ArrayList<>();
      for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
        if (out.size() == maxItems) throw UNSURE;
        out.add(item.read(p, e));
      }
      if (out.size() < minItems) throw UNSURE;
      return out;
    }
  }

  private static final class StructNode extends Node {
    private final Schema schema;
    private final Field[] fields;
    private final Node[] nodes;
    private final Map<String, Integer> index = new HashMap<>();
    private final long requiredMask;

    private StructNode(Schema schema, Field[] fields, Node[] nodes, long requiredMask) {
      this.schema = schema;
      this.fields = fields;
      this.nodes = nodes;
      this.requiredMask = requiredMask;
      for (int i = 0; i < fields.length; i++) index.put(fields[i].name(), i);
    }

    static Node of(Schema s, ContractCheck c) {
      List<Field> fs = s.fields();
      // Every contract field must be a struct field and the other way round, and the object closed: then a field
      // the reader does not know is a violation (the tree path names it), never something to skip.
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

    @Override
    Object read(JsonParser p, JsonToken t) throws IOException, Unsure {
      if (t != JsonToken.START_OBJECT) throw UNSURE;
      Object[] values = new Object[fields.length];
      long seen = 0;
      for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
        Integer i = index.get(p.currentName());
        if (i == null || (seen & (1L << i)) != 0) throw UNSURE; // unknown or repeated
        seen |= 1L << i;
        values[i] = nodes[i].read(p, p.nextToken());
      }
      if ((seen & requiredMask) != requiredMask) throw UNSURE;
      Struct st = new Struct(schema);
      for (int i = 0; i < fields.length; i++) {
        if (values[i] != null) st.put(fields[i], values[i]);
      }
      return st;
    }
  }
}
