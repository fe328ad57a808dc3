// Maintenance run by the admin service, on the real stack: the schedule keeps the rollups of the shipped `metrics`
// table within two intervals of now while rows land through the shipped connector; two schedules never run a pass
// at once (advisory lock); the role the schedule logs in as (sluice_maintainer) can do maintenance and nothing else.
// Other tests share `metrics`, so this one owns fresh device ids and deletes exactly those rows afterwards.
import { afterAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { MAINTAIN_LOCK_KEY, maintainerSession, maintainMetricsOnce, type PassResult } from "../../src/db/maintainer.ts";
import { parseEvery, parseSpan } from "../../src/db/span.ts";
import { produceRun } from "../../src/producer/session.ts";
import { deviceIds, planRun } from "../../src/producer/workload.ts";
import { createApp } from "../../src/server/app.ts";
import { startMaintenance } from "../../src/server/maintenance.ts";
import { serverDeps } from "../../src/server/runtime.ts";
import { adminUrl } from "../../src/stack/admin.ts";
import { connectUrl } from "../../src/stack/connect.ts";
import { postgresUrl, roleUrl } from "../../src/stack/postgres.ts";
import { brokers, ctx, eventually, registry, sql } from "./harness.ts";

const PLAN = { interval: parseSpan(ctx.env.METRICS_PARTITION_INTERVAL), ahead: ctx.env.METRICS_PARTITIONS_AHEAD };
const sessions: postgres.Sql[] = [];
const session = () => {
  const s = maintainerSession(roleUrl(ctx, "maintainer"));
  sessions.push(s);
  return s;
};
const ids: string[] = [];

afterAll(async () => {
  if (ids.length > 0) {
    // Under the rollup's own lock, so a pass in progress cannot write our buckets back after the delete.
    await sql.begin(async (tx) => {
      await tx.unsafe(`select pg_advisory_xact_lock(hashtext('sluice_rollup:' || 'metrics'::regclass::text))`);
      for (const t of ["metrics", "metrics_rollup_1m", "metrics_rollup_1h"]) {
        await tx.unsafe(`delete from ${t} where device_id = any($1::uuid[])`, [ids]);
      }
    });
  }
  await Promise.all(sessions.map((s) => s.end({ timeout: 5 })));
});

describe("maintenance on a schedule", () => {
  test("rollups stay within two intervals of now while rows land, and hold every landed row", async () => {
    const everyMs = 3000;
    const pg = session();
    const pass = () => maintainMetricsOnce(pg, PLAN);
    const schedule = startMaintenance({ everyMs, firstDelayMs: 0, pass, log: () => {} });
    const real = serverDeps({
      brokers,
      connectUrl: connectUrl(ctx),
      registryUrl: registry,
      postgresUrl: roleUrl(ctx, "monitor"),
      apiKeys: [],
      topic: ctx.env.METRICS_TOPIC,
      dlqTopic: ctx.env.DLQ_TOPIC,
      connector: "metrics-sink",
      table: "metrics",
    });
    const app = createApp({ ...real.deps, maintenance: schedule.state });
    const lagOf = async () => {
      const text = await (await app.request("/metrics")).text();
      const m = /^sluice_rollup_lag_seconds\{table="metrics"\} (\S+)$/m.exec(text);
      return m ? Number(m[1]) : null;
    };
    const lags: number[] = [];
    try {
      await eventually("a first pass", async () => (await lagOf()) !== null, 30_000);
      const seed = `maintenance-${randomUUID()}`;
      const end = Date.now() + 20_000;
      for (let i = 0; Date.now() < end; i++) {
        // One tick of 4 devices × every metric code, stamped now, through the real topic and connector.
        const run = planRun({ seed: `${seed}-${i}`, count: 24, devices: 4, startMs: Date.now() });
        ids.push(...(deviceIds(run) as string[]));
        await produceRun({ brokers, registryUrl: registry, topic: ctx.env.METRICS_TOPIC }, run);
        lags.push((await lagOf())!);
        await Bun.sleep(250);
      }
      const landed = async () => {
        const [r] = await sql`select count(*)::int as n from metrics where device_id = any(${ids}::uuid[])`;
        return r!.n as number;
      };
      await eventually("every row landed", async () => (await landed()) === ids.length * 6, 60_000);
      const rolled = async () => {
        const [r] = await sql`select coalesce(sum(n), 0)::int as n from metrics_rollup_1m
                                where device_id = any(${ids}::uuid[])`;
        return r!.n as number;
      };
      // Within two intervals of the last row landing, the schedule alone has rolled every row up.
      const t = Date.now();
      const all = async () => (await rolled()) === ids.length * 6;
      await eventually("every landed row in the rollups", all, 2 * everyMs + 2000);
      lags.push((await lagOf())!);
      expect(Date.now() - t).toBeLessThanOrEqual(2 * everyMs + 2000);
    } finally {
      await schedule.stop();
      await real.close();
    }
    expect(lags.length).toBeGreaterThan(10);
    expect(Math.max(...lags)).toBeLessThanOrEqual((2 * everyMs) / 1000);
    expect(schedule.state().runs.failed).toBe(0);
    expect(schedule.state().runs.ok).toBeGreaterThanOrEqual(4);
  }, 180_000);

  test("while one session runs a pass, another one skips it (the advisory lock)", async () => {
    const [a, b] = [session(), session()];
    // Hold the rollup's own lock so the pass of `a` waits inside its rollup step, holding the schedule's lock.
    const blocker = postgres(postgresUrl(ctx), { max: 1, onnotice: () => {} });
    sessions.push(blocker);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const held = blocker.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('sluice_rollup:' || 'metrics'::regclass::text))`;
      await released;
    });
    const first = maintainMetricsOnce(a, { ...PLAN, lockTimeoutMs: 60_000 });
    const holders = async () => {
      const rows = await sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted
        and ((classid::bigint << 32) | objid::bigint) = ${MAINTAIN_LOCK_KEY}::bigint`;
      return rows[0]!.n as number;
    };
    await eventually("the first pass holds the schedule's lock", async () => (await holders()) === 1, 20_000);
    const second = await maintainMetricsOnce(b, PLAN);
    expect(second.ran).toBe(false);
    release();
    await held;
    expect((await first).ran).toBe(true);
    expect(await holders()).toBe(0);
    // The lock is free again: the other session now runs.
    expect((await maintainMetricsOnce(b, PLAN)).ran).toBe(true);
  }, 60_000);

  test("two schedules at once: passes that ran never overlap, the other pass is skipped", async () => {
    const ran: [number, number][] = [];
    const timed = (pg: postgres.Sql) => async (): Promise<PassResult> => {
      const t0 = performance.now();
      const r = await maintainMetricsOnce(pg, PLAN);
      if (r.ran) ran.push([t0, performance.now()]);
      return r;
    };
    const s1 = startMaintenance({ everyMs: 200, firstDelayMs: 0, pass: timed(session()), log: () => {} });
    const s2 = startMaintenance({ everyMs: 200, firstDelayMs: 0, pass: timed(session()), log: () => {} });
    await Bun.sleep(6000);
    await Promise.all([s1.stop(), s2.stop()]);
    ran.sort((x, y) => x[0] - y[0]);
    // Times are taken in this process: a pass's start is when its lock request left, its end when the answer to its
    // unlock came back, so the next holder may start up to one round trip before the previous end is seen here.
    const trip = 30;
    for (let i = 1; i < ran.length; i++) expect(ran[i]![0]).toBeGreaterThanOrEqual(ran[i - 1]![1] - trip);
    const [r1, r2] = [s1.state().runs, s2.state().runs];
    expect(r1.failed + r2.failed).toBe(0);
    expect(r1.ok + r2.ok).toBe(ran.length);
    expect(r1.ok + r2.ok).toBeGreaterThan(5);
    // Started together at the same interval, they collide: some passes found the lock taken.
    expect(r1.skipped + r2.skipped).toBeGreaterThan(0);
  }, 60_000);
});

describe("the admin service `sluice up` started", () => {
  test("runs the schedule: its passes succeed (or yield the lock) and its rollups are within two intervals", async () => {
    const every = ctx.env.METRICS_MAINTAIN_EVERY;
    expect(every).not.toBe("0");
    const series = async () => {
      const text = await (await fetch(`${adminUrl(ctx)}/metrics`)).text();
      const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
      return {
        interval: num(/^sluice_maintenance_interval_seconds\{table="metrics"\} (\S+)$/m),
        lag: num(/^sluice_rollup_lag_seconds\{table="metrics"\} (\S+)$/m),
        failed: /^sluice_maintenance_last_outcome\{table="metrics",outcome="failed"\} 1$/m.test(text),
      };
    };
    // Its first pass comes at most 10 s after it started.
    await eventually("a pass of the admin service", async () => !Number.isNaN((await series()).lag), 30_000);
    const s = await series();
    expect(s.interval).toBe(parseEvery(every) / 1000);
    expect(s.failed).toBe(false);
    expect(s.lag).toBeLessThanOrEqual(2 * s.interval);
  }, 60_000);
});

describe("the maintainer role", () => {
  const denied = async (pg: postgres.Sql, q: string) =>
    pg.unsafe(q).then(
      () => "allowed",
      (e: { code?: string }) => e.code ?? String(e),
    );

  test("runs the maintenance functions and can do nothing else", async () => {
    const pg = session();
    const [who] = await pg`select current_user as u`;
    expect(who!.u).toBe("sluice_maintainer");
    const [status] = await pg`select * from sluice_maintain_status()`;
    expect(Number(status!.partitions)).toBeGreaterThan(0);
    // No table's rows, no writes, no DDL, not the underlying functions on another table.
    for (const q of [
      "select * from metrics limit 1",
      "select * from metrics_rollup_1m limit 1",
      "select * from sluice_rollup_state",
      "insert into metrics_rollup_1h (device_id, metric_name, bucket, n, min_value, max_value, sum_value, last_value, " +
        "last_at) values (gen_random_uuid(), 1, now(), 1, 1, 1, 1, 1, now())",
      "delete from metrics",
      "truncate metrics",
      "drop table metrics",
      "alter table metrics add column x int",
      "create table sluice_maintainer_was_here (a int)",
      "select sluice_drop_partitions('metrics', now())",
      "select * from sluice_rollup('metrics', 'metrics_rollup_1m', 'metrics_rollup_1h')",
      "select sluice_ensure_partitions('metrics', '1 day', now(), now() + interval '1 day')",
    ]) {
      expect(`${q} → ${await denied(pg, q)}`).toBe(`${q} → 42501`);
    }
    // Retention below one hour is refused by the function itself: a maintainer cannot empty the table.
    expect(await denied(pg, "select sluice_maintain_retention('1 minute')")).toBe("P0001");
    expect(await denied(pg, "select sluice_maintain_partitions('1 day', 100000)")).toBe("P0001");
    // Other sessions' queries stay hidden (no pg_read_all_stats, unlike the owner the functions run as).
    const [other] = await pg`select count(*)::int as n from pg_stat_activity
      where usename is distinct from current_user and query not in ('', '<insufficient privilege>')`;
    expect(other!.n).toBe(0);
  });
});
