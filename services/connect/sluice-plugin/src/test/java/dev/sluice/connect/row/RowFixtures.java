package dev.sluice.connect.row;

import dev.sluice.connect.sink.pg.CopyBinary;
import java.util.List;
import org.apache.kafka.connect.data.Struct;

/** CopyRows built from structs by the sink's own column encoders: the oracle the converter's rows are held to. */
public final class RowFixtures {
  private RowFixtures() {}

  /** The row of {@code s} under {@code layout}, each field encoded by {@link CopyBinary#forType}. */
  public static CopyRow of(RowLayout layout, Struct s) {
    RowBuilder b = new RowBuilder(layout);
    b.reset();
    for (int i = 0; i < layout.size(); i++) {
      Object v = s.get(layout.field(i));
      if (v == null) continue;
      CopyBinary.forType(layout.pgType(i)).write(b.open(i), v);
      b.close(i);
    }
    return b.build();
  }

  /** The tuple's bytes. */
  public static byte[] bytes(CopyRow r) {
    CopyBinary.Buf b = new CopyBinary.Buf(r.length());
    r.writeTo(b);
    return b.a;
  }

  /** A layout of {@code s}'s schema with these types. */
  public static RowLayout layout(org.apache.kafka.connect.data.Schema s, String... types) {
    return new RowLayout(s, List.of(types));
  }
}
