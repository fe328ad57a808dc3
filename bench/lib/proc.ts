// What each process of the stack costs during a scenario: CPU seconds from /proc/<pid>/stat and resident memory from
// /proc/<pid>/status, with shared memory (PostgreSQL's shared buffers) counted once per group. Both files are cheap to
// read; smaps_rollup (true PSS) cost the sampler ~11 % of a core, taken from the processes it measures.
import { readdirSync, readFileSync } from "node:fs";
import { readPid } from "../../src/stack/process.ts";

/** utime + stime of a /proc/<pid>/stat line, in seconds. The command name may hold spaces and parentheses. */
export function cpuSecondsFromStat(stat: string, ticksPerSec = 100): number {
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / ticksPerSec;
}

/** The parent pid of a /proc/<pid>/stat line. */
export function parentFromStat(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/**
 * Resident memory of one process from its /proc/<pid>/status text, in MB: its own anonymous pages, and the pages it
 * shares with its siblings (mapped files: the binary and libraries; shared memory: PostgreSQL's buffers).
 */
export function memoryFromStatus(text: string): { privateMb: number; fileMb: number; shmemMb: number } {
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
  const anon = kb("RssAnon");
  const file = kb("RssFile");
  const shmem = kb("RssShmem");
  // Kernels without the split report VmRSS only.
  if (anon + file + shmem === 0) return { privateMb: kb("VmRSS") / 1024, fileMb: 0, shmemMb: 0 };
  return { privateMb: anon / 1024, fileMb: file / 1024, shmemMb: shmem / 1024 };
}

/** A group's resident memory: every process's own pages, plus what its processes share counted once. */
export function groupMemoryMb(parts: readonly { privateMb: number; fileMb: number; shmemMb: number }[]): number {
  return (
    parts.reduce((a, p) => a + p.privateMb, 0) +
    Math.max(0, ...parts.map((p) => p.fileMb)) +
    Math.max(0, ...parts.map((p) => p.shmemMb))
  );
}

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** A named set of processes, found again at every sample (PostgreSQL starts and ends backends). */
export interface ProcGroup {
  readonly name: string;
  pids(): number[];
}

/**
 * The stack's components from their pid files; PostgreSQL is its postmaster and every child of it. On a cluster a
 * group holds every node or worker of its kind (`kafka`, `kafka-2`, `kafka-3`; `connect`, `connect-2`).
 */
export function stackGroups(
  runDir: string,
  names: readonly string[] = ["connect", "kafka", "postgres", "registry", "admin"],
): ProcGroup[] {
  const members = (n: string) => {
    const own = new RegExp(`^${n}(-\\d+)?\\.pid$`);
    return readdirSync(runDir)
      .filter((f) => own.test(f))
      .map((f) => readPid(runDir, f.slice(0, -4)) ?? 0)
      .filter((pid) => pid > 0);
  };
  return names.map((name) => ({
    name,
    pids: () => {
      const pids = members(name);
      return name === "postgres" ? pids.flatMap((pid) => [pid, ...childrenOf(pid)]) : pids;
    },
  }));
}

/** Children of `parent` (one level: PostgreSQL's backends and workers). */
export function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const stat = read(`/proc/${d}/stat`);
    if (stat && parentFromStat(stat) === parent) out.push(Number(d));
  }
  return out;
}

export interface Usage {
  /** CPU seconds per group over the measured span. */
  readonly cpu: Record<string, number>;
  /** Peak resident memory per group (shared memory once), MB. */
  readonly peakMb: Record<string, number>;
  /** Peak of the sum over all groups, MB. */
  readonly peakTotalMb: number;
}

/**
 * Samples the groups every `everyMs` until stopped. A process's CPU counts from when it was first seen (0 if it
 * started after `start`) to its last sample, so backends that come and go are counted too.
 */
export function meter(groups: readonly ProcGroup[], everyMs = 500): { stop(): Usage } {
  const ticks = 100;
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  const peakMb: Record<string, number> = {};
  let peakTotalMb = 0;
  let initial = true;
  const sample = () => {
    let total = 0;
    for (const g of groups) {
      const parts = [];
      for (const pid of g.pids()) {
        const stat = read(`/proc/${pid}/stat`);
        if (!stat) continue;
        const key = `${g.name}:${pid}`;
        const cpu = cpuSecondsFromStat(stat, ticks);
        if (!first.has(key)) first.set(key, initial ? cpu : 0);
        last.set(key, cpu);
        parts.push(memoryFromStatus(read(`/proc/${pid}/status`) ?? ""));
      }
      const mb = groupMemoryMb(parts);
      peakMb[g.name] = Math.max(peakMb[g.name] ?? 0, mb);
      total += mb;
    }
    peakTotalMb = Math.max(peakTotalMb, total);
    initial = false;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const cpu: Record<string, number> = {};
      for (const g of groups) cpu[g.name] = 0;
      for (const [key, v] of last) {
        const name = key.slice(0, key.lastIndexOf(":"));
        cpu[name] = (cpu[name] ?? 0) + v - first.get(key)!;
      }
      return { cpu, peakMb, peakTotalMb };
    },
  };
}
