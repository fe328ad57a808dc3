import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type Component, logFile, type StackContext } from "./component.ts";
import { ensureApicurio } from "./fetch.ts";
import { spawnDetached } from "./process.ts";

/** Base URL of the Confluent-compatible API of the local registry. */
export const registryUrl = (ctx: StackContext) =>
  ctx.env.REGISTRY_URL ?? `http://${ctx.env.SLUICE_HOST}:${ctx.env.REGISTRY_PORT}/apis/ccompat/v7`;

export function registryComponent(ctx: StackContext): Component {
  const dir = join(ctx.paths.data, "registry");
  let home = "";
  const base = `http://${ctx.env.SLUICE_HOST}:${ctx.env.REGISTRY_PORT}`;

  return {
    name: "registry",
    port: ctx.env.REGISTRY_PORT,
    version: `Apicurio ${ctx.versions.APICURIO_VERSION}`,
    startTimeoutMs: 120_000,
    async prepare() {
      home = await ensureApicurio(ctx.paths.cache, ctx.versions, ctx.log);
      mkdirSync(dir, { recursive: true });
    },
    start() {
      const jar = readdirSync(home).find((f) => f.endsWith("-runner.jar"))!;
      return spawnDetached({
        cmd: "java",
        args: [
          "-Xmx256m",
          "-Duser.timezone=UTC",
          `-Dquarkus.http.host=${ctx.env.SLUICE_HOST}`,
          `-Dquarkus.http.port=${ctx.env.REGISTRY_PORT}`,
          // File-backed H2: schema ids survive a restart (the default in-memory store restarts them at 1).
          `-Dapicurio.datasource.url=jdbc:h2:file:${join(dir, "registry")}`,
          "-jar",
          join(home, jar),
        ],
        cwd: dir,
        env: { ...ctx.baseEnv, ...ctx.childEnv },
        log: logFile(ctx, "registry"),
      });
    },
    async healthy() {
      const res = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    },
  };
}
