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
    // Something else already listens where every component of this second stack would go.
    const squatter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const p = String(squatter.port);
      // PATH only from this process: the rest of its environment must not move the second stack's ports.
      const ctx = createStackContext({
        PATH: process.env.PATH,
        SLUICE_DATA_DIR: data,
        SLUICE_CACHE_DIR: shared.paths.cache,
        POSTGRES_PORT: p,
        KAFKA_PORT: p,
        KAFKA_CONTROLLER_PORT: String(squatter.port + 1),
        REGISTRY_PORT: p,
        CONNECT_PORT: p,
        ADMIN_PORT: p,
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
      squatter.stop(true);
    }
  });
});
