package dev.sluice.connect.row;

import dev.sluice.connect.sink.pg.CopyBinary;
import java.util.Arrays;

/**
 * Builds {@link CopyRow}s from fields encoded in the order a record brings them (JSON's, not the schema's): each
 * field's bytes go into one scratch buffer between {@link #open} and {@link #close}, and {@link #build} lays them out
 * in schema order, absent fields as null. Reused for every record; not thread-safe.
 */
public final class RowBuilder {
  private final RowLayout layout;
  private final CopyBinary.Buf buf = new CopyBinary.Buf(4096);
  private final int[] from;
  private final int[] to;

  public RowBuilder(RowLayout layout) {
    this.layout = layout;
    from = new int[layout.size()];
    to = new int[layout.size()];
  }

  /** Forgets the fields of the last record. */
  public void reset() {
    buf.n = 0;
    Arrays.fill(from, -1);
  }

  /** The buffer to encode field {@code k}'s value into (its length word included); then {@link #close}. */
  public CopyBinary.Buf open(int k) {
    from[k] = buf.n;
    return buf;
  }

  /** Ends field {@code k}'s bytes. */
  public void close(int k) {
    to[k] = buf.n;
  }

  /** The row of the fields given since {@link #reset}. */
  public CopyRow build() {
    int count = layout.size();
    int size = 2;
    for (int k = 0; k < count; k++) size += from[k] < 0 ? 4 : to[k] - from[k];
    CopyBinary.Buf out = new CopyBinary.Buf(size);
    int[] starts = new int[count];
    out.i16(count);
    for (int k = 0; k < count; k++) {
      starts[k] = out.n;
      if (from[k] < 0) out.i32(-1); // an absent optional field
      else out.bytes(buf.a, from[k], to[k] - from[k]);
    }
    return new CopyRow(layout, out.a, starts);
  }
}
