// Topics as code against the real broker, on topics of this test's own (unique prefix), through the same functions
// `sluice topics plan|apply` and `sluice setup` use.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Admin } from "kafkajs";
import { SluiceError } from "../../src/errors.ts";
import { liveTopics } from "../../src/kafka/topics.ts";
import { applyTopics, desiredTopics, planTopicsLive } from "../../src/provision.ts";
import { client, ctx } from "./harness.ts";

const prefix = `pt.${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}.`;
const a = `${prefix}a`;
const b = `${prefix}b`;
let dir: string;
let admin: Admin;

function topicsFile(topics: Record<string, unknown>): string {
  const f = join(dir, "topics.json");
  writeFileSync(f, JSON.stringify({ topics }));
  return f;
}
const desired = (topics: Record<string, unknown>) => desiredTopics(ctx, topicsFile(topics), prefix);
const spec = {
  partitions: 2,
  replicationFactor: 1,
  retentionMs: 3_600_000,
  compression: "zstd",
  cleanupPolicy: "delete",
  minInsyncReplicas: 1,
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sluice-topics-"));
  admin = client.admin();
  await admin.connect();
});

afterAll(async () => {
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (mine.length) await admin.deleteTopics({ topics: mine });
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe("topics plan / apply on the real broker", () => {
  test("apply from scratch creates with partitions and configs; again is a no-op", async () => {
    const created = await applyTopics(admin, desired({ [a]: spec, [b]: { partitions: 1, replicationFactor: 1 } }));
    expect(created.map((x) => x.kind)).toEqual(["create", "create"]);
    const live = await liveTopics(admin, [a]);
    expect(live.get(a)).toMatchObject({ partitions: 2, replicationFactor: 1 });
    expect(live.get(a)!.config).toMatchObject({
      "retention.ms": "3600000",
      "compression.type": "zstd",
      "cleanup.policy": "delete",
      "min.insync.replicas": "1",
    });
    expect(
      (await applyTopics(admin, desired({ [a]: spec, [b]: { partitions: 1, replicationFactor: 1 } }))).map(
        (x) => x.kind,
      ),
    ).toEqual(["unchanged", "unchanged"]);
    const cli = Bun.spawnSync(
      [
        join(ctx.paths.root, "bin", "sluice"),
        "topics",
        "plan",
        "--file",
        join(dir, "topics.json"),
        "--prefix",
        prefix,
        "--detailed-exitcode",
      ],
      { stdout: "pipe" },
    );
    expect([cli.exitCode, cli.stdout.toString().trim()]).toEqual([0, "No changes: 2 topics match the file."]);
  });

  test("a config change alters only that key, keeps the others set on the topic, and partitions grow", async () => {
    const actions = await applyTopics(admin, desired({ [a]: { ...spec, retentionMs: 7_200_000, partitions: 4 } }));
    expect(actions).toEqual([
      expect.objectContaining({
        kind: "alter",
        name: a,
        diff: [{ key: "retention.ms", from: "3600000", to: "7200000" }],
      }),
      { kind: "partitions", name: a, from: 2, to: 4 },
    ]);
    const live = (await liveTopics(admin, [a])).get(a)!;
    expect(live.partitions).toBe(4);
    expect(live.dynamic).toMatchObject({
      "retention.ms": "7200000",
      "compression.type": "zstd",
      "cleanup.policy": "delete",
    });
  });

  test("fewer partitions or another replication factor is refused and nothing changes", async () => {
    const wanted = desired({
      [a]: { ...spec, retentionMs: 1_000, partitions: 1 },
      [b]: { partitions: 1, replicationFactor: 3 },
    });
    const plan = await planTopicsLive(admin, wanted);
    expect(plan.filter((x) => x.kind === "refuse").map((x) => x.name)).toEqual([a, b]);
    const e = await applyTopics(admin, wanted).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(e).toBeInstanceOf(SluiceError);
    expect((e as SluiceError).message).toContain("cannot remove partitions");
    const live = (await liveTopics(admin, [a])).get(a)!;
    expect([live.partitions, live.config["retention.ms"]]).toEqual([4, "7200000"]);
  });
});
