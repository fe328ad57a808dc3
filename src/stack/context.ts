// The one way to build what every entry point needs to reach the stack: the environment parsed once, the paths, the
// pinned versions, a logger, and the part of the parent environment children may inherit. Entry points (src/main.ts,
// bench/main.ts, test/run.ts, the e2e harness) call it; nothing else reads the process environment.
import { parseEnv } from "../config/env.ts";
import { type Log, silentLog } from "../log.ts";
import type { StackContext } from "./component.ts";
import { securedClientDefaults, securedConnectDefaults, securedPostgresDefaults } from "./kafka-security.ts";
import { stackPaths } from "./paths.ts";
import { baseChildEnv } from "./process.ts";
import { readVersions } from "./versions.ts";

export type { StackContext };

/** What an entry point may change in the context it gets. */
export interface StackContextOverrides {
  /** Defaults applied under the process environment (a variable set by the user wins). */
  readonly envDefaults?: Readonly<Record<string, string>>;
  /** Project root (tests point it at a temporary copy). */
  readonly root?: string;
  /** Home folder, for the default download cache. */
  readonly home?: string;
  readonly log?: Log;
  /** Extra variables for the stack's child processes (e.g. TZ for the Connect worker in tests). */
  readonly childEnv?: Readonly<Record<string, string | undefined>>;
}

/**
 * Builds the stack context from the raw process environment: parses it once (throws a ConfigError naming each bad
 * key), derives the paths, reads services/versions.env, and keeps only the variables children may inherit.
 */
export function createStackContext(
  processEnv: Readonly<Record<string, string | undefined>>,
  overrides: StackContextOverrides = {},
): StackContext {
  let env = parseEnv({ ...overrides.envDefaults, ...processEnv });
  const paths = stackPaths(env, overrides.root, overrides.home);
  // A secured local stack: Sluice's commands connect to its Kafka as its `sluice` user and to its PostgreSQL over
  // checked TLS, unless the user named other settings for that component.
  if (env.SLUICE_SECURITY === "sasl_ssl") {
    const kafka = !env.KAFKA_BOOTSTRAP && !processEnv.KAFKA_SECURITY_PROTOCOL ? securedClientDefaults({ paths }) : {};
    const pg = !env.POSTGRES_HOST && !processEnv.POSTGRES_SSLMODE ? securedPostgresDefaults({ paths }) : {};
    const connect = !env.CONNECT_URL && !processEnv.CONNECT_USERNAME ? securedConnectDefaults({ paths }) : {};
    env = parseEnv({ ...overrides.envDefaults, ...kafka, ...pg, ...connect, ...processEnv });
  }
  return Object.freeze({
    env,
    paths,
    versions: readVersions(paths.root),
    log: overrides.log ?? silentLog,
    childEnv: overrides.childEnv ?? {},
    baseEnv: Object.freeze(baseChildEnv(processEnv)),
  });
}

/** The same context with another logger (a command that prints with its own tag). */
export function withLog(ctx: StackContext, log: Log): StackContext {
  return Object.freeze({ ...ctx, log });
}
