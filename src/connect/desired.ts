import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import {
  CONTRACT,
  type Contract,
  keyConnectSchema,
  keyJsonSchema,
  valueConnectSchema,
  valueJsonSchema,
} from "../contract/index.ts";
import { SluiceError } from "../errors.ts";
import { holdsEmbeddedSecret, isLiteralSecret, type ProviderPolicy, referenceProblems } from "./secrets.ts";

const NAME = /^[A-Za-z0-9._-]+$/;

/** A connector config as Connect stores it: every value a string, no literal secrets, a `connector.class`. */
const ConnectorConfig = z
  .record(z.string(), z.string({ error: 'must be a string: Connect stores every value as text (write "2", not 2)' }))
  .superRefine((config, ctx) => {
    if (!config["connector.class"]) {
      ctx.addIssue({
        code: "custom",
        path: ["connector.class"],
        message: 'is missing; add e.g. "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector"',
      });
    }
    for (const [k, v] of Object.entries(config)) {
      if (isLiteralSecret(k, v)) {
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: `holds a literal secret; reference it through a config provider instead, e.g. "\${env:SLUICE_SINK_DB_PASSWORD}"`,
        });
      } else if (holdsEmbeddedSecret(v)) {
        ctx.addIssue({
          code: "custom",
          path: [k],
          message:
            "holds a credential inside its value (a password in a URL, a parameter or a JAAS config); " +
            'reference it through a config provider instead, e.g. "password=${env:SLUICE_SINK_DB_PASSWORD}"',
        });
      }
    }
  });

/** A connector file: `{ name, config }`, every config value a string as Connect stores it. */
export const ConnectorFile = z.strictObject({
  name: z.string().regex(NAME, "must be letters, digits, '.', '_' or '-'"),
  config: ConnectorConfig,
});
export type ConnectorSpec = Readonly<z.infer<typeof ConnectorFile>>;

/**
 * Checks a parsed connector file. Two forms: `{ name, config }`, or the config alone, named by the file
 * (`connectors/<name>.json`). The name inside must match the file's, so one file is one connector. With `policy`
 * (the worker's config providers), a `${env:…}` or `${file:…}` reference the worker would not resolve is refused.
 */
export function parseConnectorFile(raw: unknown, path: string, policy?: ProviderPolicy): ConnectorSpec {
  const fileName = basename(path).replace(/\.json$/, "");
  const wrapped =
    typeof raw === "object" &&
    raw !== null &&
    "config" in raw &&
    typeof (raw as { config: unknown }).config === "object";
  const candidate = wrapped ? raw : { name: fileName, config: raw };
  const r = ConnectorFile.safeParse(candidate);
  if (!r.success)
    throw new SluiceError("CONNECTOR_FILE", `${path}:\n${z.prettifyError(r.error)}\nFix the key(s) above.`);
  const inner = r.data.config.name;
  if (r.data.name !== fileName || (inner !== undefined && inner !== r.data.name)) {
    throw new SluiceError(
      "CONNECTOR_FILE",
      `${path}: connector name "${inner !== undefined && inner !== r.data.name ? inner : r.data.name}" does not match the file name "${fileName}"; rename the file or the connector so they agree.`,
    );
  }
  const refused = policy ? referenceProblems(r.data.config, policy) : [];
  if (refused.length) {
    throw new SluiceError(
      "CONNECTOR_FILE",
      `${path}:\n${refused.map((p) => `  config.${p.key}: ${p.reference} ${p.message}`).join("\n")}\n` +
        "Fix the key(s) above.",
    );
  }
  return r.data;
}

/** Reads and checks one `connectors/*.json` file (and its provider references, given the worker's `policy`). */
export function readConnectorFile(path: string, policy?: ProviderPolicy): ConnectorSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new SluiceError("CONNECTOR_FILE", `${path}: not readable JSON (${(e as Error).message}); fix the file.`);
  }
  return parseConnectorFile(raw, path, policy);
}

/**
 * Reads every `*.json` in a directory of connector files (sorted by name), keeping those whose name starts with
 * `prefix`. Every file is checked, so one bad file stops the whole run before anything changes.
 */
export function readConnectorDir(dir: string, prefix = "", policy?: ProviderPolicy): ConnectorSpec[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
  } catch (e) {
    throw new SluiceError(
      "CONNECTOR_FILE",
      `cannot read the connector directory ${dir} (${(e as Error).message}); pass an existing directory.`,
    );
  }
  return files.map((f) => readConnectorFile(join(dir, f), policy)).filter((s) => s.name.startsWith(prefix));
}

/**
 * The config sent to Connect: the file's config plus the contract's Connect schemas as `*.converter.schema.content`
 * (KIP-1054), so the topic carries plain JSON and the schema comes from the one contract. `overrides` lets tests and
 * benchmarks run isolated copies (their own name, topic, table, DLQ).
 */
export function renderConnector(
  spec: ConnectorSpec,
  overrides: Record<string, string> = {},
  name = spec.name,
): ConnectorSpec {
  return {
    name,
    config: {
      ...spec.config,
      ...contractConfig(CONTRACT),
      ...overrides,
    },
  };
}

/**
 * The connector settings a contract implies: its Connect schemas as `*.converter.schema.content` and the contract
 * itself for dev.sluice.connect.converter.ContractJsonConverter (services/connect/sluice-plugin). A contract change
 * changes these keys and nothing else.
 */
export function contractConfig(contract: Contract): Record<string, string> {
  return {
    "key.converter.schema.content": JSON.stringify(keyConnectSchema(contract)),
    "value.converter.schema.content": JSON.stringify(valueConnectSchema(contract)),
    "key.converter.contract": JSON.stringify(keyJsonSchema(contract)),
    "value.converter.contract": JSON.stringify(valueJsonSchema(contract)),
  };
}
