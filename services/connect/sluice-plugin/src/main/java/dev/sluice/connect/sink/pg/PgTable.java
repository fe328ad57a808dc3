package dev.sluice.connect.sink.pg;

import dev.sluice.connect.row.CopyRow;
import dev.sluice.connect.row.RowLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * A target table as the sink writes it: the record's value fields matched to the table's columns (by name, with one
 * COPY encoder per column type), the record key's fields as the conflict target, and the SQL of both write paths.
 */
public final class PgTable {
  /** The table's name as PostgreSQL prints it (schema-qualified when not on the search path). */
  public final String name;
  /** The written columns, quoted, in the record value's field order; and the key columns (the conflict target). */
  public final String columnList;
  public final String keyList;
  /** COPY straight into the table; COPY into the session's stage; the stage's upsert into the table. */
  public final String copyInto;
  public final String copyStage;
  public final String moveStage;
  /** DDL of the session's temporary stage (idempotent), to run before the first write in a session. */
  public final String createStage;
  private final Schema schema;
  private final Field[] fields;
  private final CopyBinary.Encoder[] encoders;
  private final Field[] keyFields;
  /** The columns' types (pg_type.typname) by name; the last row layout checked against them, and whether it fits. */
  private final Map<String, String> columnTypes;
  private RowLayout checked;
  private boolean fits;

  private PgTable(String name, Schema schema, Field[] fields, CopyBinary.Encoder[] encoders, Field[] keyFields,
      Map<String, String> columnTypes, String stage, String createStage) {
    this.name = name;
    this.createStage = createStage;
    this.schema = schema;
    this.fields = fields;
    this.encoders = encoders;
    this.keyFields = keyFields;
    this.columnTypes = columnTypes;
    columnList = String.join(", ", Arrays.stream(fields).map(f -> quote(f.name())).toList());
    keyList = String.join(", ", Arrays.stream(keyFields).map(f -> quote(f.name())).toList());
    List<String> rest = Arrays.stream(fields).map(Field::name).filter(n -> Arrays.stream(keyFields).noneMatch(k -> k.name().equals(n))).map(PgTable::quote).toList();
    copyInto = "COPY " + name + " (" + columnList + ") FROM STDIN (FORMAT binary)";
    copyStage = "COPY " + stage + " (" + columnList + ") FROM STDIN (FORMAT binary)";
    String onConflict = rest.isEmpty()
        ? "DO NOTHING"
        // A replayed record with the same values rewrites nothing: no dead tuple, no WAL, updated_at unchanged.
        : "DO UPDATE SET " + String.join(", ", rest.stream().map(c -> c + " = EXCLUDED." + c).toList())
            + " WHERE (" + String.join(", ", rest.stream().map(c -> "t." + c).toList()) + ") IS DISTINCT FROM ("
            + String.join(", ", rest.stream().map(c -> "EXCLUDED." + c).toList()) + ")";
    moveStage = "INSERT INTO " + name + " AS t (" + columnList + ") SELECT " + columnList + " FROM " + stage + " ON CONFLICT (" + keyList + ") " + onConflict;
  }

  /**
   * The table {@code table} as the sink writes records shaped like {@code sample}, from its catalog {@code columns}
   * (null: the table does not exist). Throws a ConnectException naming what does not fit: run the stage's DDL
   * ({@link #createStage}) in the session before the first write.
   */
  public static PgTable plan(String table, PgSession.Columns columns, SinkRecord sample) {
    Schema schema = CopyRow.schemaOf(sample.value());
    Schema keySchema = CopyRow.schemaOf(sample.key());
    if (schema == null || keySchema == null) {
      throw new ConnectException("the sink needs struct keys and values (a Connect schema from the converter); got "
          + kind(sample.key()) + " and " + kind(sample.value())
          + ". Use the contract converter (dev.sluice.connect.converter.ContractJsonConverter)");
    }
    if (columns == null) {
      throw new ConnectException("table " + table + " does not exist (or the sink role cannot see it): create it with "
          + "`sluice db migrate`, or fix collection.name.format");
    }
    String regclass = columns.regclass();
    List<Field> fields = new ArrayList<>();
    List<CopyBinary.Encoder> encoders = new ArrayList<>();
    for (Field f : schema.fields()) {
      String type = columns.types().get(f.name());
      if (type == null) {
        throw new ConnectException("field " + f.name() + " of the record has no column in " + regclass
            + ": add the column (a migration) or remove the field from the contract");
      }
      CopyBinary.Encoder enc = CopyBinary.forType(type);
      if (enc == null) {
        throw new ConnectException("column " + regclass + "." + f.name() + " has type " + type + ", which the sink "
            + "cannot write; supported: uuid, timestamptz, timestamp, int2, int4, int8, float4, float8, bool, text, "
            + "varchar, text[], varchar[]");
      }
      fields.add(f);
      encoders.add(enc);
    }
    List<Field> keys = new ArrayList<>();
    for (Field k : keySchema.fields()) {
      Field vf = schema.field(k.name());
      if (vf == null) {
        throw new ConnectException("key field " + k.name() + " is not in the record value: the sink writes the value "
            + "and conflicts on the key");
      }
      keys.add(vf);
    }
    String stage = quote("sluice_stage_" + Integer.toHexString(regclass.hashCode()));
    // No index, no WAL, emptied at each commit: the cheapest place to COPY a batch into before the upsert.
    String ddl = "CREATE TEMP TABLE IF NOT EXISTS " + stage + " (" + String.join(", ", fields.stream()
        .map(f -> quote(f.name()) + " " + columns.declared().get(f.name())).toList()) + ") ON COMMIT DELETE ROWS";
    return new PgTable(regclass, schema, fields.toArray(Field[]::new), encoders.toArray(CopyBinary.Encoder[]::new),
        keys.toArray(Field[]::new), columns.types(), stage, ddl);
  }

  /**
   * Appends one row to the COPY buffer: a {@link CopyRow} as it is when its layout is the table's (its fields in
   * the same order, each encoded as its column's type), any other value through the column encoders.
   */
  public void encode(CopyBinary.Buf b, Object value) {
    if (value instanceof CopyRow r && fits(r.layout())) {
      r.writeTo(b);
    } else {
      encodeStruct(b, value instanceof CopyRow r ? r.toStruct() : (Struct) value);
    }
  }

  /** Whether rows of {@code layout} can be copied as they are (decided once per layout: a converter has one). */
  private boolean fits(RowLayout layout) {
    if (layout != checked) {
      checked = layout;
      fits = layout.size() == fields.length;
      for (int i = 0; fits && i < fields.length; i++) {
        fits = layout.field(i).name().equals(fields[i].name()) && sameEncoding(layout.pgType(i), columnTypes.get(fields[i].name()));
      }
    }
    return fits;
  }

  /** timestamp and varchar take the bytes of timestamptz and text (varchar checks its length limit itself). */
  private static boolean sameEncoding(String rowType, String columnType) {
    return rowType.equals(columnType) || (rowType.equals("timestamptz") && columnType.equals("timestamp"))
        || (rowType.equals("text") && columnType.equals("varchar"));
  }

  /** Appends one struct to the COPY buffer. */
  private void encodeStruct(CopyBinary.Buf b, Struct v) {
    b.i16(fields.length);
    boolean same = v.schema() == schema; // the converter reuses one schema; any other is read by field name
    for (int i = 0; i < fields.length; i++) {
      Object x = same ? v.get(fields[i]) : v.get(fields[i].name());
      if (x == null) b.i32(-1);
      else encoders[i].write(b, x);
    }
  }

  /** The record's primary key (the same for a struct and a {@link CopyRow} of equal values), for de-duplicating a batch. */
  public Object keyOf(Object v) {
    Object[] k = new Object[keyFields.length];
    for (int i = 0; i < k.length; i++) {
      String name = keyFields[i].name(); // by name: the value's schema may be another one of the same fields
      k[i] = v instanceof CopyRow r ? r.get(name) : ((Struct) v).get(name);
    }
    return Arrays.asList(k);
  }

  private static String quote(String ident) {
    return "\"" + ident.replace("\"", "\"\"") + "\"";
  }

  private static String kind(Object o) {
    return o == null ? "null" : o.getClass().getSimpleName();
  }
}
