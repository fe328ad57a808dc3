package dev.sluice.connect.converter;

import com.fasterxml.jackson.core.io.NumberInput;
import java.nio.charset.StandardCharsets;

/**
 * Reading JSON numbers the byte scanner has checked against JSON's grammar ({@link ByteReader}): exactly the values
 * Jackson and {@link Double#parseDouble} give, without a String or a general parser when the digits allow it.
 */
final class JsonNumbers {
  private JsonNumbers() {}

  /** A checked integer token of at most 18 characters. */
  static long parseLong(byte[] b, int start, int end) {
    boolean neg = b[start] == '-';
    long v = 0;
    for (int j = neg ? start + 1 : start; j < end; j++) v = v * 10 + (b[j] - '0');
    return neg ? -v : v;
  }

  /** A checked number with a fraction or exponent, as Jackson's tree (Double.parseDouble) reads it. */
  static double parseDouble(byte[] b, int start, int end) {
    double d = exactFast(b, start, end);
    if (!Double.isNaN(d)) return d;
    // The grammar was checked, so Java's extra spellings (0x1p3, NaN, 1d) never get here. Jackson's fast parser
    // (FastDoubleParser) is correctly rounded like Double.parseDouble, which the tree path uses: the same double,
    // without the JDK's big-integer arithmetic for 17-digit values (~6 % of the worker's samples).
    return NumberInput.parseDouble(new String(b, start, end - start, StandardCharsets.ISO_8859_1), true);
  }

  /** 10^0 … 10^22: every one exactly a double. */
  private static final double[] POW10 = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
      1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

  /**
   * A checked JSON number with a fraction or exponent, by Clinger's fast path: when its digits make an integer of at
   * most 2^53 and its decimal exponent is within ±22, both are exact doubles and one IEEE multiplication or division
   * rounds their product correctly, so this is the double Double.parseDouble gives. NaN outside that case (more
   * digits, larger exponents): the full parser decides. Most values a producer writes take this path (creating a
   * String for the full parser and running it was ~7 % of the worker's samples).
   */
  static double exactFast(byte[] b, int start, int end) {
    int i = start;
    boolean negative = b[i] == '-';
    if (negative) i++;
    long m = 0;
    int scale = 0;
    boolean fraction = false;
    for (; i < end; i++) {
      byte x = b[i];
      if (x == '.') {
        fraction = true;
        continue;
      }
      if (x == 'e' || x == 'E') break;
      m = m * 10 + (x - '0');
      if (m > (1L << 53)) return Double.NaN;
      if (fraction) scale++;
    }
    int exponent = 0;
    if (i < end) {
      i++; // e or E
      boolean minus = b[i] == '-';
      if (b[i] == '-' || b[i] == '+') i++;
      if (end - i > 3) return Double.NaN;
      for (; i < end; i++) exponent = exponent * 10 + (b[i] - '0');
      if (minus) exponent = -exponent;
    }
    int e = exponent - scale;
    if (e < -22 || e > 22) return Double.NaN;
    double d = e < 0 ? m / POW10[-e] : m * POW10[e];
    return negative ? -d : d;
  }
}
