import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * End-to-end latency as the load tester measured it over its last report window, published for the admin service's
 * dashboard: a small JSON file in the stack's run folder, replaced atomically each window. Local only by design: the
 * dashboard charts what a load tester on the same stack measures, and says so when none runs.
 */
export interface PublishedE2e {
  /** Epoch ms of the window's end. */
  readonly at: number;
  readonly topic: string;
  readonly table: string;
  /** Samples seen in PostgreSQL during the window. */
  readonly seen: number;
  readonly p50: number | null;
  readonly p99: number | null;
}

export const e2eFile = (runDir: string) => join(runDir, "e2e-latency.json");

/** Writes `e` for the dashboard (temp file + rename, so a reader never sees half a file). */
export function publishE2e(runDir: string, e: PublishedE2e): void {
  const file = e2eFile(runDir);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(e));
  renameSync(`${file}.tmp`, file);
}

/** The latest published window for `topic`, if it is at most `maxAgeMs` old at `now`. */
export function readE2e(runDir: string, topic: string, now: number, maxAgeMs = 15_000): PublishedE2e | undefined {
  try {
    const e = JSON.parse(readFileSync(e2eFile(runDir), "utf8")) as PublishedE2e;
    return e.topic === topic && now - e.at <= maxAgeMs && typeof e.at === "number" ? e : undefined;
  } catch {
    return undefined;
  }
}
