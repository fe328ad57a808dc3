// What the running Connect worker was started with, read from /proc: its TZ and whether it loaded the JMX exporter
// agent. test/run.ts refuses a stack whose worker cannot run the time-zone proof or the JMX check, and those two
// tests use the same facts.
import { readFileSync } from "node:fs";
import { readPid } from "../src/stack/process.ts";

/** Facts about the Connect worker whose pid file is in `runDir`; undefined when none runs. */
export interface WorkerFacts {
  readonly pid: number;
  readonly tz: string | undefined;
  readonly jmxAgent: boolean;
}

const readProc = (pid: number, file: string) => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
};

/** The worker's TZ and JMX agent, from /proc/<pid>/environ and cmdline. */
export function connectWorkerFacts(runDir: string): WorkerFacts | undefined {
  const pid = readPid(runDir, "connect");
  const cmdline = pid ? readProc(pid, "cmdline") : undefined;
  if (!pid || cmdline === undefined) return undefined;
  const environ = (readProc(pid, "environ") ?? "").split("\0");
  const tz = environ.find((e) => e.startsWith("TZ="))?.slice(3);
  return { pid, tz, jmxAgent: cmdline.includes("jmx_prometheus_javaagent") };
}

/** Whether a worker zone proves anything: in UTC (or unset) a time-zone shift cannot show. */
export const provesZone = (tz: string | undefined) => !!tz && !["UTC", "Etc/UTC", "UTC0", "GMT"].includes(tz);

/** Why this worker cannot run the time-zone proof (a zone other than UTC) and the JMX check; empty when it can. */
export function workerProblems(facts: WorkerFacts | undefined): string[] {
  if (!facts) return ["no Connect worker is running"];
  const problems: string[] = [];
  const tz = facts.tz ?? "unset";
  if (!provesZone(facts.tz)) problems.push(`its Connect worker runs in TZ=${tz}, not in a zone other than UTC`);
  if (!facts.jmxAgent) problems.push("its Connect worker was started without the JMX exporter agent");
  return problems;
}
