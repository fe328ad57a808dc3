package dev.sluice.connect.converter;

import java.nio.charset.StandardCharsets;
import dev.sluice.connect.row.RowLayout;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;

/**
 * The contract's constraints on one value and the Connect type it becomes, compiled once for the converter's fast
 * readers ({@link ByteReader}, {@link FastReader}), which both read by the same plan. Only shapes whose every
 * constraint a reader can check exactly get a plan; anything else (no plan) always takes the tree path.
 */
final class ReadPlan {
  /** A reader's "hand the record to the next reader"; preallocated and without a stack trace: it is control flow. */
  static final class Unsure extends Exception {
    private Unsure() {
      super(null, null, false, false);
    }
  }

  static final Unsure UNSURE = new Unsure();

  enum Kind { STRUCT, ARRAY, STRING, INTEGER, DOUBLE }

  final Kind kind;
  // The PostgreSQL type a value is encoded as in a CopyRow (RowLayout.TYPES), or null: not encodable.
  String pgType;
  // STRUCT: the struct's fields with their plans and names, and which are required. Every contract field is a struct
  // field and the object is closed, so a name the plan does not know is a violation, never something to skip.
  Schema schema;
  /** STRUCT: the layout of its CopyRows, or null when a field has no pgType (the struct is then always built). */
  RowLayout layout;
  Field[] fields;
  ReadPlan[] children;
  byte[][] names;
  long requiredMask;
  // ARRAY
  ReadPlan item;
  int minItems;
  int maxItems = Integer.MAX_VALUE;
  // STRING
  Predicate<String> pattern;
  boolean uuid;
  /** The pattern holds for any text the byte scanner reads (ASCII, no control characters), so it need not be tested there. */
  boolean asciiMatches;
  int minLength;
  int maxLength = Integer.MAX_VALUE;
  // INTEGER: bounds at least as strict as the contract's and the Connect type's; the Java value of a long
  long min;
  long max;
  LongFunction<Object> box;
  // DOUBLE
  double low = Double.NEGATIVE_INFINITY;
  double high = Double.POSITIVE_INFINITY;
  // INTEGER and DOUBLE: the contract's enum, when it has one
  double[] allowed;

  private ReadPlan(Kind kind) {
    this.kind = kind;
  }

  /** The plan of values of {@code s} under {@code c}, or null when the pair uses something the readers do not handle. */
  static ReadPlan compile(Schema s, ContractCheck c) {
    if (c.enumValues != null && !c.enumValues.stream().allMatch(e -> e.isNumber())) return null;
    double[] allowed = c.enumValues == null ? null : c.enumValues.stream().mapToDouble(e -> e.doubleValue()).toArray();
    switch (s.type()) {
      case STRUCT:
        return "object".equals(c.type) ? struct(s, c) : null;
      case ARRAY: {
        if (!"array".equals(c.type) || c.items == null) return null;
        ReadPlan item = compile(s.valueSchema(), c.items);
        if (item == null) return null;
        ReadPlan p = new ReadPlan(Kind.ARRAY);
        p.item = item;
        p.pgType = "text".equals(item.pgType) ? "_text" : null;
        if (c.minItems != null) p.minItems = c.minItems;
        if (c.maxItems != null) p.maxItems = c.maxItems;
        return p;
      }
      case STRING: {
        if (!"string".equals(c.type) || allowed != null) return null;
        ReadPlan p = new ReadPlan(Kind.STRING);
        p.pattern = c.pattern;
        p.uuid = ContractCheck.isUuidPattern(c.patternText);
        p.asciiMatches = c.patternText == null || ContractCheck.holdsForScannedAscii(c.patternText);
        p.pgType = p.uuid ? "uuid" : "text";
        if (c.minLength != null) p.minLength = c.minLength;
        if (c.maxLength != null) p.maxLength = c.maxLength;
        return p;
      }
      case INT16: return integer(c, allowed, Short.MIN_VALUE, Short.MAX_VALUE, v -> (short) v, "int2");
      case INT32: return integer(c, allowed, Integer.MIN_VALUE, Integer.MAX_VALUE, v -> (int) v, "int4");
      case INT64: {
        boolean ts = Timestamp.LOGICAL_NAME.equals(s.name());
        return integer(c, allowed, Long.MIN_VALUE, Long.MAX_VALUE, ts ? Date::new : v -> v, ts ? "timestamptz" : "int8");
      }
      case FLOAT64: {
        if (!"number".equals(c.type)) return null;
        ReadPlan p = new ReadPlan(Kind.DOUBLE);
        p.pgType = "float8";
        if (c.minimum != null) p.low = c.minimum;
        if (c.maximum != null) p.high = c.maximum;
        p.allowed = allowed;
        return p;
      }
      default:
        return null;
    }
  }

  private static ReadPlan integer(ContractCheck c, double[] allowed, long lo, long hi, LongFunction<Object> box, String pgType) {
    if (!"integer".equals(c.type) && !"number".equals(c.type)) return null;
    ReadPlan p = new ReadPlan(Kind.INTEGER);
    p.pgType = pgType;
    // Rounded inwards: the tree path compares with the bounds truncated, so these are never looser.
    p.min = c.minimum == null ? lo : Math.max(lo, (long) Math.ceil(c.minimum));
    p.max = c.maximum == null ? hi : Math.min(hi, (long) Math.floor(c.maximum));
    p.box = box;
    p.allowed = allowed;
    return p;
  }

  private static ReadPlan struct(Schema s, ContractCheck c) {
    List<Field> fs = s.fields();
    if (!c.closed || fs.size() > 63 || fs.size() != c.properties.size()) return null;
    ReadPlan p = new ReadPlan(Kind.STRUCT);
    p.schema = s;
    p.fields = fs.toArray(Field[]::new);
    p.children = new ReadPlan[p.fields.length];
    p.names = new byte[p.fields.length][];
    for (int i = 0; i < p.fields.length; i++) {
      ContractCheck fc = c.properties.get(p.fields[i].name());
      if (fc == null) return null;
      p.children[i] = compile(p.fields[i].schema(), fc);
      if (p.children[i] == null) return null;
      p.names[i] = p.fields[i].name().getBytes(StandardCharsets.UTF_8);
      if (c.required.contains(p.fields[i].name())) p.requiredMask |= 1L << i;
      else if (!p.fields[i].schema().isOptional()) return null;
    }
    for (String r : c.required) if (s.field(r) == null) return null;
    List<String> types = Arrays.stream(p.children).map(ch -> ch.pgType).toList();
    p.layout = types.contains(null) ? null : new RowLayout(s, types);
    return p;
  }

  /** Whether an integer read exactly passes the contract; its Java value is {@code box.apply(v)}. */
  boolean accepts(long v) {
    return v >= min && v <= max && (allowed == null || contains(allowed, v));
  }

  /** Whether a double passes the contract (finite, within bounds, in the enum). */
  boolean accepts(double d) {
    return Double.isFinite(d) && d >= low && d <= high && (allowed == null || contains(allowed, d));
  }

  /** Whether a string passes the contract; any surrogate makes it the tree path's (which counts code points). */
  boolean accepts(String s) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      if (Character.isSurrogate(s.charAt(i))) return false;
    }
    if (n < minLength || n > maxLength) return false;
    return pattern == null || pattern.test(s);
  }

  /** The struct of values read by field index (null: absent, allowed only for optional fields), or null when a required field is missing. */
  Struct struct(Object[] values, long seen) {
    if ((seen & requiredMask) != requiredMask) return null;
    Struct st = new Struct(schema);
    for (int k = 0; k < fields.length; k++) {
      if (values[k] != null) st.put(fields[k], values[k]);
    }
    return st;
  }

  private static boolean contains(double[] allowed, double v) {
    for (double a : allowed) if (a == v) return true;
    return false;
  }
}
