// A component that exits while `sluice up` waits for it: the error carries the end of its log, so the reason (a port
// in use, a bad setting) is in the output — and in a CI log after the test's data dir is gone.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SluiceError } from "../../src/errors.ts";
import { logTail, waitUntil } from "../../src/stack/process.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-start-failure-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a component that exits during start-up", () => {
  test("the error names it, its log and the log's last lines", async () => {
    const log = join(dir, "kafka.log");
    const early = Array.from({ length: 3000 }, (_, k) => `[INFO] line ${k}`).join("\n");
    writeFileSync(log, `${early}\n[ERROR] Socket server failed to bind to 127.0.0.1:43093: Address already in use.\n`);
    const err = await waitUntil("kafka", async () => false, { timeoutMs: 5000, alive: () => false, log }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SluiceError);
    const message = (err as SluiceError).message;
    expect(message).toContain(`kafka exited during start-up; see ${log}`);
    expect(message).toContain("Address already in use");
    expect(message).toContain("[INFO] line 2999");
    expect(message).not.toContain("[INFO] line 2988"); // the last 12 lines only
  });

  test("without a readable log the error is the same, without lines", async () => {
    const err = await waitUntil("postgres", async () => false, {
      timeoutMs: 5000,
      alive: () => false,
      log: join(dir, "missing.log"),
    }).catch((e: unknown) => e);
    expect((err as SluiceError).message).toMatch(
      /postgres exited during start-up; see .*missing\.log \(sluice logs\)$/,
    );
    expect(logTail(join(dir, "missing.log"))).toBe("");
  });
});
