// Renders test/vectors/contract-schemas.json: the converter config the sink gets from src/contract (the Connect
// schemas and the contract's JSON Schemas, as src/connect/desired.ts puts them into the connector config). The Java
// vector test reads the committed copy; test/unit/contract.test.ts fails when it differs from what src/contract
// renders today. Regenerate with `./node_modules/.bin/bun test/vectors/schemas.ts`.
import { writeFileSync } from "node:fs";
import { keyConnectSchema, keyJsonSchema, valueConnectSchema, valueJsonSchema } from "../../src/contract/index.ts";

/** The file's text: `{ value: { "schema.content", contract }, key: { … } }`, each value a JSON text as in the config. */
export function renderSchemas(): string {
  const side = (connect: unknown, contract: unknown) => ({
    "schema.content": JSON.stringify(connect),
    contract: JSON.stringify(contract),
  });
  const file = { value: side(valueConnectSchema(), valueJsonSchema()), key: side(keyConnectSchema(), keyJsonSchema()) };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export const SCHEMAS_FILE = new URL("./contract-schemas.json", import.meta.url).pathname;

if (import.meta.main) writeFileSync(SCHEMAS_FILE, renderSchemas());
