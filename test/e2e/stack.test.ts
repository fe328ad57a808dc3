import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { isRunning } from "../../src/connect/apply.ts";
import { setup } from "../../src/setup.ts";
import { adminUrl } from "../../src/stack/admin.ts";
import { postgresPassword } from "../../src/stack/postgres.ts";
import { ownedProcess } from "../../src/stack/process.ts";
import { components, status, up } from "../../src/stack/supervisor.ts";
import { readWatchState } from "../../src/stack/watch-state.ts";
import { connect, ctx, eventually } from "./harness.ts";

describe("local stack", () => {
  test("every component is healthy and a second `up` + setup changes nothing", async () => {
    const rows = await status(ctx);
    expect(rows.map((r) => [r.name, r.healthy])).toEqual([
      ["postgres", true],
      ["kafka", true],
      ["registry", true],
      ["connect", true],
      ["admin", true],
      ["watchdog", true],
    ]);
    expect(await up(ctx)).toEqual([]);
    const r = await setup(ctx);
    expect(r.topicsCreated).toEqual([]);
    expect(r.connector).toBe("unchanged");
  });

  test("the main connector runs, and its stored config and the worker's log hold no secret", async () => {
    expect(isRunning(await connect.status("metrics-sink"))).toBe(true);
    const config = await connect.getConfig("metrics-sink");
    expect(config!["connection.password"]).toBe("${env:SLUICE_SINK_DB_PASSWORD}");
    const secret = postgresPassword(ctx);
    expect(JSON.stringify(config)).not.toContain(secret);
    expect(readFileSync(`${ctx.paths.logs}/connect.log`, "utf8")).not.toContain(secret);
  });

  test("kill -9 of a component: the watchdog starts it again, healthy, and status and /metrics count the restart", async () => {
    const registry = components(ctx).find((c) => c.name === "registry")!;
    const restarts = () => readWatchState(ctx.paths.run)?.components.registry?.restarts ?? 0;
    const before = restarts();
    const victim = ownedProcess(ctx.paths.run, "registry")!;
    process.kill(victim.pid, "SIGKILL");
    await eventually(
      "the registry restarted by the watchdog",
      async () => {
        const now = ownedProcess(ctx.paths.run, "registry");
        return !!now && now.pid !== victim.pid && restarts() > before && (await registry.healthy().catch(() => false));
      },
      90_000,
    );
    const row = (await status(ctx)).find((r) => r.name === "registry")!;
    expect(row).toMatchObject({ healthy: true, restarts: before + 1 });
    const text = await (await fetch(`${adminUrl(ctx)}/metrics`)).text();
    expect(text).toContain(`sluice_component_restarts_total{component="registry"} ${before + 1}`);
    expect(text).toContain('sluice_component_watch_state{component="registry",state="running"} 1');
  });
});
