// test/compose-cli.ts without building Compose (test/unit/compose.test.ts uses the real build): where the tools cache
// is, that a finished build is reused, and that a caller waits for another process's build instead of starting one.
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  COMPOSE_VERSION,
  composeCliPath,
  ensureComposeCli,
  startComposeCliBuild,
  toolsCacheDir,
} from "../compose-cli.ts";

describe("the Compose CLI cache", () => {
  test("lives under XDG_CACHE_HOME, else ~/.cache, per user and shared by clones", () => {
    expect(toolsCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/x/sluice/tools");
    expect(toolsCacheDir({ XDG_CACHE_HOME: "", HOME: "/h" })).toBe("/h/.cache/sluice/tools");
    expect(composeCliPath({ HOME: "/h" })).toBe(`/h/.cache/sluice/tools/compose-${COMPOSE_VERSION}/docker-compose`);
  });

  test("a finished build is reused: no Go run, nothing logged", async () => {
    const cache = mkdtempSync(join(tmpdir(), "sluice-compose-cli-"));
    try {
      const env = { XDG_CACHE_HOME: cache, PATH: "" };
      const dir = join(cache, "sluice", "tools", `compose-${COMPOSE_VERSION}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, ".complete"), "earlier");
      const log: string[] = [];
      expect(await ensureComposeCli((l) => log.push(l), env)).toBe(join(dir, "docker-compose"));
      expect(log).toEqual([]);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  test("while another live process holds the lock, the caller waits for its build and does not build", async () => {
    const cache = mkdtempSync(join(tmpdir(), "sluice-compose-cli-"));
    try {
      const env = { XDG_CACHE_HOME: cache, PATH: "" };
      const dir = join(cache, "sluice", "tools", `compose-${COMPOSE_VERSION}`);
      mkdirSync(join(dir, ".."), { recursive: true });
      // This process stands in for the builder: alive, so its lock is honoured.
      writeFileSync(`${dir}.lock`, String(process.pid));
      const log: string[] = [];
      const waiting = ensureComposeCli((l) => log.push(l), env);
      await Bun.sleep(500);
      mkdirSync(dir);
      writeFileSync(join(dir, ".complete"), "built by the other process");
      rmSync(`${dir}.lock`);
      expect(await waiting).toBe(join(dir, "docker-compose"));
      expect(log).toEqual([]);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 30_000);

  test("the background build runs in its own process and resolves to the binary", async () => {
    const cache = mkdtempSync(join(tmpdir(), "sluice-compose-cli-"));
    try {
      const env = { XDG_CACHE_HOME: cache, PATH: process.env.PATH };
      const dir = join(cache, "sluice", "tools", `compose-${COMPOSE_VERSION}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, ".complete"), "earlier");
      expect(await startComposeCliBuild(env)).toBe(join(dir, "docker-compose"));
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 30_000);
});
