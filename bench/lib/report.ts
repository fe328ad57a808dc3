// The bench's figures: one result per scenario, summarized against the COPY baseline of the same run, printed as a
// table, written as JSON and drawn as an SVG bar chart (Vega-Lite).
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
}

export interface Summary extends ScenarioResult {
  readonly rowsPerSec: number;
  readonly steadyRowsPerSec?: number;
  /** rows/s divided by COPY's rows/s in the same run (undefined without a COPY scenario). */
  readonly ratioToCopy?: number;
  /** CPU seconds per 1M rows, per process group. */
  readonly cpuPer1M: Record<string, number>;
}

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

/** Adds rates, the ratio to COPY and the CPU cost per million rows. */
export function summarize(results: readonly ScenarioResult[]): Summary[] {
  const copy = results.find((r) => r.scenario === "copy");
  const copyRate = copy ? copy.rows / copy.seconds : undefined;
  return results.map((r) => {
    const rowsPerSec = r.rows / r.seconds;
    return {
      ...r,
      rowsPerSec: round(rowsPerSec),
      steadyRowsPerSec: r.steadySeconds ? round(r.rows / r.steadySeconds) : undefined,
      ratioToCopy: copyRate ? round(rowsPerSec / copyRate, 3) : undefined,
      cpuPer1M: Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, round((v * 1e6) / r.rows, 1)])),
    };
  });
}

const GROUPS = ["connect", "postgres", "kafka", "client"] as const;
const n = (x: number | undefined) => (x === undefined ? "" : Math.round(x).toLocaleString("en-US"));

/** The comparison table people read. */
export function renderTable(summaries: readonly Summary[]): string {
  return table(
    [
      "scenario",
      "rows",
      "rows/s",
      "× COPY",
      "steady rows/s",
      ...GROUPS.map((g) => `CPU s/1M ${g}`),
      "peak MB (stack)",
      "p50 / p99 ms",
    ],
    summaries.map((s) => [
      s.label,
      n(s.rows),
      n(s.rowsPerSec),
      s.ratioToCopy === undefined ? "" : s.ratioToCopy.toFixed(2),
      n(s.steadyRowsPerSec),
      ...GROUPS.map((g) => (s.cpuPer1M[g] === undefined ? "" : s.cpuPer1M[g]!.toFixed(1))),
      n(s.peakTotalMb),
      s.latency ? `${s.latency.p50 ?? "-"} / ${s.latency.p99 ?? "-"}` : "",
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
}

/** The JSON written to bench/results/<date>.json. */
export function reportJson(r: BenchReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** A horizontal bar chart of rows/s per scenario, each bar labelled with its ratio to COPY. */
export async function renderChart(summaries: readonly Summary[], title: string): Promise<string> {
  const values = summaries.map((s) => ({
    scenario: s.label,
    rowsPerSec: s.rowsPerSec,
    label: `${n(s.rowsPerSec)}${s.ratioToCopy === undefined ? "" : ` (${s.ratioToCopy.toFixed(2)}× COPY)`}`,
  }));
  const spec: vl.TopLevelSpec = {
    title,
    width: 520,
    data: { values },
    encoding: {
      y: { field: "scenario", type: "nominal", sort: null, title: null, axis: { labelLimit: 360 } },
      x: { field: "rowsPerSec", type: "quantitative", title: "rows per second" },
    },
    layer: [
      { mark: { type: "bar", color: "#4c78a8" } },
      { mark: { type: "text", align: "left", dx: 4 }, encoding: { text: { field: "label" } } },
    ],
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}
