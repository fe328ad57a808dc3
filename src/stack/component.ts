import type { Env } from "../config/env.ts";
import type { StackPaths } from "./paths.ts";
import type { Versions } from "./versions.ts";

/** What every component module gets: parsed env, paths, pinned versions and a progress printer (see context.ts). */
export interface StackContext {
  readonly env: Env;
  readonly paths: StackPaths;
  readonly versions: Versions;
  readonly log: (line: string) => void;
  /** Extra environment for child processes (e.g. TZ for the Connect worker in tests). */
  readonly childEnv: Readonly<Record<string, string | undefined>>;
  /** The variables of the parent's environment a child of the stack may inherit (see baseChildEnv). */
  readonly baseEnv: Readonly<Record<string, string>>;
}

/** One process of the local stack. */
export interface Component {
  readonly name: string;
  readonly port: number;
  /** Other ports it listens on (Kafka's controller, Connect's metrics agent), checked free before a start. */
  readonly otherPorts?: readonly number[];
  readonly version: string;
  /** Fetches and configures what is missing; idempotent, fast when already done. */
  prepare(): Promise<void>;
  /** Starts the process detached and returns its pid. */
  start(): number;
  /** True when the component answers requests (not merely listens). */
  healthy(): Promise<boolean>;
  readonly startTimeoutMs: number;
  /** Signal for a clean, quick stop (PostgreSQL: SIGINT, a fast shutdown that does not wait for clients). */
  readonly stopSignal?: NodeJS.Signals;
}

/** Fills `{{NAME}}` placeholders; an unknown placeholder is a bug in the template, so it throws. */
export function render(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, k: string) => {
    if (!(k in vars)) throw new Error(`template placeholder {{${k}}} has no value`);
    return String(vars[k]);
  });
}

/** Log file of a component. */
export const logFile = (ctx: StackContext, name: string) => `${ctx.paths.logs}/${name}.log`;
