import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql } from "postgres";
import { SluiceError } from "../errors.ts";

/** The versioned analyst query pack (src/db/queries.sql). */
export const QUERY_PACK = join(import.meta.dir, "queries.sql");

/** One named query of the pack, its SQL rewritten with positional parameters ($1 device, $2 since, $3 limit). */
export interface PackQuery {
  readonly name: string;
  readonly about: string;
  readonly sql: string;
}

const PARAMS = { device: "$1", since: "$2", limit: "$3" } as const;

/**
 * Splits the pack into its `-- name:` blocks and replaces `:device`, `:since` and `:limit` by positional parameters
 * (a `::type` cast is left alone). Pure, so the parsing is unit-tested.
 */
export function parsePack(text: string): PackQuery[] {
  const blocks = text.split(/^-- name:\s*/m).slice(1);
  return blocks.map((b) => {
    const [head, ...rest] = b.split("\n");
    const name = head!.trim();
    const about = /^-- about:\s*(.*)$/m.exec(b)?.[1]?.trim() ?? "";
    const body = rest
      .filter((l) => !/^\s*--/.test(l))
      .join("\n")
      .trim()
      .replace(/;\s*$/, "");
    if (!/^[a-z][a-z0-9_]*$/.test(name) || !body)
      throw new SluiceError("BAD_QUERY_PACK", `query pack: bad block "${name}"`);
    const sql = body.replace(/(?<!:):(device|since|limit)\b/g, (_, p: keyof typeof PARAMS) => PARAMS[p]);
    return { name, about, sql };
  });
}

/** The pack as shipped. */
export function loadPack(file = QUERY_PACK): PackQuery[] {
  return parsePack(readFileSync(file, "utf8"));
}

/** Parameters of a pack query; undefined device/since mean "all". */
export interface QueryParams {
  readonly device?: string;
  readonly since?: Date;
  readonly limit?: number;
}

/** Runs one pack query by name. */
export async function runPackQuery(sql: Sql, name: string, params: QueryParams = {}, pack = loadPack()) {
  const q = pack.find((p) => p.name === name);
  if (!q) {
    throw new SluiceError(
      "UNKNOWN_QUERY",
      `unknown query "${name}"; expected one of: ${pack.map((p) => p.name).join(", ")}`,
    );
  }
  const args = [params.device ?? null, params.since ?? null, params.limit ?? 1000];
  // Only the placeholders a query uses are sent, so PostgreSQL never sees a parameter it cannot type.
  const used = [1, 2, 3].filter((i) => q.sql.includes(`$${i}`));
  const text = q.sql.replace(/\$(\d)/g, (_, d: string) => `$${used.indexOf(Number(d)) + 1}`);
  return sql.unsafe(text, used.map((i) => args[i - 1]) as never[]);
}
