import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SluiceError } from "../../src/errors.ts";
import { createStackContext } from "../../src/stack/context.ts";
import { up } from "../../src/stack/supervisor.ts";
import { ctx as shared } from "./harness.ts";

const data = mkdtempSync(join(tmpdir(), "sluice-port-"));
afterAll(() => rmSync(data, { recursive: true, force: true }));

describe("stack start-up errors", () => {
  test("a port taken by another process is an error naming the component and the fix, and nothing is started", async () => {
    // Something else already listens on each port this second stack would use (one each: ports given twice are
    // refused before any check, as a configuration error).
    const keys = [
      "POSTGRES_PORT",
      "KAFKA_PORT",
      "KAFKA_CONTROLLER_PORT",
      "REGISTRY_PORT",
      "CONNECT_PORT",
      "CONNECT_JMX_PORT",
      "ADMIN_PORT",
    ];
    const squatters = keys.map(() => Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }));
    try {
      const ports = Object.fromEntries(keys.map((k, i) => [k, String(squatters[i]!.port)]));
      // PATH only from this process: the rest of its environment must not move the second stack's ports.
      const ctx = createStackContext({
        PATH: process.env.PATH,
        SLUICE_DATA_DIR: data,
        SLUICE_CACHE_DIR: shared.paths.cache,
        ...ports,
      });
      const err = await up(ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SluiceError);
      expect((err as SluiceError).code).toBe("PORT_IN_USE");
      expect((err as SluiceError).message).toMatch(
        /^(postgres|kafka|registry): port \d+ on 127\.0\.0\.1 is already in use/,
      );
      expect((err as SluiceError).message).toContain("another port");
      expect(readdirSync(join(data, "run"))).toEqual([]);
    } finally {
      for (const sq of squatters) sq.stop(true);
    }
  });

  test("ports given to two components are a configuration error naming them, before anything starts", async () => {
    const ctx = createStackContext({ PATH: process.env.PATH, SLUICE_DATA_DIR: data, KAFKA_PORT: "18083" });
    const err = await up(ctx).catch((e: unknown) => e);
    expect((err as SluiceError).code).toBe("CONFIG");
    expect((err as Error).message).toContain("18083 (kafka, connect)");
    expect(readdirSync(join(data, "run"))).toEqual([]);
  });
});
