package dev.sluice.connect.row;

import java.util.Arrays;
import java.util.List;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;

/**
 * The shape of the {@link CopyRow}s one converter emits: the Connect schema of the record and, per field in schema
 * order, the PostgreSQL type its bytes are encoded as (pg_type.typname: uuid, text, int2, int4, int8, timestamptz,
 * float8, _text). A sink copies a row's bytes only into columns of exactly these types; for any other table it falls
 * back to {@link CopyRow#toStruct()}.
 */
public final class RowLayout {
  /** The types a {@link CopyRow} field can be encoded as. */
  public static final List<String> TYPES = List.of("uuid", "text", "int2", "int4", "int8", "timestamptz", "float8", "_text");

  private final Schema schema;
  private final Field[] fields;
  private final String[] pgTypes;

  /** {@code pgTypes}: one of {@link #TYPES} per field of {@code schema}, in its order. */
  public RowLayout(Schema schema, List<String> pgTypes) {
    this.schema = schema;
    this.fields = schema.fields().toArray(Field[]::new);
    if (pgTypes.size() != fields.length || !TYPES.containsAll(pgTypes)) {
      throw new IllegalArgumentException("one of " + TYPES + " per field of " + schema.fields() + ", got " + pgTypes);
    }
    this.pgTypes = pgTypes.toArray(String[]::new);
  }

  /** The Connect schema the row stands for (a struct). */
  public Schema schema() {
    return schema;
  }

  /** The number of fields. */
  public int size() {
    return fields.length;
  }

  /** Field {@code i} of the schema. */
  public Field field(int i) {
    return fields[i];
  }

  /** The PostgreSQL type field {@code i} is encoded as. */
  public String pgType(int i) {
    return pgTypes[i];
  }

  @Override
  public String toString() {
    return schema.name() + Arrays.toString(pgTypes);
  }
}
