import postgres, { type Sql } from "postgres";
import type { MaintainReport } from "./maintain.ts";
import type { Span } from "./span.ts";
import type { pgTls } from "./tls.ts";

/**
 * Key of the session-level advisory lock one scheduled maintenance pass holds (`pg_try_advisory_lock(bigint)`): the
 * ASCII bytes of "sluicemt" read as a 64-bit integer. Documented in docs/operations.md so other jobs can avoid it.
 */
export const MAINTAIN_LOCK_KEY = "8317151707346070900";

/** What the schedule asks of one pass on `metrics` (the table names are fixed in the database functions). */
export interface MetricsMaintainPlan {
  /** Width of a partition. */
  readonly interval: Span;
  /** Partitions kept created ahead of now. */
  readonly ahead: number;
  /** Partitions wholly older than now − retention are dropped (at least 1 hour); undefined keeps everything. */
  readonly retention?: Span;
  /** Lock timeout of each step; a step that cannot get its lock fails and the next pass retries. Default 5 s. */
  readonly lockTimeoutMs?: number;
}

/** A pass either ran (its report) or found another service holding the lock (the current watermark, if any). */
export type PassResult =
  | { readonly ran: true; readonly report: MaintainReport }
  | { readonly ran: false; readonly watermark: Date | null };

/**
 * The dedicated session of the schedule: one connection (so the advisory lock, taken per session, and the steps run
 * on the same backend), logged in as sluice_maintainer.
 */
export function maintainerSession(url: string, tls: ReturnType<typeof pgTls> = {}): Sql {
  return postgres(url, {
    ...tls,
    max: 1,
    connect_timeout: 5,
    idle_timeout: 0,
    onnotice: () => {},
    connection: { application_name: "sluice serve maintenance" },
  });
}

/**
 * One pass on `metrics` as the maintainer role, if no other session holds {@link MAINTAIN_LOCK_KEY}: partitions,
 * retention, the default partition's report, rollups. Each step is its own short transaction with a lock timeout
 * (like `maintain`). The lock is released at the end, or by PostgreSQL when the session dies.
 */
export async function maintainMetricsOnce(sql: Sql, plan: MetricsMaintainPlan): Promise<PassResult> {
  const [lock] = await sql`select pg_try_advisory_lock(${MAINTAIN_LOCK_KEY}::bigint) as got`;
  if (!lock!.got) {
    const [s] = await sql`select watermark from sluice_maintain_status()`;
    return { ran: false, watermark: s!.watermark ?? null };
  }
  try {
    return { ran: true, report: await steps(sql, plan) };
  } finally {
    await sql`select pg_advisory_unlock(${MAINTAIN_LOCK_KEY}::bigint)`;
  }
}

async function steps(sql: Sql, plan: MetricsMaintainPlan): Promise<MaintainReport> {
  const lock = `${Math.trunc(plan.lockTimeoutMs ?? 5000)}ms`;
  const step = async <T>(fn: (tx: Sql) => Promise<T>): Promise<T> =>
    (await sql.begin(async (tx) => {
      await tx.unsafe(`set local lock_timeout = '${lock}'`);
      return fn(tx as unknown as Sql);
    })) as T;
  const created = await step(
    (tx) => tx`select name from sluice_maintain_partitions(${plan.interval.pg}::interval, ${plan.ahead}::int) as name`,
  );
  const dropped = plan.retention
    ? await step((tx) => tx`select name from sluice_maintain_retention(${plan.retention!.pg}::interval) as name`)
    : [];
  const [r] = await step((tx) => tx`select * from sluice_maintain_rollup()`);
  const [s] = await sql`select * from sluice_maintain_status()`;
  return {
    created: created.map((x) => x.name as string),
    dropped: dropped.map((x) => x.name as string),
    partitions: Number(s!.partitions),
    defaultRows: Number(s!.default_rows),
    defaultOldest: s!.default_oldest,
    defaultNewest: s!.default_newest,
    rollup: {
      changedRows: Number(r!.changed_rows),
      buckets1m: Number(r!.buckets_1m),
      buckets1h: Number(r!.buckets_1h),
      watermark: r!.watermark,
    },
  };
}
