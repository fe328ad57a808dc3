package dev.sluice.connect.row;

import dev.sluice.connect.sink.pg.CopyBinary;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.connect.data.Struct;

/** CopyRows built from structs by the sink's own column encoders: the oracle the converter's rows are held to. */
public final class RowFixtures {
  private RowFixtures() {}

  /** The row of {@code s} under {@code layout}, encoded field by field by {@link CopyBinary#forType}. */
  public static CopyRow of(RowLayout layout, Struct s) {
    CopyBinary.Buf b = new CopyBinary.Buf(256);
    int[] starts = new int[layout.size()];
    b.i16(layout.size());
    for (int i = 0; i < layout.size(); i++) {
      starts[i] = b.n;
      Object v = s.get(layout.field(i));
      if (v == null) b.i32(-1);
      else CopyBinary.forType(layout.pgType(i)).write(b, v);
    }
    return new CopyRow(layout, Arrays.copyOf(b.a, b.n), starts);
  }

  /** The tuple's bytes. */
  public static byte[] bytes(CopyRow r) {
    byte[] out = new byte[r.length()];
    r.copyTo(out, 0);
    return out;
  }

  /** A layout of {@code s}'s schema with these types. */
  public static RowLayout layout(org.apache.kafka.connect.data.Schema s, String... types) {
    return new RowLayout(s, List.of(types));
  }
}
