import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type Env } from "../config/env.ts";
import { parseEvery } from "../db/span.ts";
import { type ApiKey, ApiKeyListError, parseApiKeys, SCOPES, type Scope } from "../server/auth.ts";
import { type Component, logFile, type StackContext } from "./component.ts";
import { rolePassword } from "./postgres.ts";
import { baseChildEnv, spawnDetached } from "./process.ts";

/** Where the generated key of a scope is kept when no key is configured: <data dir>/secrets/<scope>-api-key. */
export const apiKeyFile = (ctx: StackContext, scope: Scope = "admin") => join(ctx.paths.secrets, `${scope}-api-key`);

function parseList(text: string, source: string): ApiKey[] {
  try {
    return parseApiKeys(text);
  } catch (e) {
    if (e instanceof ApiKeyListError) throw new ConfigError(`${source}: ${e.message} (see .env.example).`);
    throw e;
  }
}

/**
 * The API keys of the admin/ingest service: SLUICE_API_KEYS, else the keys in SLUICE_API_KEY_FILE, else one key per
 * scope generated on first use into <data dir>/secrets/{ingest,admin}-api-key (mode 600; the file name gives the
 * scope). Keys are never printed; `source` says where they are.
 */
export function adminApiKeys(ctx: StackContext): { keys: ApiKey[]; source: string } {
  if (ctx.env.SLUICE_API_KEYS) {
    const keys = parseList(ctx.env.SLUICE_API_KEYS, "SLUICE_API_KEYS");
    if (keys.length === 0) {
      throw new ConfigError("SLUICE_API_KEYS holds no key; give ingest:KEY / admin:KEY entries (see .env.example).");
    }
    return { keys, source: "SLUICE_API_KEYS" };
  }
  if (ctx.env.SLUICE_API_KEY_FILE) {
    const f = ctx.env.SLUICE_API_KEY_FILE;
    if (!existsSync(f))
      throw new ConfigError(
        `SLUICE_API_KEY_FILE is ${f}, which does not exist; create it with one key per line or unset the variable.`,
      );
    const keys = parseList(readFileSync(f, "utf8"), `SLUICE_API_KEY_FILE (${f})`);
    if (keys.length === 0) {
      throw new ConfigError(`SLUICE_API_KEY_FILE (${f}) holds no key; write ingest:KEY or admin:KEY lines in it.`);
    }
    return { keys, source: f };
  }
  const keys = SCOPES.flatMap((scope) => {
    const f = apiKeyFile(ctx, scope);
    if (!existsSync(f)) {
      mkdirSync(ctx.paths.secrets, { recursive: true, mode: 0o700 });
      writeFileSync(f, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
    }
    return parseApiKeys(readFileSync(f, "utf8"), scope);
  });
  return { keys, source: `${ctx.paths.secrets}/{${SCOPES.join(",")}}-api-key` };
}

/** Base URL of the admin service of the local stack. */
export const adminUrl = (ctx: StackContext) => `http://${ctx.env.SLUICE_HOST}:${ctx.env.ADMIN_PORT}`;

/** The settings `sluice serve` reads (addresses, names, its port): none of them is a credential. */
export const SERVE_SETTINGS = [
  "SLUICE_HOST",
  "ADMIN_PORT",
  "SLUICE_CACHE_DIR",
  "SLUICE_BROKERS",
  "KAFKA_PORT",
  "KAFKA_BOOTSTRAP",
  "REGISTRY_PORT",
  "REGISTRY_URL",
  "CONNECT_PORT",
  "CONNECT_URL",
  "POSTGRES_HOST",
  "POSTGRES_PORT",
  "POSTGRES_DB",
  "METRICS_TOPIC",
  "DLQ_TOPIC",
  "METRICS_MAINTAIN_EVERY",
  "METRICS_PARTITION_INTERVAL",
  "METRICS_PARTITIONS_AHEAD",
  "METRICS_RETENTION",
] as const satisfies readonly (keyof Env)[];

/**
 * The whole environment of the admin process: what Bun needs, the settings serve reads, and only its own
 * credentials: the monitoring role's password, the maintenance role's password when the schedule is on
 * (METRICS_MAINTAIN_EVERY not 0) and, when configured, its API keys. Never the superuser's, the sink's or the
 * analyst's password, nor anything else the shell that ran `sluice up` happens to hold.
 */
export function adminChildEnv(
  ctx: StackContext,
  parent: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env = baseChildEnv(parent);
  for (const k of SERVE_SETTINGS) if (ctx.env[k] !== undefined) env[k] = String(ctx.env[k]);
  for (const [k, v] of Object.entries(ctx.childEnv)) if (v !== undefined) env[k] = v;
  env.SLUICE_DATA_DIR = ctx.paths.data;
  env.POSTGRES_MONITOR_PASSWORD = rolePassword(ctx, "monitor");
  if (parseEvery(ctx.env.METRICS_MAINTAIN_EVERY) > 0) {
    env.POSTGRES_MAINTAINER_PASSWORD = rolePassword(ctx, "maintainer");
  }
  if (ctx.env.SLUICE_API_KEYS) env.SLUICE_API_KEYS = ctx.env.SLUICE_API_KEYS;
  else if (ctx.env.SLUICE_API_KEY_FILE) env.SLUICE_API_KEY_FILE = ctx.env.SLUICE_API_KEY_FILE;
  return env;
}

/** The admin/ingest service (`sluice serve`) as a supervised component, started after Connect. */
export function adminComponent(ctx: StackContext): Component {
  return {
    name: "admin",
    port: ctx.env.ADMIN_PORT,
    version: "sluice serve",
    startTimeoutMs: 30_000,
    async prepare() {
      // Create the keys now, in the supervisor, so a missing key file is an error of `up`, not of a detached process.
      adminApiKeys(ctx);
      mkdirSync(ctx.paths.logs, { recursive: true });
    },
    start() {
      return spawnDetached({
        // process.execPath is the Bun running `sluice up`, the same runtime bin/sluice uses. --no-env-file: Bun would
        // otherwise load the project's .env (which may hold every password) into the admin process.
        cmd: process.execPath,
        args: ["--no-env-file", join(ctx.paths.root, "src", "main.ts"), "serve"],
        cwd: ctx.paths.root,
        env: adminChildEnv(ctx, ctx.baseEnv),
        log: logFile(ctx, "admin"),
      });
    },
    async healthy() {
      const res = await fetch(`${adminUrl(ctx)}/health`, { signal: AbortSignal.timeout(2000) });
      return res.ok && ((await res.json()) as { status?: string }).status === "ok";
    },
  };
}
