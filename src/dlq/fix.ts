import { z } from "zod";
import { CONTRACT, type Contract, type Metric as MetricT } from "../contract/index.ts";

/** Corrections `sluice dlq replay --fix` may apply; each is safe: it never invents a value. */
export const FIXES = {
  /** `3F2B…` → `3f2b…`: the same uuid, spelled as the contract requires. */
  "lowercase-ids": (v: Record<string, unknown>, _contract: Contract) =>
    typeof v.device_id === "string" ? { ...v, device_id: v.device_id.toLowerCase() } : v,
  /** Drops fields the contract does not know (e.g. a producer that also sends `unit`). */
  "drop-unknown-fields": (v: Record<string, unknown>, contract: Contract) =>
    Object.fromEntries(Object.entries(v).filter(([k]) => k in contract.value.shape)),
} as const;
export type FixName = keyof typeof FIXES;

export type Verdict = { readonly ok: true; readonly metric: MetricT } | { readonly ok: false; readonly reason: string };

/**
 * Decides whether a dead-lettered value can go back to the topic: parse it, apply the chosen fixes, and validate it
 * against the contract (value and, when present, the key must agree with it). Pure. A record of a contract with
 * optional fields keeps them (`metric` is then wider than the shipped Metric type says).
 */
export function judge(
  value: string | null,
  key: string | null,
  fixes: readonly FixName[],
  contract: Contract = CONTRACT,
): Verdict {
  if (value === null) return { ok: false, reason: "empty record (tombstone)" };
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ok: false, reason: "not a JSON object" };
  let v = raw as Record<string, unknown>;
  for (const f of fixes) v = FIXES[f](v, contract);
  const r = contract.value.safeParse(v);
  if (!r.success) return { ok: false, reason: z.prettifyError(r.error).replace(/\n/g, " ") };
  if (key !== null) {
    let k: unknown;
    try {
      k = JSON.parse(key);
    } catch {
      return { ok: false, reason: "key is not JSON" };
    }
    let kv = k as Record<string, unknown>;
    if (fixes.includes("lowercase-ids")) kv = FIXES["lowercase-ids"](kv, contract);
    const kr = contract.key.safeParse(kv);
    if (!kr.success) return { ok: false, reason: `key: ${z.prettifyError(kr.error).replace(/\n/g, " ")}` };
    for (const f of ["device_id", "metric_name", "published_at"] as const) {
      if (kr.data[f] !== r.data[f]) return { ok: false, reason: `key and value disagree on ${f}` };
    }
  }
  return { ok: true, metric: r.data as MetricT };
}
