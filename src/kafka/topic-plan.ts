import { readFileSync } from "node:fs";
import { z } from "zod";
import type { KeyChange } from "../connect/plan.ts";
import { SluiceError } from "../errors.ts";

/** Friendly names in the topics file → Kafka topic config keys. */
const NAMED = {
  retentionMs: "retention.ms",
  compression: "compression.type",
  cleanupPolicy: "cleanup.policy",
  minInsyncReplicas: "min.insync.replicas",
} as const;

const TopicEntry = z
  .strictObject({
    partitions: z.int().min(1).max(10_000),
    replicationFactor: z.int().min(1).max(16),
    retentionMs: z.int().min(-1).optional(),
    compression: z.enum(["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"]).optional(),
    cleanupPolicy: z.enum(["delete", "compact", "compact,delete"]).optional(),
    minInsyncReplicas: z.int().min(1).optional(),
    /** Any other topic config, as Kafka spells it (`segment.ms`, …). */
    config: z
      .record(z.string().regex(/^[a-z0-9.]+$/, "must be a Kafka topic config key such as segment.ms"), z.string())
      .optional(),
  })
  .superRefine((t, ctx) => {
    if (t.minInsyncReplicas !== undefined && t.minInsyncReplicas > t.replicationFactor) {
      ctx.addIssue({
        code: "custom",
        path: ["minInsyncReplicas"],
        message: `is ${t.minInsyncReplicas} but replicationFactor is ${t.replicationFactor}; lower it or no write could succeed`,
      });
    }
    for (const [field, key] of Object.entries(NAMED)) {
      if (t.config && key in t.config)
        ctx.addIssue({ code: "custom", path: ["config", key], message: `is set by "${field}"; remove it from config` });
    }
  });

/** The topics file (`services/topics.json`): `{ "topics": { "<name>": { partitions, replicationFactor, … } } }`. */
export const TopicsFile = z.strictObject({
  topics: z.record(
    z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "must be a Kafka topic name (letters, digits, '.', '_', '-')"),
    TopicEntry,
  ),
});

/** One desired topic: Kafka's own config keys. */
export interface TopicDecl {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

/** A topic as the cluster has it. `config` holds current values; `dynamic` the ones set on the topic itself. */
export interface LiveTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
  readonly dynamic: Readonly<Record<string, string>>;
}

export type TopicAction =
  | { readonly kind: "create"; readonly topic: TopicDecl }
  /** `config` is the complete set of topic-level configs to send (AlterConfigs replaces the whole set). */
  | {
      readonly kind: "alter";
      readonly name: string;
      readonly diff: readonly KeyChange[];
      readonly config: Readonly<Record<string, string>>;
    }
  | { readonly kind: "partitions"; readonly name: string; readonly from: number; readonly to: number }
  | { readonly kind: "refuse"; readonly name: string; readonly reason: string }
  | { readonly kind: "unchanged"; readonly name: string };

/** Checks a parsed topics file and turns it into declarations. */
export function parseTopicsFile(raw: unknown, path: string): TopicDecl[] {
  const r = TopicsFile.safeParse(raw);
  if (!r.success) throw new SluiceError("TOPICS_FILE", `${path}:\n${z.prettifyError(r.error)}\nFix the key(s) above.`);
  return Object.entries(r.data.topics).map(([name, t]) => {
    const config: Record<string, string> = { ...t.config };
    for (const [field, key] of Object.entries(NAMED)) {
      const v = t[field as keyof typeof NAMED];
      if (v !== undefined) config[key] = String(v);
    }
    return { name, partitions: t.partitions, replicationFactor: t.replicationFactor, config };
  });
}

/** Reads and checks a topics file. */
export function readTopicsFile(path: string): TopicDecl[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new SluiceError("TOPICS_FILE", `${path}: not readable JSON (${(e as Error).message}); fix the file.`);
  }
  return parseTopicsFile(raw, path);
}

/**
 * The plan for topics: create what is missing, alter configs that differ, add partitions. Fewer partitions (Kafka
 * cannot remove them; keys would move) and a different replication factor (needs a reassignment) are refused with
 * the reason. Only declared config keys are compared; topics absent from the file are left alone. Pure.
 */
export function planTopics(desired: readonly TopicDecl[], live: ReadonlyMap<string, LiveTopic>): TopicAction[] {
  const actions: TopicAction[] = [];
  for (const d of desired) {
    const l = live.get(d.name);
    if (!l) {
      actions.push({ kind: "create", topic: d });
      continue;
    }
    let changed = false;
    if (d.partitions < l.partitions) {
      actions.push({
        kind: "refuse",
        name: d.name,
        reason: `partitions ${l.partitions} → ${d.partitions}: Kafka cannot remove partitions (it would also move keys); recreate the topic under a new name or keep ${l.partitions}`,
      });
      changed = true;
    }
    if (d.replicationFactor !== l.replicationFactor) {
      actions.push({
        kind: "refuse",
        name: d.name,
        reason: `replication factor ${l.replicationFactor} → ${d.replicationFactor}: needs a partition reassignment (kafka-reassign-partitions), which this tool does not do; keep ${l.replicationFactor}`,
      });
      changed = true;
    }
    const diff = Object.keys(d.config)
      .sort()
      .filter((k) => l.config[k] !== d.config[k])
      .map((k) => ({ key: k, ...(l.config[k] !== undefined ? { from: l.config[k] } : {}), to: d.config[k] }));
    if (diff.length) {
      actions.push({ kind: "alter", name: d.name, diff, config: { ...l.dynamic, ...d.config } });
      changed = true;
    }
    if (d.partitions > l.partitions) {
      actions.push({ kind: "partitions", name: d.name, from: l.partitions, to: d.partitions });
      changed = true;
    }
    if (!changed) actions.push({ kind: "unchanged", name: d.name });
  }
  return actions;
}

/** The topic plan in terraform style, with a summary line. */
export function formatTopicPlan(actions: readonly TopicAction[]): string {
  const lines: string[] = [];
  for (const a of actions) {
    if (a.kind === "create") {
      lines.push(
        `+ topic ${a.topic.name} (partitions ${a.topic.partitions}, replication factor ${a.topic.replicationFactor})`,
      );
      for (const k of Object.keys(a.topic.config).sort())
        lines.push(`    + ${k} = ${JSON.stringify(a.topic.config[k])}`);
    } else if (a.kind === "alter") {
      lines.push(`~ topic ${a.name} config`);
      for (const c of a.diff)
        lines.push(
          `    ~ ${c.key}: ${c.from === undefined ? "(unset)" : JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`,
        );
    } else if (a.kind === "partitions") lines.push(`~ topic ${a.name} partitions ${a.from} → ${a.to}`);
    else if (a.kind === "refuse") lines.push(`! topic ${a.name}: refused, ${a.reason}`);
  }
  const n = (k: string) => actions.filter((a) => a.kind === k).length;
  const topics = new Set(
    actions.filter((a) => a.kind === "alter" || a.kind === "partitions").map((a) => (a as { name: string }).name),
  ).size;
  lines.push(
    n("create") + topics + n("refuse") === 0
      ? `No changes: ${n("unchanged")} topic${n("unchanged") === 1 ? "" : "s"} match the file.`
      : `Plan: ${n("create")} to create, ${topics} to change, ${n("unchanged")} unchanged${n("refuse") ? `, ${n("refuse")} refused` : ""}.`,
  );
  return lines.join("\n");
}

/** True when applying the topic plan would change something (or refuse). */
export const hasTopicChanges = (actions: readonly TopicAction[]) => actions.some((a) => a.kind !== "unchanged");
