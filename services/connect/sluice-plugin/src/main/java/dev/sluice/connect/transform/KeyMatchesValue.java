package dev.sluice.connect.transform;

import dev.sluice.connect.row.CopyRow;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * Refuses a record whose key disagrees with its value. The sink takes the primary key from the record key and the
 * other columns from the value; a producer that sends a key of one metric with the value of another would otherwise
 * overwrite the wrong row. Thrown errors go to the DLQ (stage TRANSFORMATION) with {@code errors.tolerance=all}.
 */
public class KeyMatchesValue<R extends ConnectRecord<R>> implements Transformation<R> {
  // The last pair of schemas seen and their matched fields (a transform instance serves one task thread).
  private Schema lastKey;
  private Schema lastValue;
  private Field[] keyFields;
  private Field[] valueFields;

  @Override
  public R apply(R record) {
    Schema keySchema = CopyRow.schemaOf(record.key());
    Schema valueSchema = CopyRow.schemaOf(record.value());
    if (keySchema == null || valueSchema == null) {
      throw new DataException("key and value must both be structs (got " + kind(record.key()) + " and " + kind(record.value()) + ")");
    }
    Field[] valueFields = pairs(keySchema, valueSchema);
    for (int i = 0; i < keyFields.length; i++) {
      Field f = keyFields[i];
      Field vf = valueFields[i];
      // Two CopyRows compare their bytes: each value has exactly one encoding, so equal bytes are equal values.
      if (record.key() instanceof CopyRow k && record.value() instanceof CopyRow v && k.sameValue(f.index(), v, vf.index())) continue;
      Object k = CopyRow.valueOf(record.key(), f);
      Object v = CopyRow.valueOf(record.value(), vf);
      if (!Objects.equals(k, v)) {
        throw new DataException("key and value disagree on " + f.name() + ": key has " + k + ", value has " + v);
      }
    }
    return record;
  }

  /** The value's field of each key field ({@link #keyFields}), looked up once per pair of schemas (a converter has one). */
  private Field[] pairs(Schema keySchema, Schema valueSchema) {
    if (keySchema == lastKey && valueSchema == lastValue) return valueFields;
    Field[] ks = keySchema.fields().toArray(Field[]::new);
    Field[] vs = new Field[ks.length];
    for (int i = 0; i < ks.length; i++) {
      vs[i] = valueSchema.field(ks[i].name());
      if (vs[i] == null) throw new DataException("key field " + ks[i].name() + " is not in the value");
    }
    keyFields = ks;
    valueFields = vs;
    lastKey = keySchema;
    lastValue = valueSchema;
    return vs;
  }

  private static String kind(Object o) {
    return o == null ? "null" : o.getClass().getSimpleName();
  }

  @Override
  public ConfigDef config() {
    return new ConfigDef();
  }

  @Override
  public void configure(Map<String, ?> configs) {}

  @Override
  public void close() {}
}
