import type { ConnectorSpec } from "./desired.ts";
import { shown } from "./secrets.ts";

/** One changed key of a connector config; `from` absent = added, `to` absent = removed. */
export interface KeyChange {
  readonly key: string;
  readonly from?: string;
  readonly to?: string;
}

/** What applying the files would do to one connector. */
export type ConnectorAction =
  | { readonly kind: "create"; readonly name: string; readonly config: Readonly<Record<string, string>> }
  | {
      readonly kind: "update";
      readonly name: string;
      readonly config: Readonly<Record<string, string>>;
      readonly diff: readonly KeyChange[];
    }
  | { readonly kind: "unchanged"; readonly name: string }
  /** Live in scope, absent from the files: deleted only when pruning, otherwise reported. */
  | { readonly kind: "delete"; readonly name: string }
  | { readonly kind: "unmanaged"; readonly name: string };

export interface PlanOptions {
  /** Delete live connectors in scope that no file declares. */
  readonly prune?: boolean;
  /** Only live connectors whose name starts with this are considered (tests use a unique prefix). */
  readonly prefix?: string;
}

/**
 * Per-key difference between a live config and a desired one. Connect stores `name` inside the config; it is the
 * connector's identity, not a setting, so it is not compared.
 */
export function diffConfig(
  live: Readonly<Record<string, string>>,
  desired: Readonly<Record<string, string>>,
): KeyChange[] {
  const keys = [...new Set([...Object.keys(live), ...Object.keys(desired)])].filter((k) => k !== "name").sort();
  return keys
    .filter((k) => live[k] !== desired[k])
    .map((k) => ({ key: k, ...(k in live ? { from: live[k] } : {}), ...(k in desired ? { to: desired[k] } : {}) }));
}

/**
 * The plan: desired specs (already rendered) against the live configs (`GET /connectors?expand=info`). Pure; the
 * live cluster is the state, so there is no state file to drift from.
 */
export function planConnectors(
  desired: readonly ConnectorSpec[],
  live: ReadonlyMap<string, Readonly<Record<string, string>>>,
  opts: PlanOptions = {},
): ConnectorAction[] {
  const prefix = opts.prefix ?? "";
  const actions: ConnectorAction[] = [];
  const wanted = new Set<string>();
  for (const spec of desired) {
    if (!spec.name.startsWith(prefix)) continue;
    wanted.add(spec.name);
    const current = live.get(spec.name);
    if (!current) actions.push({ kind: "create", name: spec.name, config: spec.config });
    else {
      const diff = diffConfig(current, spec.config);
      actions.push(
        diff.length
          ? { kind: "update", name: spec.name, config: spec.config, diff }
          : { kind: "unchanged", name: spec.name },
      );
    }
  }
  for (const name of [...live.keys()].sort()) {
    if (name.startsWith(prefix) && !wanted.has(name)) actions.push({ kind: opts.prune ? "delete" : "unmanaged", name });
  }
  return actions;
}

/** True when applying would change something. */
export const hasChanges = (actions: readonly { kind: string }[]) =>
  actions.some((a) => a.kind !== "unchanged" && a.kind !== "unmanaged");

const MAX_SHOWN = 100;

/** A value as the plan shows it: quoted, secrets masked, long values (schemas) shortened. */
function show(key: string, value: string): string {
  const v = shown(key, value);
  return (
    JSON.stringify(v.length > MAX_SHOWN ? `${v.slice(0, MAX_SHOWN)}…` : v) +
    (v.length > MAX_SHOWN ? ` (${v.length} chars)` : "")
  );
}

/**
 * Two long values (a rendered schema) shown where they first differ, so a contract change is readable in the plan.
 */
function around(key: string, from: string, to: string): string {
  const f = shown(key, from);
  const t = shown(key, to);
  let i = 0;
  while (i < f.length && i < t.length && f[i] === t[i]) i++;
  const start = Math.max(0, i - 30);
  const cut = (v: string) =>
    JSON.stringify(`${start > 0 ? "…" : ""}${v.slice(start, i + 50)}${v.length > i + 50 ? "…" : ""}`);
  return `${cut(f)} → ${cut(t)} (first difference at character ${i})`;
}

/** The plan in terraform style: `+` create, `~` update (per key), `-` delete, then a summary line. */
export function formatConnectorPlan(actions: readonly ConnectorAction[]): string {
  const lines: string[] = [];
  for (const a of actions) {
    if (a.kind === "create") {
      lines.push(`+ connector ${a.name}`);
      for (const k of Object.keys(a.config).sort()) lines.push(`    + ${k} = ${show(k, a.config[k]!)}`);
    } else if (a.kind === "update") {
      lines.push(`~ connector ${a.name} (${a.diff.length} key${a.diff.length === 1 ? "" : "s"})`);
      for (const c of a.diff) {
        if (c.from === undefined) lines.push(`    + ${c.key} = ${show(c.key, c.to!)}`);
        else if (c.to === undefined) lines.push(`    - ${c.key} = ${show(c.key, c.from)}`);
        else if (c.from.length > MAX_SHOWN || c.to.length > MAX_SHOWN)
          lines.push(`    ~ ${c.key}: ${around(c.key, c.from, c.to)}`);
        else lines.push(`    ~ ${c.key}: ${show(c.key, c.from)} → ${show(c.key, c.to)}`);
      }
    } else if (a.kind === "delete") lines.push(`- connector ${a.name}`);
  }
  const n = (k: string) => actions.filter((a) => a.kind === k).length;
  const unmanaged = actions.filter((a) => a.kind === "unmanaged").map((a) => a.name);
  if (unmanaged.length) lines.push(`(not in the files, kept; --prune deletes them: ${unmanaged.join(", ")})`);
  lines.push(
    hasChanges(actions)
      ? `Plan: ${n("create")} to create, ${n("update")} to update, ${n("delete")} to delete, ${n("unchanged")} unchanged.`
      : `No changes: ${n("unchanged")} connector${n("unchanged") === 1 ? "" : "s"} match the files.`,
  );
  return lines.join("\n");
}
