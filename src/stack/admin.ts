import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../config/env.ts";
import { parseApiKeys } from "../server/auth.ts";
import { logFile, type Component, type StackContext } from "./component.ts";
import { spawnDetached } from "./process.ts";

/** Where the generated API key is kept when none is configured. */
export const apiKeyFile = (ctx: StackContext) => join(ctx.paths.secrets, "admin-api-key");

/**
 * The API keys of the admin/ingest service: SLUICE_API_KEYS, else the keys in SLUICE_API_KEY_FILE, else one generated
 * on first use into <data dir>/secrets/admin-api-key (mode 600). The key is never printed; `source` says where it is.
 */
export function adminApiKeys(ctx: StackContext): { keys: string[]; source: string } {
  if (ctx.env.SLUICE_API_KEYS) {
    const keys = parseApiKeys(ctx.env.SLUICE_API_KEYS);
    if (keys.length === 0) throw new ConfigError("SLUICE_API_KEYS holds no key; give one or more keys separated by commas (see .env.example).");
    return { keys, source: "SLUICE_API_KEYS" };
  }
  if (ctx.env.SLUICE_API_KEY_FILE) {
    const f = ctx.env.SLUICE_API_KEY_FILE;
    if (!existsSync(f)) throw new ConfigError(`SLUICE_API_KEY_FILE is ${f}, which does not exist; create it with one key per line or unset the variable.`);
    const keys = parseApiKeys(readFileSync(f, "utf8"));
    if (keys.length === 0) throw new ConfigError(`SLUICE_API_KEY_FILE (${f}) holds no key; put one key per line in it.`);
    return { keys, source: f };
  }
  const f = apiKeyFile(ctx);
  if (!existsSync(f)) {
    mkdirSync(ctx.paths.secrets, { recursive: true, mode: 0o700 });
    writeFileSync(f, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
  }
  return { keys: parseApiKeys(readFileSync(f, "utf8")), source: f };
}

/** Base URL of the admin service of the local stack. */
export const adminUrl = (ctx: StackContext) => `http://${ctx.env.SLUICE_HOST}:${ctx.env.ADMIN_PORT}`;

/** The admin/ingest service (`sluice serve`) as a supervised component, started after Connect. */
export function adminComponent(ctx: StackContext): Component {
  return {
    name: "admin",
    port: ctx.env.ADMIN_PORT,
    version: "sluice serve",
    startTimeoutMs: 30_000,
    async prepare() {
      // Create the key now, in the supervisor, so a missing key file is an error of `up`, not of a detached process.
      adminApiKeys(ctx);
      mkdirSync(ctx.paths.logs, { recursive: true });
    },
    start() {
      return spawnDetached({
        // process.execPath is the Bun running `sluice up`, the same runtime bin/sluice uses.
        cmd: process.execPath,
        args: [join(ctx.paths.root, "src", "main.ts"), "serve"],
        cwd: ctx.paths.root,
        env: { ...process.env, ...ctx.childEnv, SLUICE_DATA_DIR: ctx.paths.data },
        log: logFile(ctx, "admin"),
      });
    },
    async healthy() {
      const res = await fetch(`${adminUrl(ctx)}/health`, { signal: AbortSignal.timeout(2000) });
      return res.ok && ((await res.json()) as { status?: string }).status === "ok";
    },
  };
}
