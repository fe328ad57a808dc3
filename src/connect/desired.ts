import { readFileSync } from "node:fs";
import { z } from "zod";
import { keyConnectSchema, keyJsonSchema, valueConnectSchema, valueJsonSchema } from "../contract/index.ts";
import { SluiceError } from "../errors.ts";

const SECRET_KEY = /password|secret|token/i;
const PROVIDER_REF = /^\$\{[a-z]+:[^}]+\}$/;

/** A connector file: `{ name, config }`, every config value a string as Connect stores it. */
export const ConnectorFile = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, "must be letters, digits, '.', '_' or '-'"),
  config: z.record(z.string(), z.string()).superRefine((config, ctx) => {
    for (const [k, v] of Object.entries(config)) {
      if (SECRET_KEY.test(k) && !PROVIDER_REF.test(v)) {
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: `holds a literal secret; reference it through a config provider instead, e.g. "\${env:SLUICE_SINK_DB_PASSWORD}"`,
        });
      }
    }
  }),
});
export type ConnectorSpec = Readonly<z.infer<typeof ConnectorFile>>;

/** Reads and checks one `connectors/*.json` file. */
export function readConnectorFile(path: string): ConnectorSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new SluiceError("CONNECTOR_FILE", `${path}: not readable JSON (${(e as Error).message}); fix the file.`);
  }
  const r = ConnectorFile.safeParse(raw);
  if (!r.success) throw new SluiceError("CONNECTOR_FILE", `${path}:\n${z.prettifyError(r.error)}`);
  return r.data;
}

/**
 * The config sent to Connect: the file's config plus the contract's Connect schemas as `*.converter.schema.content`
 * (KIP-1054), so the topic carries plain JSON and the schema comes from the one contract. `overrides` lets tests and
 * benchmarks run isolated copies (their own name, topic, table, DLQ).
 */
export function renderConnector(spec: ConnectorSpec, overrides: Record<string, string> = {}, name = spec.name): ConnectorSpec {
  return {
    name,
    config: {
      ...spec.config,
      "key.converter.schema.content": JSON.stringify(keyConnectSchema()),
      "value.converter.schema.content": JSON.stringify(valueConnectSchema()),
      // The contract itself, for dev.sluice.connect.ContractJsonConverter (services/connect/sluice-plugin).
      "key.converter.contract": JSON.stringify(keyJsonSchema()),
      "value.converter.contract": JSON.stringify(valueJsonSchema()),
      ...overrides,
    },
  };
}
