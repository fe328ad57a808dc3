package dev.sluice.connect.converter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.connect.errors.DataException;

/**
 * A JSON Schema (the subset the zod contract renders to: type, properties, required, additionalProperties, enum,
 * pattern, minimum, maximum, minLength, maxLength, minItems, maxItems, items) compiled once into a tree of checks.
 * It is the contract registered in the schema registry, so Connect enforces exactly what the producer enforces.
 * Every failure is a DataException naming the field, what was expected and what was got.
 */
final class ContractCheck {
  // Package-private: FastReader compiles the same constraints into its token checks.
  final String type;
  private final String description;
  final List<JsonNode> enumValues;
  final Predicate<String> pattern;
  final String patternText;
  final Double minimum;
  final Double maximum;
  final Integer minLength;
  final Integer maxLength;
  final Integer minItems;
  final Integer maxItems;
  final ContractCheck items;
  final Map<String, ContractCheck> properties;
  final List<String> required;
  final boolean closed;

  private ContractCheck(JsonNode s) {
    type = s.path("type").asText(null);
    description = s.path("description").asText(null);
    if (s.has("enum")) {
      enumValues = new ArrayList<>();
      s.get("enum").forEach(enumValues::add);
    } else {
      enumValues = null;
    }
    patternText = s.path("pattern").asText(null);
    pattern = patternText == null ? null : matcherFor(patternText);
    minimum = s.has("minimum") ? s.get("minimum").doubleValue() : null;
    maximum = s.has("maximum") ? s.get("maximum").doubleValue() : null;
    minLength = s.has("minLength") ? s.get("minLength").intValue() : null;
    maxLength = s.has("maxLength") ? s.get("maxLength").intValue() : null;
    minItems = s.has("minItems") ? s.get("minItems").intValue() : null;
    maxItems = s.has("maxItems") ? s.get("maxItems").intValue() : null;
    items = s.has("items") ? new ContractCheck(s.get("items")) : null;
    if (s.has("properties")) {
      properties = new HashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = s.get("properties").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        properties.put(e.getKey(), new ContractCheck(e.getValue()));
      }
    } else {
      properties = Map.of();
    }
    required = new ArrayList<>();
    s.path("required").forEach(r -> required.add(r.asText()));
    closed = s.has("additionalProperties") && !s.get("additionalProperties").asBoolean(true);
  }

  /** Compiles a JSON Schema document. */
  static ContractCheck compile(JsonNode schema) {
    return new ContractCheck(schema);
  }

  private static String show(JsonNode n) {
    String s = n.toString();
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  private static String kind(JsonNode n) {
    switch (n.getNodeType()) {
      case NUMBER: return "a number";
      case STRING: return "a string";
      case BOOLEAN: return "a boolean";
      case ARRAY: return "an array";
      case OBJECT: return "an object";
      case NULL: return "null";
      default: return n.getNodeType().toString().toLowerCase();
    }
  }

  private DataException fail(String path, String expected, JsonNode got) {
    String what = description == null ? "" : " (" + description + ")";
    return new DataException("contract violation at " + (path.isEmpty() ? "the record" : path) + ": expected " + expected
        + what + ", got " + (got == null ? "nothing" : kind(got) + " " + show(got)));
  }

  /** Throws a DataException naming the first violation under {@code path}. */
  void validate(JsonNode n, String path) {
    if (n == null || n.isMissingNode()) throw fail(path, "a value", null);
    if (type != null) {
      switch (type) {
        case "object": validateObject(n, path); break;
        case "array": validateArray(n, path); break;
        case "string": validateString(n, path); break;
        case "integer": validateNumber(n, path, true); break;
        case "number": validateNumber(n, path, false); break;
        case "boolean": if (!n.isBoolean()) throw fail(path, "a boolean", n); break;
        default: throw new DataException("contract uses an unsupported type: " + type);
      }
    }
    if (enumValues != null && !inEnum(n)) throw newer(fail(path, "one of " + enumValues, n));
  }

  /**
   * A value or field the connector's contract lacks may belong to a newer contract that producers use before its
   * rollout reached this connector: say how such a record lands (docs/contract.md).
   */
  private static DataException newer(DataException e) {
    return new DataException(e.getMessage() + "; not in the contract this connector runs: if a newer contract has it,"
        + " roll that out (sluice setup), then sluice dlq replay");
  }

  private boolean inEnum(JsonNode n) {
    for (JsonNode e : enumValues) {
      if (e.isNumber() && n.isNumber() ? e.doubleValue() == n.doubleValue() : e.equals(n)) return true;
    }
    return false;
  }

  private void validateObject(JsonNode n, String path) {
    if (!n.isObject()) throw fail(path, "an object", n);
    for (String r : required) {
      if (!n.has(r)) throw new DataException("contract violation at " + join(path, r) + ": required field is missing");
    }
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      ContractCheck c = properties.get(e.getKey());
      if (c == null) {
        if (closed) throw newer(new DataException("contract violation at " + join(path, e.getKey()) + ": not a field of the contract (fields: " + properties.keySet() + ")"));
        continue;
      }
      c.validate(e.getValue(), join(path, e.getKey()));
    }
  }

  private static String join(String path, String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  private void validateArray(JsonNode n, String path) {
    if (!n.isArray()) throw fail(path, "an array", n);
    if (maxItems != null && n.size() > maxItems) throw fail(path, "at most " + maxItems + " items", n);
    if (minItems != null && n.size() < minItems) throw fail(path, "at least " + minItems + " items", n);
    if (items != null) {
      for (int i = 0; i < n.size(); i++) items.validate(n.get(i), path + "[" + i + "]");
    }
  }

  private void validateString(JsonNode n, String path) {
    if (!n.isTextual()) throw fail(path, "a string", n);
    String s = n.textValue();
    // A lone surrogate cannot be encoded as UTF-8: the driver would store '?' instead, i.e. a different value.
    int lone = loneSurrogateAt(s);
    if (lone >= 0) {
      throw fail(path, "well-formed Unicode text (a lone surrogate \\u" + Integer.toHexString(s.charAt(lone)) + " was found)", n);
    }
    int len = s.codePointCount(0, s.length());
    if (maxLength != null && len > maxLength) throw fail(path, "at most " + maxLength + " characters", n);
    if (minLength != null && len < minLength) throw fail(path, "at least " + minLength + " characters", n);
    if (pattern != null && !pattern.test(s)) throw fail(path, "text matching " + patternText, n);
  }

  private static final String UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
  private static final String NO_NUL_PATTERN = "^[^\\u0000]*$";
  /** The contract's tag pattern (src/contract/metric.ts TAG_PATTERN): well-formed Unicode without NUL. */
  private static final String TAG_PATTERN = "^(?:[^\\u0000\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])*$";

  /**
   * The contract's two patterns (a lowercase uuid, text without NUL) as plain loops: a regex per field was the
   * largest single cost of the sink's conversion in a profile. Any other pattern is a regex with JSON Schema's
   * (ECMA-262) anchors: {@code $} is the end of the text, never before a final newline.
   */
  static Predicate<String> matcherFor(String patternText) {
    if (patternText.equals(UUID_PATTERN)) return ContractCheck::isLowercaseUuid;
    if (patternText.equals(NO_NUL_PATTERN)) return s -> s.indexOf('\0') < 0;
    if (patternText.equals(TAG_PATTERN)) return s -> s.indexOf('\0') < 0 && isWellFormed(s);
    Pattern p = Pattern.compile(patternText.endsWith("$") && !patternText.endsWith("\\$") ? patternText.substring(0, patternText.length() - 1) + "\\z" : patternText);
    return s -> p.matcher(s).find();
  }

  /** Whether every surrogate in {@code s} is half of a pair (the text can be encoded as UTF-8). */
  static boolean isWellFormed(String s) {
    return loneSurrogateAt(s) < 0;
  }

  /** Index of the first surrogate that is not half of a pair, or -1. */
  static int loneSurrogateAt(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Whether a pattern holds for every ASCII text without control characters below 0x20, the only text the byte
   * scanner reads: the contract's no-NUL and tag patterns do, so the scanner need not test them.
   */
  static boolean holdsForScannedAscii(String patternText) {
    return NO_NUL_PATTERN.equals(patternText) || TAG_PATTERN.equals(patternText);
  }

  /** Whether a pattern is the contract's lowercase-uuid pattern (which readers may check without a regex). */
  static boolean isUuidPattern(String patternText) {
    return UUID_PATTERN.equals(patternText);
  }

  /** Each lowercase hex digit's value by byte; -1 for any other byte (uppercase too: the contract's uuid is lowercase). */
  private static final int[] HEX = new int[128];

  static {
    Arrays.fill(HEX, -1);
    for (char c = '0'; c <= '9'; c++) HEX[c] = c - '0';
    for (char c = 'a'; c <= 'f'; c++) HEX[c] = c - 'a' + 10;
  }

  /** The value of a lowercase hex digit, or -1. */
  static int hexDigit(byte x) {
    return x < 0 ? -1 : HEX[x];
  }

  /** Whether character {@code i} of a uuid's 36 is a dash (8-4-4-4-12). */
  static boolean isUuidDash(int i) {
    return i == 8 || i == 13 || i == 18 || i == 23;
  }

  /** {@link #isLowercaseUuid(String)} on ASCII bytes (a table lookup per digit: this runs for every record). */
  static boolean isLowercaseUuid(byte[] b, int off, int len) {
    if (len != 36) return false;
    for (int i = 0; i < 36; i++) {
      if (isUuidDash(i) ? b[off + i] != '-' : hexDigit(b[off + i]) < 0) return false;
    }
    return true;
  }

  private static boolean isLowercaseUuid(String s) {
    if (s.length() != 36) return false;
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      if (isUuidDash(i)) {
        if (c != '-') return false;
      } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private void validateNumber(JsonNode n, String path, boolean integer) {
    if (!n.isNumber()) throw fail(path, integer ? "an integer" : "a number", n);
    if (integer) {
      if (!n.canConvertToExactIntegral() || !n.canConvertToLong()) throw fail(path, "an integer", n);
    }
    double d = n.doubleValue();
    if (!Double.isFinite(d)) throw fail(path, "a finite number", n);
    if (minimum != null && (integer ? n.longValue() < minimum.longValue() : d < minimum)) throw fail(path, "a number >= " + fmt(minimum), n);
    if (maximum != null && (integer ? n.longValue() > maximum.longValue() : d > maximum)) throw fail(path, "a number <= " + fmt(maximum), n);
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
