// Prometheus and Grafana files in services/: promtool accepts the scrape config and the alert rules, the rules' own
// unit tests pass (each alert fires on the series that should fire it), and every sluice_* series the alerts and the
// Grafana dashboard query is one the server exports. promtool is built once from the Go module proxy into the per-user
// tools cache (test/tools.ts); test/run.ts starts that build early, so here it is normally already there.
import { beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { serverMetrics } from "../../src/server/metrics.ts";
import type { PipelineSnapshot } from "../../src/server/snapshot.ts";
import { PROJECT_ROOT } from "../../src/stack/paths.ts";
import { ensurePromtool, PROMTOOL_BUILD_TIMEOUT_MS } from "../tools.ts";

const prom = join(PROJECT_ROOT, "services", "prometheus");
const grafana = join(PROJECT_ROOT, "services", "grafana");

let bin = "";
beforeAll(async () => {
  bin = await ensurePromtool((l) => console.error(`[promtool] ${l}`));
}, PROMTOOL_BUILD_TIMEOUT_MS);

function promtool(...args: string[]) {
  const r = spawnSync(bin, args, { cwd: prom, encoding: "utf8" });
  if (r.error) throw new Error(`could not run ${bin}: ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Names of the series the server exports (histograms also as _bucket/_sum/_count). */
async function exportedNames(): Promise<Set<string>> {
  const empty: PipelineSnapshot = {
    at: 0,
    topic: "t",
    offsets: null,
    lag: null,
    position: null,
    connector: null,
    dlq: null,
    table: "m",
    rowsWritten: null,
    errors: {},
  };
  const m = serverMetrics(async () => empty);
  const names = new Set<string>();
  for (const metric of await m.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(metric.name + s);
  }
  return names;
}

const referenced = (text: string) => new Set(text.match(/\bsluice_[a-z_]+\b/g) ?? []);

describe("Prometheus files", () => {
  test("promtool check config: the scrape config and its rule file", () => {
    const r = promtool("check", "config", "prometheus.yml");
    expect(r.out).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });

  test("promtool check rules: the alert rules", () => {
    const r = promtool("check", "rules", "alerts.yml");
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code).toBe(0);
  });

  test("promtool test rules: every alert fires on its input series", () => {
    const r = promtool("test", "rules", "alerts.test.yml");
    expect(r.out).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });

  test("the alerts cover connector/task not running, lag growing, DLQ non-empty, no rows landed, ingest 5xx", () => {
    const alerts = readFileSync(join(prom, "alerts.yml"), "utf8");
    const names = [
      "SluiceConnectorNotRunning",
      "SluiceTaskNotRunning",
      "SluiceLagGrowing",
      "SluiceDlqNotEmpty",
      "SluiceNoRowsLanded",
      "SluiceIngest5xx",
      "SluiceRollupsBehind",
    ];
    for (const a of names) {
      expect(alerts).toContain(`alert: ${a}\n`);
    }
  });

  test("every sluice_* series in the alerts and the Grafana dashboard is exported by the server", async () => {
    const names = await exportedNames();
    const used = new Set([
      ...referenced(readFileSync(join(prom, "alerts.yml"), "utf8")),
      ...referenced(readFileSync(join(grafana, "dashboards", "sluice.json"), "utf8")),
    ]);
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((n) => !names.has(n))).toEqual([]);
  });

  test("metric names follow Prometheus conventions (counters end in _total, units in the name)", async () => {
    const empty: PipelineSnapshot = {
      at: 0,
      topic: "t",
      offsets: null,
      lag: null,
      position: null,
      connector: null,
      dlq: null,
      table: "m",
      rowsWritten: null,
      errors: {},
    };
    const all = await serverMetrics(async () => empty).registry.getMetricsAsJSON();
    const ours = all.filter((m) => m.name.startsWith("sluice_"));
    for (const m of ours) {
      expect(m.name).toMatch(/^[a-z_][a-z0-9_]*$/);
      if (String(m.type) === "counter") expect(m.name).toEndWith("_total");
      else expect(m.name).not.toEndWith("_total");
      if (String(m.type) === "histogram") expect(m.name).toEndWith("_seconds");
    }
  });
});

describe("Grafana provisioning", () => {
  test("the dashboard is valid JSON on the provisioned datasource", () => {
    const dash = JSON.parse(readFileSync(join(grafana, "dashboards", "sluice.json"), "utf8")) as {
      uid: string;
      panels: { datasource: { uid: string }; targets: { expr: string }[] }[];
    };
    const ds = readFileSync(join(grafana, "provisioning", "datasources", "prometheus.yml"), "utf8");
    expect(dash.uid).toBe("sluice-pipeline");
    expect(dash.panels.length).toBeGreaterThan(5);
    for (const p of dash.panels) {
      expect(ds).toContain(`uid: ${p.datasource.uid}`);
      for (const t of p.targets) expect(t.expr.length).toBeGreaterThan(0);
    }
  });
});
