import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { isRunning } from "../../src/connect/apply.ts";
import { setup } from "../../src/setup.ts";
import { postgresPassword } from "../../src/stack/postgres.ts";
import { status, up } from "../../src/stack/supervisor.ts";
import { connect, ctx } from "./harness.ts";

describe("local stack", () => {
  test("every component is healthy and a second `up` + setup changes nothing", async () => {
    const rows = await status(ctx);
    expect(rows.map((r) => [r.name, r.healthy])).toEqual([
      ["postgres", true],
      ["kafka", true],
      ["registry", true],
      ["connect", true],
      ["admin", true],
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
});
