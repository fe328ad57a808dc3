package dev.sluice.connect.converter;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.connect.errors.DataException;

/**
 * Settings of {@link ContractJsonConverter}, given with the converter's prefix ({@code value.converter.contract=…}).
 * sluice renders both schemas from src/contract into the connector config (src/connect/desired.ts).
 */
public final class ContractJsonConverterConfig extends AbstractConfig {
  /** The Connect schema of the records, as JSON (JsonConverter's KIP-1054 option of the same name). */
  public static final String SCHEMA_CONTENT = "schema.content";
  /** The contract's JSON Schema, the one registered in the schema registry. */
  public static final String CONTRACT = "contract";
  /** Whether the fast readers run first. */
  public static final String FAST_PATH = "fast.path";
  /** Whether the byte scanner emits binary COPY rows instead of structs. */
  public static final String COPY_ROWS = "copy.rows";

  /** The documented settings (Connect shows them in its config validation). */
  public static final ConfigDef CONFIG = new ConfigDef()
      .define(SCHEMA_CONTENT, Type.STRING, null, Importance.HIGH,
          "Kafka Connect schema of the records, as JSON (rendered by sluice from src/contract)")
      .define(CONTRACT, Type.STRING, null, Importance.HIGH,
          "JSON Schema every record must satisfy (rendered by sluice from src/contract)")
      .define(FAST_PATH, Type.BOOLEAN, true, Importance.LOW,
          "Read records with the byte scanner and the token reader first (the JSON tree only for records they cannot "
              + "vouch for); false: always build the JSON tree, as a comparison")
      .define(COPY_ROWS, Type.BOOLEAN, false, Importance.LOW,
          "For the Sluice sink only: records the byte scanner reads become PostgreSQL binary COPY rows "
              + "(dev.sluice.connect.row.CopyRow) that the sink copies as they are, instead of structs it would encode "
              + "again; other records stay structs. Other sinks and transforms need structs: leave it false for them");

  final String schemaContent;
  final String contract;
  final boolean fastPath;
  final boolean copyRows;

  /** Parses {@code props}; throws a DataException when a schema is missing, a ConfigException on a bad value. */
  public ContractJsonConverterConfig(Map<?, ?> props) {
    super(CONFIG, props, false); // not logged: the two schemas are long, and logged by the worker already
    schemaContent = getString(SCHEMA_CONTENT);
    contract = getString(CONTRACT);
    fastPath = getBoolean(FAST_PATH);
    copyRows = getBoolean(COPY_ROWS);
    if (schemaContent == null || contract == null) {
      throw new DataException("ContractJsonConverter needs both " + SCHEMA_CONTENT + " and " + CONTRACT
          + " (rendered by sluice from src/contract)");
    }
  }
}
