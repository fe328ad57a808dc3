// The row auditor behind every chaos verdict (src/audit/exact.ts): a table that holds exactly the run passes, and a
// missing, an extra and a wrong row are each counted, exactly, on their own and together.
import { describe, expect, test } from "bun:test";
import { auditRows } from "../../src/audit/exact.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";

const run = planRun({ seed: "exact-audit", count: 200, devices: 5, startMs: Date.UTC(2026, 0, 1), stepMs: 3 });
type Row = { device_id: string; ms: number; metric_name: number; value: number; tags: string[] };

/** The row the sink stores for metric k, as auditTable reads it back. */
function row(k: number): Row {
  const m = metricAt(run, k);
  return { device_id: m.device_id, ms: m.published_at, metric_name: m.metric_name, value: m.value, tags: [...m.tags] };
}
const rows = (n: number) => Array.from({ length: n }, (_, k) => row(k));

describe("exact row audit", () => {
  test("the whole run stored as sent: nothing missing, extra or wrong", () => {
    expect(auditRows(run, 200, rows(200))).toEqual({ expected: 200, found: 200, missing: 0, unexpected: 0, wrong: 0 });
  });

  test("missing rows are counted, wherever they are", () => {
    const some = rows(200).filter((_, k) => k !== 0 && k !== 77 && k !== 199);
    expect(auditRows(run, 200, some)).toEqual({ expected: 200, found: 197, missing: 3, unexpected: 0, wrong: 0 });
    expect(auditRows(run, 200, []).missing).toBe(200);
  });

  test("extra rows are counted: a key outside the run, a duplicate, another device, an off-grid instant", () => {
    const outside = { ...row(0), ms: row(199).ms + 3 * 1000 };
    const stranger = { ...row(1), device_id: "00000000-0000-4000-8000-000000000000" };
    const offGrid = { ...row(2), ms: row(2).ms + 1 };
    const all = [...rows(200), outside, row(5), stranger, offGrid];
    expect(auditRows(run, 200, all)).toEqual({ expected: 200, found: 200, missing: 0, unexpected: 4, wrong: 0 });
  });

  test("wrong rows are counted: a changed value, a changed tag, a tag too many, a tag list emptied", () => {
    const all = rows(200);
    const [a, b] = all.flatMap((r, k) => (r.tags.length > 0 ? [k] : [])) as [number, number];
    all[a] = { ...all[a]!, tags: all[a]!.tags.map((t, i) => (i === 0 ? `${t}x` : t)) };
    all[b] = { ...all[b]!, tags: [] };
    const [c, d] = [0, 1, 2, 3].filter((k) => k !== a && k !== b) as [number, number];
    all[c] = { ...all[c]!, value: all[c]!.value + 1e-9 };
    all[d] = { ...all[d]!, tags: [...all[d]!.tags, "extra"] };
    expect(auditRows(run, 200, all)).toEqual({ expected: 200, found: 200, missing: 0, unexpected: 0, wrong: 4 });
  });

  test("missing, extra and wrong together are each counted on their own", () => {
    const all = rows(200).filter((_, k) => k !== 10 && k !== 11);
    all[0] = { ...all[0]!, value: -all[0]!.value - 1 };
    all.push({ ...row(0), ms: row(0).ms - 3 });
    expect(auditRows(run, 200, all)).toEqual({ expected: 200, found: 198, missing: 2, unexpected: 1, wrong: 1 });
  });

  test("rows past the acknowledged prefix are neither missing nor extra, but a wrong one is still wrong", () => {
    // 150 acknowledged; 150..199 were sent without an ack (at least once): they may or may not be there.
    expect(auditRows(run, 150, rows(200))).toEqual({ expected: 150, found: 150, missing: 0, unexpected: 0, wrong: 0 });
    expect(auditRows(run, 150, rows(170))).toEqual({ expected: 150, found: 150, missing: 0, unexpected: 0, wrong: 0 });
    const all = rows(200);
    all[180] = { ...all[180]!, value: all[180]!.value * 2 + 1 };
    expect(auditRows(run, 150, all).wrong).toBe(1);
  });
});
