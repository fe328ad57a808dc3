import type { Sql } from "postgres";
import type { Metric } from "../contract/index.ts";
import { sqlIdentifier } from "../db/identifier.ts";
import { histogram, latencyStats } from "./latency.ts";

/**
 * End-to-end latency, producer → row in PostgreSQL, measured on sampled records (a few per second, see
 * `sampleEveryMs` in loadtest.ts) rather than on all of them, so measuring costs the sink nothing noticeable.
 *
 * For each sample we keep its key and the wall-clock time it was handed to Kafka; a poller looks the keys up in the
 * table every `pollMs`, and the latency is the row's `created_at` minus that time. `created_at` is PostgreSQL's
 * `now()` in the sink's insert, i.e. the start of the transaction that wrote the row: so the figure does not depend on
 * the poll interval, and it slightly understates visibility by the time that transaction takes to commit (a batch
 * of up to 10,000 rows: milliseconds). Producer and PostgreSQL read the same machine clock here; on two machines the
 * figure includes their clock offset. Only rows the sample inserted first count (an upsert keeps `created_at`).
 */
interface Pending {
  m: Metric;
  sentAt: number;
}

export interface E2eStats {
  samples: number;
  seen: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export class E2eProbe {
  private pending: Pending[] = [];
  private readonly hist = histogram();
  /** The same values since the last {@link takeWindow}: what the dashboard charts (published by `sluice produce`). */
  private readonly window = histogram();
  private samples = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;

  constructor(
    private readonly sql: Sql,
    private readonly table: string,
    private readonly opts: { pollMs?: number; maxPending?: number } = {},
  ) {
    sqlIdentifier(table);
  }

  /** Records a sample (dropped when too many are still unseen: the sink is far behind, and the poll stays cheap). */
  sample(m: Metric, sentAtEpochMs: number): void {
    if (this.pending.length >= (this.opts.maxPending ?? 5000)) return;
    this.samples++;
    this.pending.push({ m, sentAt: sentAtEpochMs });
  }

  start(): void {
    // A failed poll in the background is retried by the next one; drain() reports a persistent failure.
    this.timer ??= setInterval(() => void this.poll().catch(() => {}), this.opts.pollMs ?? 500);
  }

  /** Looks the pending samples up once; returns how many are still unseen. */
  async poll(): Promise<number> {
    if (this.polling || this.pending.length === 0) return this.pending.length;
    this.polling = true;
    // New samples go to a fresh list while the query runs; the unseen ones are put back in front of them.
    const batch = this.pending;
    this.pending = [];
    let unseen = batch;
    try {
      const rows = await this.sql.unsafe(
        `select s.i::int as i, (extract(epoch from t.created_at) * 1000)::float8 as created
           from unnest($1::uuid[], $2::timestamptz[], $3::smallint[]) with ordinality as s(device_id, published_at, metric_name, i)
           join ${this.table} t using (device_id, published_at, metric_name)`,
        [
          batch.map((p) => p.m.device_id),
          batch.map((p) => new Date(p.m.published_at).toISOString()),
          batch.map((p) => p.m.metric_name),
        ],
      );
      const seen = new Set<number>();
      for (const r of rows) {
        const p = batch[(r.i as number) - 1]!;
        seen.add((r.i as number) - 1);
        const us = Math.max(1, Math.round((Number(r.created) - p.sentAt) * 1000));
        this.hist.recordValue(us);
        this.window.recordValue(us);
      }
      unseen = batch.filter((_, i) => !seen.has(i));
    } finally {
      this.pending = [...unseen, ...this.pending];
      this.polling = false;
    }
    return this.pending.length;
  }

  /** Stops polling in the background, then polls until every sample is seen, `timeoutMs` passes or `signal` aborts. */
  async drain(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.polling) await Bun.sleep(10);
    const deadline = Date.now() + timeoutMs;
    while ((await this.poll()) > 0 && Date.now() < deadline && !signal?.aborted)
      await Bun.sleep(this.opts.pollMs ?? 500);
  }

  /** p50/p99 of the samples seen since the previous call (nulls when none was seen), and starts a new window. */
  takeWindow(): { seen: number; p50: number | null; p99: number | null } {
    const s = latencyStats(this.window);
    this.window.reset();
    return { seen: s.count, p50: s.p50, p99: s.p99 };
  }

  stats(): E2eStats {
    const s = latencyStats(this.hist);
    return { samples: this.samples, seen: s.count, p50: s.p50, p99: s.p99, max: s.max };
  }
}
