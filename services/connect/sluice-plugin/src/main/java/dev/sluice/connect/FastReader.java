package dev.sluice.connect;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The contract converter's second reader, for what {@link ByteReader} cannot vouch for (escapes, non-ASCII text,
 * unusual spellings of numbers): reads Jackson's tokens straight into the Connect value by the {@link ReadPlan},
 * checking the contract on the way, with no JSON tree in between (the tree and its duplicate-key detection were
 * ~17 % of the worker's CPU samples). It only ever says "valid, here is the value" or "unsure": anything it does not
 * vouch for (a violation, a null, a float where an integer goes, a huge number, an unknown or repeated field, bad
 * JSON, trailing data) makes the converter take the tree path, which decides and names the error. So this class can
 * never accept what the tree path refuses, and the DLQ reasons stay exactly the tree path's.
 */
final class FastReader {
  /** "Hand the record to the next reader"; preallocated and without a stack trace, because it is control flow. */
  static final class Unsure extends Exception {
    private Unsure() {
      super(null, null, false, false);
    }
  }

  static final Unsure UNSURE = new Unsure();

  private final JsonFactory factory;
  private final ReadPlan root;

  /** {@code factory} must not detect duplicate keys itself: the plan does, by field index. */
  FastReader(JsonFactory factory, ReadPlan root) {
    this.factory = factory;
    this.root = root;
  }

  /** The record's Connect value, or {@link #UNSURE}. */
  Object read(byte[] bytes) throws Unsure {
    try (JsonParser p = factory.createParser(bytes)) {
      Object v = read(p, p.nextToken(), root);
      if (p.nextToken() != null) throw UNSURE;
      return v;
    } catch (IOException e) {
      throw UNSURE;
    }
  }

  private static Object read(JsonParser p, JsonToken t, ReadPlan n) throws IOException, Unsure {
    switch (n.kind) {
      case STRUCT: {
        if (t != JsonToken.START_OBJECT) throw UNSURE;
        Object[] values = new Object[n.fields.length];
        long seen = 0;
        for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
          int k = indexOf(n, p.currentName());
          if (k < 0 || (seen & (1L << k)) != 0) throw UNSURE; // unknown or repeated
          seen |= 1L << k;
          values[k] = read(p, p.nextToken(), n.children[k]);
        }
        Object st = n.struct(values, seen);
        if (st == null) throw UNSURE;
        return st;
      }
      case ARRAY: {
        if (t != JsonToken.START_ARRAY) throw UNSURE;
        List<Object> out = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
          if (out.size() == n.maxItems) throw UNSURE;
          out.add(read(p, e, n.item));
        }
        if (out.size() < n.minItems) throw UNSURE;
        return out;
      }
      case STRING: {
        if (t != JsonToken.VALUE_STRING) throw UNSURE;
        String s = p.getText();
        if (!n.accepts(s)) throw UNSURE;
        return s;
      }
      case INTEGER: {
        // Only plain int/long tokens: a float such as 10.0 or a BigInteger is the tree path's to judge.
        if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) throw UNSURE;
        long v = p.getLongValue();
        if (!n.accepts(v)) throw UNSURE;
        return n.box.apply(v);
      }
      case DOUBLE: {
        if (t == JsonToken.VALUE_NUMBER_INT) {
          if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) throw UNSURE;
        } else if (t != JsonToken.VALUE_NUMBER_FLOAT) {
          throw UNSURE;
        }
        double d = p.getDoubleValue();
        if (!n.accepts(d)) throw UNSURE;
        return d;
      }
      default:
        throw UNSURE;
    }
  }

  private static int indexOf(ReadPlan n, String name) {
    for (int k = 0; k < n.fields.length; k++) if (n.fields[k].name().equals(name)) return k;
    return -1;
  }
}
