// One way to boot: every entry point builds its stack context with createStackContext and logs through the one
// timestampedLog; no other module reads process.env; every benchmark goes through bench/main.ts.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigError } from "../../src/config/env.ts";
import { clock, timestampedLog } from "../../src/log.ts";
import { createStackContext, withLog } from "../../src/stack/context.ts";
import { PROJECT_ROOT } from "../../src/stack/paths.ts";

/** The entry points: the only modules that may read process.env (each a process of its own). */
// The chaos suite's child producer is a process of its own: it reads its connection settings from the environment it
// inherits (never from argv, where ps would show a password).
const ENTRY_POINTS = new Set([
  "src/main.ts",
  "bench/main.ts",
  "bench/peers/bun-consumer.ts",
  "src/chaos/child-producer.ts",
]);

function tsFiles(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => relative(PROJECT_ROOT, join(PROJECT_ROOT, dir, f)));
}
const source = (f: string) => readFileSync(join(PROJECT_ROOT, f), "utf8");

describe("createStackContext", () => {
  test("parses the environment once: paths, versions, defaults under what the user set", () => {
    const ctx = createStackContext(
      { SLUICE_DATA_DIR: "/tmp/x", KAFKA_PORT: "29092" },
      { envDefaults: { CONNECT_TZ: "Asia/Tokyo", KAFKA_PORT: "1" } },
    );
    expect(ctx.env.KAFKA_PORT).toBe(29092);
    expect(ctx.env.CONNECT_TZ).toBe("Asia/Tokyo");
    expect(ctx.paths.data).toBe("/tmp/x");
    expect(ctx.paths.run).toBe("/tmp/x/run");
    expect(ctx.paths.root).toBe(PROJECT_ROOT);
    expect(ctx.versions.KAFKA_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.isFrozen(ctx)).toBe(true);
  });

  test("children inherit only the allowed variables of the environment it was given", () => {
    const ctx = createStackContext({
      PATH: "/bin",
      HOME: "/h",
      LC_ALL: "C",
      POSTGRES_PASSWORD: "secret-123",
      AWS_TOKEN: "t",
    });
    expect(ctx.baseEnv).toEqual({ PATH: "/bin", HOME: "/h", LC_ALL: "C" });
  });

  test("a bad variable is a ConfigError naming it", () => {
    expect(() => createStackContext({ KAFKA_PORT: "nope" })).toThrow(ConfigError);
    expect(() => createStackContext({ KAFKA_PORT: "nope" })).toThrow(/KAFKA_PORT/);
  });

  test("silent unless given a logger; withLog swaps it", () => {
    const lines: string[] = [];
    const ctx = withLog(createStackContext({}), (l) => lines.push(l));
    ctx.log("hello");
    expect(lines).toEqual(["hello"]);
  });
});

describe("timestampedLog", () => {
  test("[tag HH:MM:SS] line, and [HH:MM:SS] line without a tag", () => {
    const out: string[] = [];
    timestampedLog("bench", (s) => out.push(s))("started");
    timestampedLog(undefined, (s) => out.push(s))("plain");
    expect(out[0]).toMatch(/^\[bench \d\d:\d\d:\d\d\] started$/);
    expect(out[1]).toMatch(/^\[\d\d:\d\d:\d\d\] plain$/);
    expect(clock(new Date("2026-01-02T03:04:05.678Z"))).toBe("03:04:05");
  });
});

describe("one way to boot", () => {
  const files = [...tsFiles("src"), ...tsFiles("bench")];

  test("only entry points read process.env", () => {
    const readers = files.filter((f) => !ENTRY_POINTS.has(f) && /process\.env\b/.test(source(f)));
    expect(readers).toEqual([]);
  });

  test("the stack context is assembled only by createStackContext (no stackPaths/readVersions calls elsewhere)", () => {
    const boot = [...files, "test/run.ts", ...tsFiles("test/e2e")].filter(
      (f) => !["src/stack/context.ts", "src/stack/paths.ts", "src/stack/versions.ts"].includes(f),
    );
    const builders = boot.filter((f) => /\b(stackPaths|readVersions)\(/.test(source(f)));
    expect(builders).toEqual([]);
  });

  test("no timestamp logger but the one in src/log.ts", () => {
    const copies = [...files, "test/run.ts"].filter(
      (f) => f !== "src/log.ts" && /toISOString\(\)\.slice\(11, 19\)/.test(source(f)),
    );
    expect(copies).toEqual([]);
  });

  test("every npm bench script is an alias of bench/main.ts with a known benchmark", async () => {
    const { BENCHES } = await import("../../bench/main.ts");
    const names = new Set(BENCHES.map((b) => b.name));
    const scripts = Object.entries(JSON.parse(source("package.json")).scripts as Record<string, string>).filter(([k]) =>
      k.startsWith("bench"),
    );
    expect(scripts.length).toBeGreaterThanOrEqual(names.size);
    for (const [script, cmd] of scripts) {
      const m = /bun bench\/main\.ts ([\w-]+)$/.exec(cmd);
      expect({ script, bench: m && names.has(m[1]!) }).toEqual({ script, bench: true });
    }
  });

  test("the Redpanda Connect peer is gone (its licence is not open source)", () => {
    const mentions = [...tsFiles("bench"), "package.json", "docs/performance.md"].filter((f) =>
      /redpanda.connect|redpandaConnect/i.test(source(f)),
    );
    expect(mentions).toEqual([]);
  });
});

describe("LoadStats", () => {
  test("latency from each record's due time, counts by kind, failures, windows and the summary", async () => {
    const { LoadStats } = await import("../../src/producer/load-stats.ts");
    const rec = (kind: "valid" | "duplicate" | "update") =>
      ({ kind, key: Buffer.alloc(0), value: Buffer.alloc(0), deviceId: "d" }) as never;
    const s = new LoadStats(1000);
    s.sendStarted(2);
    s.sendStarted(6);
    s.acked([rec("valid"), rec("duplicate"), rec("update")], Float64Array.of(1000, 1010, 1090), 300, 1100, true);
    s.acked([rec("valid")], Float64Array.of(1500), 100, 1600, false);
    s.failed(5, new Error("broker down"));
    s.failed(1, new Error("second"));
    const w = s.takeWindow(3000);
    expect(w).toMatchObject({ records: 4, bytes: 400, seconds: 2, maxMs: 100 });
    expect(w.avgMs).toBeCloseTo((100 + 90 + 10 + 100) / 4, 1);
    expect(s.takeWindow(4000)).toEqual({ records: 0, bytes: 0, seconds: 1, avgMs: null, maxMs: null });
    const sum = s.summary({ kind: "rate", perSec: 10 }, false, 9999);
    expect(sum).toMatchObject({
      mode: "rate",
      targetRate: 10,
      sent: 4,
      valid: 2,
      errors: 6,
      firstError: "broker down",
    });
    expect(sum.injected).toEqual({ duplicate: 1, update: 1, malformed: 0, invalid: 0 });
    expect(sum.seconds).toBeCloseTo(0.6, 6); // t0 1000 → last acknowledgement 1600
    expect(sum.scheduleLag).toEqual({ avgMs: 4, maxMs: 6 });
    expect(sum.latency.max).toBeGreaterThanOrEqual(99);
  });
});
