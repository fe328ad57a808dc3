import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { Env } from "../config/env.ts";

/** Where the local stack keeps data (survives down/up), run state, logs and the download cache. */
export interface StackPaths {
  readonly root: string;
  readonly data: string;
  readonly run: string;
  readonly logs: string;
  readonly secrets: string;
  readonly cache: string;
}

/** The project root: the folder holding package.json and services/. */
export const PROJECT_ROOT = resolve(import.meta.dir, "..", "..");

export function stackPaths(env: Env, root = PROJECT_ROOT, home = homedir()): StackPaths {
  const data = isAbsolute(env.SLUICE_DATA_DIR) ? env.SLUICE_DATA_DIR : join(root, env.SLUICE_DATA_DIR);
  // Downloads live outside the work tree by default so fresh clones on the same machine start in seconds.
  const cache = env.SLUICE_CACHE_DIR ? resolve(root, env.SLUICE_CACHE_DIR) : join(home, ".cache", "sluice");
  return Object.freeze({
    root,
    data,
    run: join(data, "run"),
    logs: join(data, "logs"),
    secrets: join(data, "secrets"),
    cache,
  });
}
