package dev.sluice.connect.converter;

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
  private final JsonFactory factory;
  private final ReadPlan root;

  /** {@code factory} must not detect duplicate keys itself: the plan does, by field index. */
  FastReader(JsonFactory factory, ReadPlan root) {
    this.factory = factory;
    this.root = root;
  }

  /** The record's Connect value, or {@link ReadPlan#UNSURE}. */
  Object read(byte[] bytes) throws ReadPlan.Unsure {
    try (JsonParser p = factory.createParser(bytes)) {
      Object v = read(p, p.nextToken(), root);
      if (p.nextToken() != null) throw ReadPlan.UNSURE;
      return v;
    } catch (IOException e) {
      throw ReadPlan.UNSURE;
    }
  }

  private static Object read(JsonParser p, JsonToken t, ReadPlan n) throws IOException, ReadPlan.Unsure {
    switch (n.kind) {
      case STRUCT: {
        if (t != JsonToken.START_OBJECT) throw ReadPlan.UNSURE;
        Object[] values = new Object[n.fields.length];
        long seen = 0;
        for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
          int k = indexOf(n, p.currentName());
          if (k < 0 || (seen & (1L << k)) != 0) throw ReadPlan.UNSURE; // unknown or repeated
          seen |= 1L << k;
          values[k] = read(p, p.nextToken(), n.children[k]);
        }
        Object st = n.struct(values, seen);
        if (st == null) throw ReadPlan.UNSURE;
        return st;
      }
      case ARRAY: {
        if (t != JsonToken.START_ARRAY) throw ReadPlan.UNSURE;
        List<Object> out = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
          if (out.size() == n.maxItems) throw ReadPlan.UNSURE;
          out.add(read(p, e, n.item));
        }
        if (out.size() < n.minItems) throw ReadPlan.UNSURE;
        return out;
      }
      case STRING: {
        if (t != JsonToken.VALUE_STRING) throw ReadPlan.UNSURE;
        String s = p.getText();
        if (!n.accepts(s)) throw ReadPlan.UNSURE;
        return s;
      }
      case INTEGER: {
        // Only plain int/long tokens: a float such as 10.0 or a BigInteger is the tree path's to judge.
        if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) throw ReadPlan.UNSURE;
        long v = p.getLongValue();
        if (!n.accepts(v)) throw ReadPlan.UNSURE;
        return n.box.apply(v);
      }
      case DOUBLE: {
        if (t == JsonToken.VALUE_NUMBER_INT) {
          if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) throw ReadPlan.UNSURE;
        } else if (t != JsonToken.VALUE_NUMBER_FLOAT) {
          throw ReadPlan.UNSURE;
        }
        double d = p.getDoubleValue();
        if (!n.accepts(d)) throw ReadPlan.UNSURE;
        return d;
      }
      default:
        throw ReadPlan.UNSURE;
    }
  }

  private static int indexOf(ReadPlan n, String name) {
    for (int k = 0; k < n.fields.length; k++) if (n.fields[k].name().equals(name)) return k;
    return -1;
  }
}
