import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConnectorFile, readConnectorDir } from "../../src/connect/desired.ts";
import { diffConfig, formatConnectorPlan, hasChanges, planConnectors } from "../../src/connect/plan.ts";
import { isLiteralSecret, redact } from "../../src/connect/secrets.ts";
import { lagOf } from "../../src/connect/status.ts";
import { atLeast, capabilities } from "../../src/connect/version.ts";
import { SluiceError } from "../../src/errors.ts";
import {
  formatTopicPlan,
  type LiveTopic,
  parseTopicsFile,
  planTopics,
  type TopicDecl,
} from "../../src/kafka/topic-plan.ts";
import { localizeTopics } from "../../src/provision.ts";

const sink = (extra: Record<string, string> = {}) => ({
  "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
  topics: "a",
  "tasks.max": "1",
  ...extra,
});

function fails(f: () => unknown): SluiceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError);
    return e as SluiceError;
  }
  throw new Error("expected a SluiceError");
}

describe("connector files", () => {
  test("both forms: {name, config} and the config alone, named by the file", () => {
    expect(parseConnectorFile({ name: "a", config: sink() }, "/x/a.json")).toEqual({ name: "a", config: sink() });
    expect(parseConnectorFile(sink(), "/x/b.json")).toEqual({ name: "b", config: sink() });
  });

  test("unknown keys, wrong types, a missing class and a name that is not the file's are refused with file, key and fix", () => {
    const unknown = fails(() => parseConnectorFile({ name: "a", config: sink(), tasks: 2 }, "/x/a.json")).message;
    expect(unknown).toContain("/x/a.json");
    expect(unknown).toContain("tasks");
    const wrongType = fails(() => parseConnectorFile({ ...sink(), "tasks.max": 2 }, "/x/a.json")).message;
    expect(wrongType).toContain("tasks.max");
    expect(wrongType).toContain('write "2", not 2');
    const noClass = fails(() => parseConnectorFile({ topics: "a" }, "/x/a.json")).message;
    expect(noClass).toContain("connector.class");
    expect(fails(() => parseConnectorFile({ name: "b", config: sink() }, "/x/a.json")).message).toContain(
      'does not match the file name "a"',
    );
    expect(fails(() => parseConnectorFile({ ...sink(), name: "b" }, "/x/a.json")).message).toContain("does not match");
  });

  test("a literal secret is refused without echoing it; provider references pass", () => {
    const e = fails(() => parseConnectorFile(sink({ "connection.password": "hunter2-very-secret" }), "/x/a.json"));
    expect(e.message).toContain("connection.password");
    expect(e.message).toContain("${env:");
    expect(e.message).not.toContain("hunter2");
    expect(
      parseConnectorFile(sink({ "connection.password": "${env:PW}", "x.token": "${file:/run/t:token}" }), "/x/a.json")
        .name,
    ).toBe("a");
    expect(isLiteralSecret("sasl.jaas.secret", "abc")).toBe(true);
    expect(isLiteralSecret("batch.size", "abc")).toBe(false);
  });

  test("a directory is read sorted and filtered by prefix; one bad file stops the read", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-conn-"));
    try {
      writeFileSync(join(dir, "p-b.json"), JSON.stringify(sink()));
      writeFileSync(join(dir, "p-a.json"), JSON.stringify({ name: "p-a", config: sink() }));
      writeFileSync(join(dir, "q.json"), JSON.stringify(sink()));
      writeFileSync(join(dir, "notes.txt"), "ignored");
      expect(readConnectorDir(dir, "p-").map((s) => s.name)).toEqual(["p-a", "p-b"]);
      writeFileSync(join(dir, "q.json"), "{");
      expect(fails(() => readConnectorDir(dir, "p-")).message).toContain("q.json");
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe("connector planner", () => {
  const live = new Map([
    ["p-same", { ...sink(), name: "p-same" }],
    ["p-changed", { ...sink(), name: "p-changed", "batch.size": "10" }],
    ["p-stray", { ...sink(), name: "p-stray" }],
    ["metrics-sink", { ...sink(), name: "metrics-sink" }],
  ]);
  const desired = [
    { name: "p-same", config: sink() },
    { name: "p-changed", config: sink({ "tasks.max": "2" }) },
    { name: "p-new", config: sink() },
  ];

  test("create, update with a per-key diff, unchanged; strays are reported, not deleted", () => {
    const actions = planConnectors(desired, live, { prefix: "p-" });
    expect(actions.map((a) => [a.kind, a.name])).toEqual([
      ["unchanged", "p-same"],
      ["update", "p-changed"],
      ["create", "p-new"],
      ["unmanaged", "p-stray"],
    ]);
    const update = actions[1]!;
    expect(update.kind === "update" && update.diff).toEqual([
      { key: "batch.size", from: "10" },
      { key: "tasks.max", from: "1", to: "2" },
    ]);
    expect(hasChanges(actions)).toBe(true);
  });

  test("a live sink created with the plugin's old class names (one package) is updated to the new packages", () => {
    const [spec] = readConnectorDir(join(import.meta.dir, "..", "..", "connectors"));
    const onePackage = /^dev\.sluice\.connect\.(sink|converter|transform)\./;
    const old = Object.fromEntries(
      Object.entries(spec!.config).map(([k, v]) => [k, v.replace(onePackage, "dev.sluice.connect.")]),
    );
    const [action] = planConnectors([spec!], new Map([[spec!.name, old]]));
    expect(action!.kind).toBe("update");
    const p = "dev.sluice.connect.";
    expect(action!.kind === "update" && action!.diff.map((d) => [d.key, d.from, d.to])).toEqual([
      ["connector.class", `${p}PgUpsertSinkConnector`, `${p}sink.PgUpsertSinkConnector`],
      ["key.converter", `${p}ContractJsonConverter`, `${p}converter.ContractJsonConverter`],
      ["transforms.keyMatchesValue.type", `${p}KeyMatchesValue`, `${p}transform.KeyMatchesValue`],
      ["value.converter", `${p}ContractJsonConverter`, `${p}converter.ContractJsonConverter`],
    ]);
  });

  test("prune deletes only live connectors within the prefix that no file declares", () => {
    const actions = planConnectors(desired, live, { prefix: "p-", prune: true });
    expect(actions.filter((a) => a.kind === "delete").map((a) => a.name)).toEqual(["p-stray"]);
    expect(actions.map((a) => a.name)).not.toContain("metrics-sink");
  });

  test("nothing to do: no changes, and the live `name` key is not a difference", () => {
    const actions = planConnectors([{ name: "p-same", config: sink() }], live, { prefix: "p-same" });
    expect(actions).toEqual([{ kind: "unchanged", name: "p-same" }]);
    expect(hasChanges(actions)).toBe(false);
    expect(formatConnectorPlan(actions)).toBe("No changes: 1 connector match the files.");
    expect(diffConfig({ a: "1", name: "x" }, { a: "1" })).toEqual([]);
  });

  test("the plan reads like terraform, masks literal secrets and shortens long values", () => {
    const text = formatConnectorPlan([
      { kind: "create", name: "p-new", config: { a: "1", "value.converter.schema.content": "x".repeat(500) } },
      {
        kind: "update",
        name: "p-changed",
        config: {},
        diff: [
          { key: "tasks.max", from: "1", to: "2" },
          { key: "connection.password", from: "plain-secret", to: "${env:PW}" },
        ],
      },
      { kind: "delete", name: "p-stray" },
      { kind: "unchanged", name: "p-same" },
    ]);
    expect(text).toContain('+ connector p-new\n    + a = "1"');
    expect(text).toContain("(500 chars)");
    expect(text).toContain('~ connector p-changed (2 keys)\n    ~ tasks.max: "1" → "2"');
    expect(text).toContain('~ connection.password: "(sensitive)" → "${env:PW}"');
    expect(text).not.toContain("plain-secret");
    expect(text).toContain("- connector p-stray");
    const schema = (type: string) =>
      `{"fields":[${'{"field":"x","type":"string"},'.repeat(10)}{"field":"value","type":"${type}"}]}`;
    const contractChange = formatConnectorPlan([
      {
        kind: "update",
        name: "s",
        config: {},
        diff: [{ key: "value.converter.schema.content", from: schema("float64"), to: schema("float32") }],
      },
    ]);
    expect(contractChange).toContain('"type\\":\\"float64\\"}]}" → "');
    expect(contractChange).toContain('"type\\":\\"float32\\"}]}" (first difference at character');
    expect(text).toEndWith("Plan: 1 to create, 1 to update, 1 to delete, 1 unchanged.");
  });
});

describe("topics file and planner", () => {
  const file = {
    topics: {
      metrics: {
        partitions: 6,
        replicationFactor: 1,
        retentionMs: 604800000,
        compression: "zstd",
        cleanupPolicy: "delete",
        minInsyncReplicas: 1,
      },
      "metrics.dlq": { partitions: 1, replicationFactor: 1, config: { "segment.ms": "3600000" } },
    },
  };

  test("named fields become Kafka config keys; the environment renames the main topics", () => {
    const decls = parseTopicsFile(file, "topics.json");
    expect(decls[0]).toEqual({
      name: "metrics",
      partitions: 6,
      replicationFactor: 1,
      config: {
        "retention.ms": "604800000",
        "compression.type": "zstd",
        "cleanup.policy": "delete",
        "min.insync.replicas": "1",
      },
    });
    const local = localizeTopics(decls, { METRICS_TOPIC: "m2", DLQ_TOPIC: "m2.dlq", TOPIC_PARTITIONS_METRICS: 12 });
    expect(local.map((d) => [d.name, d.partitions])).toEqual([
      ["m2", 12],
      ["m2.dlq", 1],
    ]);
  });

  test("unknown keys, wrong types and bad values are refused with the file, the key and the fix", () => {
    const bad = (t: unknown) => fails(() => parseTopicsFile({ topics: { x: t } }, "topics.json")).message;
    expect(bad({ partitions: 1, replicationFactor: 1, retention: 5 })).toContain("retention");
    expect(bad({ partitions: "3", replicationFactor: 1 })).toContain("partitions");
    expect(bad({ partitions: 1, replicationFactor: 1, compression: "brotli" })).toContain("compression");
    expect(bad({ partitions: 1, replicationFactor: 1, minInsyncReplicas: 2 })).toContain("replicationFactor is 1");
    expect(bad({ partitions: 1, replicationFactor: 1, config: { "retention.ms": "1" } })).toContain(
      'set by "retentionMs"',
    );
    expect(fails(() => parseTopicsFile({ topics: {}, extra: 1 }, "topics.json")).message).toContain("topics.json");
  });

  const decl = (d: Partial<TopicDecl> = {}): TopicDecl => ({
    name: "t",
    partitions: 3,
    replicationFactor: 1,
    config: { "retention.ms": "1000" },
    ...d,
  });
  const liveOf = (l: Partial<LiveTopic> = {}) =>
    new Map<string, LiveTopic>([
      [
        "t",
        {
          name: "t",
          partitions: 3,
          replicationFactor: 1,
          config: { "retention.ms": "1000", "cleanup.policy": "delete" },
          dynamic: { "retention.ms": "1000", "segment.ms": "60000" },
          ...l,
        },
      ],
    ]);

  test("create, unchanged, alter config (keeping other topic-level configs), add partitions", () => {
    expect(planTopics([decl()], new Map())).toEqual([{ kind: "create", topic: decl() }]);
    expect(planTopics([decl()], liveOf())).toEqual([{ kind: "unchanged", name: "t" }]);
    const alter = planTopics([decl({ config: { "retention.ms": "2000", "cleanup.policy": "compact" } })], liveOf());
    expect(alter).toEqual([
      {
        kind: "alter",
        name: "t",
        diff: [
          { key: "cleanup.policy", from: "delete", to: "compact" },
          { key: "retention.ms", from: "1000", to: "2000" },
        ],
        config: { "retention.ms": "2000", "segment.ms": "60000", "cleanup.policy": "compact" },
      },
    ]);
    expect(planTopics([decl({ partitions: 6 })], liveOf())).toEqual([
      { kind: "partitions", name: "t", from: 3, to: 6 },
    ]);
    const text = formatTopicPlan([
      ...planTopics([decl({ name: "n" })], new Map()),
      ...alter,
      ...planTopics([decl({ partitions: 6 })], liveOf()),
    ]);
    expect(text).toContain("+ topic n (partitions 3, replication factor 1)");
    expect(text).toContain('~ retention.ms: "1000" → "2000"');
    expect(text).toContain("~ topic t partitions 3 → 6");
    expect(text).toEndWith("Plan: 1 to create, 1 to change, 0 unchanged.");
  });

  test("fewer partitions and another replication factor are refused with the reason", () => {
    const [fewer] = planTopics([decl({ partitions: 2 })], liveOf());
    expect(fewer).toMatchObject({ kind: "refuse", name: "t" });
    expect(fewer!.kind === "refuse" && fewer!.reason).toContain("cannot remove partitions");
    const [rf] = planTopics([decl({ replicationFactor: 3 })], liveOf());
    expect(rf!.kind === "refuse" && rf!.reason).toContain("reassignment");
    expect(formatTopicPlan([fewer!, rf!])).toContain("2 refused");
  });
});

describe("worker versions, secrets in Connect's errors, lag", () => {
  test("features are gated on the version GET / reports", () => {
    expect(capabilities("4.3.1")).toEqual({
      version: "4.3.1",
      restartOnlyFailed: true,
      offsetsApi: true,
      patchConfig: true,
      schemaContent: true,
    });
    expect(capabilities("3.6.0-ccs")).toMatchObject({ offsetsApi: true, patchConfig: false, schemaContent: false });
    expect(capabilities("2.8.1")).toMatchObject({ restartOnlyFailed: false, offsetsApi: false });
    expect(atLeast("3.10.0", "3.9")).toBe(true);
    expect(atLeast("3.4.9", "3.5")).toBe(false);
  });

  test("Connect's echo of a resolved config is scrubbed", () => {
    const body =
      'Connector config {errors.tolerance=all, connection.password=2rP-1bu, api.key=k1, tasks.max=2} {"sasl.secret":"s3"}';
    const r = redact(body);
    for (const s of ["2rP-1bu", "k1,", "s3"]) expect(r).not.toContain(s);
    expect(r).toContain("tasks.max=2");
    expect(r).toContain("connection.password=[redacted]");
  });

  test("lag per partition: end minus committed, or minus the log start when nothing is committed", () => {
    expect(
      lagOf(new Map([["t:0", 5]]), [
        {
          topic: "t",
          partitions: [
            { partition: 1, high: "7", low: "2" },
            { partition: 0, high: "9", low: "0" },
          ],
        },
      ]),
    ).toEqual([
      { topic: "t", partition: 0, committed: 5, end: 9, lag: 4 },
      { topic: "t", partition: 1, committed: null, end: 7, lag: 5 },
    ]);
  });
});
