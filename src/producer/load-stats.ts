// What a load run counts, in one place: acknowledged records and bytes, failures, injected faults, the latency
// histogram, how far sending ran behind the schedule, and the per-window figures. runLoad only schedules and sends.
import type { FaultKind, Outgoing } from "./faults.ts";
import { histogram, latencyStats } from "./latency.ts";
import type { Summary, WindowStats } from "./report.ts";

/** The running counters of one load run; times are performance.now() milliseconds. */
export class LoadStats {
  private readonly hist = histogram();
  private readonly injected: Record<FaultKind, number> = { duplicate: 0, update: 0, malformed: 0, invalid: 0 };
  private sent = 0;
  private valid = 0;
  private errors = 0;
  private bytes = 0;
  private firstError: string | null = null;
  private lag = { sum: 0, max: 0, n: 0 };
  private win = { records: 0, bytes: 0, latSum: 0, latMax: 0, start: 0 };
  private lastAck = 0;

  /** `t0`: when the schedule started. */
  constructor(private readonly t0: number) {
    this.win.start = t0;
  }

  /** A batch handed to Kafka `lagMs` after its oldest record was due. */
  sendStarted(lagMs: number): void {
    this.lag.sum += lagMs;
    this.lag.n++;
    if (lagMs > this.lag.max) this.lag.max = lagMs;
  }

  /**
   * A batch acknowledged at `now`: latency per record from its due time (no coordinated omission), and the records
   * by kind when faults are injected (else every record is valid).
   */
  acked(records: readonly Outgoing[], due: Float64Array, bytes: number, now: number, byKind: boolean): void {
    this.lastAck = now;
    const n = records.length;
    for (let i = 0; i < n; i++) {
      const us = Math.max(1, Math.round((now - due[i]!) * 1000));
      this.hist.recordValue(us);
      this.win.latSum += us;
      if (us > this.win.latMax) this.win.latMax = us;
    }
    this.sent += n;
    this.win.records += n;
    this.win.bytes += bytes;
    this.bytes += bytes;
    if (!byKind) this.valid += n;
    else for (const r of records) r.kind === "valid" ? this.valid++ : this.injected[r.kind]++;
  }

  /** A batch of `n` records whose send failed. */
  failed(n: number, e: unknown): void {
    this.errors += n;
    this.firstError ??= e instanceof Error ? e.message : String(e);
  }

  /** The window since the last call (or the start), and a new window from `now`. */
  takeWindow(now: number): WindowStats {
    const w = this.win;
    const out = {
      records: w.records,
      bytes: w.bytes,
      seconds: (now - w.start) / 1000,
      avgMs: w.records ? w.latSum / w.records / 1000 : null,
      maxMs: w.records ? w.latMax / 1000 : null,
    };
    this.win = { records: 0, bytes: 0, latSum: 0, latMax: 0, start: now };
    return out;
  }

  /** The run's summary; its seconds end at the last acknowledgement (or `now` when nothing was acknowledged). */
  summary(mode: { kind: Summary["mode"]; perSec?: number }, interrupted: boolean, now: number): Summary {
    const seconds = Math.max(1e-9, ((this.lastAck || now) - this.t0) / 1000);
    return {
      mode: mode.kind,
      targetRate: mode.kind === "rate" ? mode.perSec! : null,
      seconds,
      sent: this.sent,
      valid: this.valid,
      errors: this.errors,
      firstError: this.firstError,
      injected: { ...this.injected },
      rate: this.sent / seconds,
      mbPerSec: this.bytes / 1048576 / seconds,
      latency: latencyStats(this.hist),
      scheduleLag: { avgMs: this.lag.n ? this.lag.sum / this.lag.n : null, maxMs: this.lag.n ? this.lag.max : null },
      e2e: null,
      interrupted,
    };
  }
}
