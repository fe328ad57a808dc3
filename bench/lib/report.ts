// The bench's figures: each scenario's results over the rounds, summarized against the COPY baselines of the same
// round (median and spread), printed as a table, written as JSON and drawn as an SVG bar chart (Vega-Lite).
import * as vega from "vega";
import * as vl from "vega-lite";
import { table } from "../../src/cli/table.ts";
import type { Usage } from "./proc.ts";

export interface ScenarioResult extends Usage {
  readonly scenario: string;
  readonly label: string;
  readonly rows: number;
  /** From the scenario's start (connector applied / first send) to the last row stored. */
  readonly seconds: number;
  /** From the first stored batch to the last (PostgreSQL's clock): without task start-up and group join. */
  readonly steadySeconds?: number;
  /** Produce → row visible, for the scenarios that measure it. */
  readonly latency?: {
    readonly rate: number;
    readonly p50: number | null;
    readonly p99: number | null;
    readonly max: number | null;
    readonly samples: number;
  };
  readonly note?: string;
  /** PostgreSQL WAL written over the measured span (the bench runs alone on the stack). */
  readonly walBytes?: number;
  /** The backlog's bytes on the brokers' disks (every replica), for the scenarios that produce one first. */
  readonly topicBytes?: number;
  /** The table's bytes with its indexes after the run (a fresh table per scenario). */
  readonly tableBytes?: number;
}

export interface Summary extends ScenarioResult {
  /** Median over the rounds. */
  readonly rowsPerSec: number;
  readonly steadyRowsPerSec?: number;
  /** rows/s over the parallel binary COPY's rows/s in the same round, median (undefined without that baseline). */
  readonly ratio?: number;
  /** rows/s over the one-stream text COPY's in the same round, median (undefined without it): for continuity. */
  readonly ratioToCopy?: number;
  /** Smallest and largest over the rounds. */
  readonly spread: {
    readonly rowsPerSec: readonly [number, number];
    readonly ratio?: readonly [number, number];
    readonly ratioToCopy?: readonly [number, number];
  };
  /** Rounds the scenario ran (each measured, after one unreported warm-up). */
  readonly rounds: number;
  /** CPU seconds per 1M rows, per process group, median over the rounds. */
  readonly cpuPer1M: Record<string, number>;
  /** WAL bytes per row (median), where measured. */
  readonly walBytesPerRow?: number;
  /** Bytes per row of the backlog on the brokers' disks (median), where measured. */
  readonly topicBytesPerRow?: number;
  /** Bytes per row of the table with its indexes (median), where measured. */
  readonly tableBytesPerRow?: number;
}

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

/** The middle value (mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const h = Math.floor(v.length / 2);
  return v.length % 2 ? v[h]! : (v[h - 1]! + v[h]!) / 2;
}

const range = (xs: readonly number[], d = 0): readonly [number, number] => [
  round(Math.min(...xs), d),
  round(Math.max(...xs), d),
];

/** Median of `key` per row over the results that have it. */
function perRow(rs: readonly ScenarioResult[], key: "walBytes" | "topicBytes" | "tableBytes"): number | undefined {
  const xs = rs.flatMap((r) => (r[key] === undefined ? [] : [r[key]! / r.rows]));
  return xs.length ? round(median(xs), 1) : undefined;
}

/** The main baseline and the one kept for continuity. */
export const BASELINE = "copy-parallel";
export const ONE_STREAM_BASELINE = "copy";

/** One round's results summarized (rates, ratios to the baselines of that round, CPU per million rows). */
export function summarize(results: readonly ScenarioResult[]): Summary[] {
  return summarizeRounds([results]);
}

/**
 * Results of several rounds summarized per scenario: each round's rate is divided by the baselines' rates of the
 * same round, then medians and spreads are taken over the rounds. Scenarios in the order of their first appearance.
 */
export function summarizeRounds(rounds: readonly (readonly ScenarioResult[])[]): Summary[] {
  const rateOf = (r: ScenarioResult) => r.rows / r.seconds;
  const ratiosTo = (name: string, runs: { r: ScenarioResult; round: number }[]) => {
    const xs = runs.flatMap(({ r, round: i }) => {
      const base = rounds[i]!.find((x) => x.scenario === name);
      return base ? [rateOf(r) / rateOf(base)] : [];
    });
    return xs.length === runs.length ? xs : undefined;
  };
  const names = [...new Set(rounds.flat().map((r) => r.scenario))];
  return names.map((name) => {
    const runs = rounds.flatMap((rs, i) => rs.filter((r) => r.scenario === name).map((r) => ({ r, round: i })));
    const results = runs.map(({ r }) => r);
    const rates = results.map(rateOf);
    const steady = runs.flatMap(({ r }) => (r.steadySeconds ? [r.rows / r.steadySeconds] : []));
    const ratio = ratiosTo(BASELINE, runs);
    const ratioToCopy = ratiosTo(ONE_STREAM_BASELINE, runs);
    const groups = [...new Set(runs.flatMap(({ r }) => Object.keys(r.cpu)))];
    const cpu = Object.fromEntries(groups.map((g) => [g, median(runs.map(({ r }) => r.cpu[g] ?? 0))]));
    const mid = runs.reduce((a, x) =>
      Math.abs(rateOf(x.r) - median(rates)) < Math.abs(rateOf(a.r) - median(rates)) ? x : a,
    );
    const rows = mid.r.rows;
    return {
      ...mid.r,
      cpu,
      peakMb: Object.fromEntries(
        [...new Set(runs.flatMap(({ r }) => Object.keys(r.peakMb)))].map((k) => [
          k,
          Math.max(...runs.map(({ r }) => r.peakMb[k] ?? 0)),
        ]),
      ),
      peakTotalMb: Math.max(...runs.map(({ r }) => r.peakTotalMb)),
      rowsPerSec: round(median(rates)),
      steadyRowsPerSec: steady.length ? round(median(steady)) : undefined,
      ratio: ratio && round(median(ratio), 3),
      ratioToCopy: ratioToCopy && round(median(ratioToCopy), 3),
      spread: {
        rowsPerSec: range(rates),
        ...(ratio ? { ratio: range(ratio, 3) } : {}),
        ...(ratioToCopy ? { ratioToCopy: range(ratioToCopy, 3) } : {}),
      },
      rounds: runs.length,
      walBytesPerRow: perRow(results, "walBytes"),
      topicBytesPerRow: perRow(results, "topicBytes"),
      tableBytesPerRow: perRow(results, "tableBytes"),
      cpuPer1M: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round((v * 1e6) / rows, 1)])),
    };
  });
}

/** "0.52 (0.49–0.55)": a median with its spread, or the value alone after one round. */
export function withSpread(median: number | undefined, spread: readonly [number, number] | undefined, d = 2): string {
  if (median === undefined) return "";
  if (!spread || spread[0] === spread[1]) return median.toFixed(d);
  return `${median.toFixed(d)} (${spread[0].toFixed(d)}–${spread[1].toFixed(d)})`;
}

const GROUPS = ["connect", "postgres", "kafka", "client"] as const;
const n = (x: number | undefined) => (x === undefined ? "" : Math.round(x).toLocaleString("en-US"));

/** The comparison table people read. */
export function renderTable(summaries: readonly Summary[]): string {
  return table(
    [
      "scenario",
      "rows",
      "rows/s (median)",
      "min–max",
      "× COPY ∥",
      "× COPY 1",
      "steady rows/s",
      ...GROUPS.map((g) => `CPU s/1M ${g}`),
      "peak MB (stack)",
      "p50 / p99 ms",
    ],
    summaries.map((s) => [
      s.label,
      n(s.rows),
      n(s.rowsPerSec),
      s.rounds > 1 ? `${n(s.spread.rowsPerSec[0])}–${n(s.spread.rowsPerSec[1])}` : "",
      // An open-loop rate is set, not measured: no ratio for the latency row.
      s.latency ? "" : withSpread(s.ratio, s.spread.ratio),
      s.latency ? "" : withSpread(s.ratioToCopy, s.spread.ratioToCopy),
      n(s.steadyRowsPerSec),
      ...GROUPS.map((g) => (s.cpuPer1M[g] === undefined ? "" : s.cpuPer1M[g]!.toFixed(1))),
      n(s.peakTotalMb),
      s.latency ? `${n(s.latency.p50 ?? undefined) || "-"} / ${n(s.latency.p99 ?? undefined) || "-"}` : "",
    ]),
  );
}

/** Per-component peak memory, one line per scenario. */
export function renderMemory(summaries: readonly Summary[]): string {
  const names = [...new Set(summaries.flatMap((s) => Object.keys(s.peakMb)))];
  return table(
    ["scenario (peak PSS, MB)", ...names, "stack total"],
    summaries.map((s) => [s.label, ...names.map((k) => n(s.peakMb[k])), n(s.peakTotalMb)]),
  );
}

export interface BenchReport {
  readonly at: string;
  readonly label?: string;
  readonly commit?: string;
  readonly machine: { readonly cores: number; readonly memoryGb: number };
  readonly versions: Readonly<Record<string, string>>;
  readonly flags: unknown;
  readonly results: readonly Summary[];
  /** Every measured result, per round (in the order it ran). */
  readonly rounds?: readonly (readonly ScenarioResult[])[];
}

/** The JSON written to bench/results/<date>.json. */
export function reportJson(r: BenchReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** " (0.52 (0.49–0.55)× COPY ∥)": the ratio to the main baseline, else to the one-stream one, else nothing. */
function ratioLabel(s: Summary): string {
  if (s.ratio !== undefined) return ` (${withSpread(s.ratio, s.spread.ratio)}× COPY ∥)`;
  if (s.ratioToCopy !== undefined) return ` (${withSpread(s.ratioToCopy, s.spread.ratioToCopy)}× COPY)`;
  return "";
}

/** A horizontal bar chart of the median rows/s per scenario with its min–max, labelled with the ratio to the baseline. */
export async function renderChart(summaries: readonly Summary[], title: string): Promise<string> {
  const values = summaries.map((s) => ({
    scenario: s.label,
    rowsPerSec: s.rowsPerSec,
    lo: s.spread.rowsPerSec[0],
    hi: s.spread.rowsPerSec[1],
    label: `${n(s.rowsPerSec)}${ratioLabel(s)}`,
  }));
  const spec: vl.TopLevelSpec = {
    title,
    width: 520,
    data: { values },
    encoding: {
      y: { field: "scenario", type: "nominal", sort: null, title: null, axis: { labelLimit: 360 } },
      x: { field: "rowsPerSec", type: "quantitative", title: "rows per second (median, min–max)" },
    },
    layer: [
      { mark: { type: "bar", color: "#4c78a8" } },
      {
        mark: { type: "rule", color: "#222" },
        encoding: { x: { field: "lo", type: "quantitative" }, x2: { field: "hi" } },
      },
      {
        mark: { type: "text", align: "left", dx: 4 },
        encoding: { x: { field: "hi", type: "quantitative" }, text: { field: "label" } },
      },
    ],
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}
