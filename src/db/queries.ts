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
  /** The raw-table answer (`-- exact:` part), when the block has one. */
  readonly exact?: string;
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
    const [fast, exact] = rest.join("\n").split(/^-- exact:\s*$/m);
    const sql = statement(fast!);
    if (!/^[a-z][a-z0-9_]*$/.test(name) || !sql)
      throw new SluiceError("BAD_QUERY_PACK", `query pack: bad block "${name}"`);
    return { name, about, sql, ...(exact === undefined ? {} : { exact: statement(exact) }) };
  });
}

/** One statement of a block: comments dropped, parameters made positional (`:x::type` keeps its cast). */
function statement(text: string): string {
  return text
    .split("\n")
    .filter((l) => !/^\s*--/.test(l))
    .join("\n")
    .trim()
    .replace(/;\s*$/, "")
    .replace(/(?<!:):(device|since|limit)\b/g, (_, p: keyof typeof PARAMS) => PARAMS[p]);
}

/** The pack as shipped. */
export function loadPack(file = QUERY_PACK): PackQuery[] {
  return parsePack(readFileSync(file, "utf8"));
}

/**
 * The pack pointed at another metrics-shaped table, its rollups `<table>_1m` / `<table>_1h` and its rollup state
 * (tests and the query bench run it on tables of their own). Pure.
 */
export function retargetPack(pack: readonly PackQuery[], table: string): PackQuery[] {
  const to = (s: string) =>
    s
      .replaceAll("metrics_rollup_1m", `${table}_1m`)
      .replaceAll("metrics_rollup_1h", `${table}_1h`)
      .replaceAll("'metrics'", `'${table}'`)
      .replace(/\bmetrics\b(?!_)/g, table);
  return pack.map((q) => ({ ...q, sql: to(q.sql), ...(q.exact ? { exact: to(q.exact) } : {}) }));
}

/** Parameters of a pack query; undefined device/since mean "all". */
export interface QueryParams {
  readonly device?: string;
  readonly since?: Date;
  readonly limit?: number;
}

/**
 * Runs one pack query by name; `exact` runs its raw-table answer (UNKNOWN_QUERY naming the queries that have one when
 * it has none).
 */
export async function runPackQuery(sql: Sql, name: string, params: QueryParams = {}, pack = loadPack(), exact = false) {
  const q = pack.find((p) => p.name === name);
  if (!q) {
    throw new SluiceError(
      "UNKNOWN_QUERY",
      `unknown query "${name}"; expected one of: ${pack.map((p) => p.name).join(", ")}`,
    );
  }
  if (exact && q.exact === undefined) {
    const have = pack.filter((p) => p.exact !== undefined).map((p) => p.name);
    throw new SluiceError(
      "UNKNOWN_QUERY",
      `query "${name}" reads the rollups only and has no exact variant; --exact works with: ${have.join(", ")}`,
    );
  }
  const chosen = exact ? q.exact! : q.sql;
  const args = [params.device ?? null, params.since ?? null, params.limit ?? 1000];
  // Only the placeholders a query uses are sent, so PostgreSQL never sees a parameter it cannot type.
  const used = [1, 2, 3].filter((i) => chosen.includes(`$${i}`));
  const text = chosen.replace(/\$(\d)/g, (_, d: string) => `$${used.indexOf(Number(d)) + 1}`);
  return sql.unsafe(text, used.map((i) => args[i - 1]) as never[]);
}
