import type { KafkaGateway } from "./kafka.ts";

/** Header in which Kafka Connect puts why a record was dead-lettered (errors.deadletterqueue.context.headers.enable). */
const REASON_HEADER = "__connect.errors.exception.message";

/** Most new records read per look; beyond, the rest of that look is counted under {@link UNREAD}. */
const MAX_READ = 500;
export const UNREAD = "not read (too many at once)";

/**
 * The kind of a dead-letter reason, for a chart with a handful of series: the field for a contract violation, the
 * SQLSTATE for a row PostgreSQL refused, else the message up to its first colon (the detail after it varies per
 * record).
 */
export function reasonKind(reason: string): string {
  const r = reason.trim();
  if (r === "") return "no reason header";
  const contract = /^contract violation at ([^:]+):/.exec(r);
  if (contract) return `contract: ${contract[1]}`;
  const sql = /^PostgreSQL refused the row \(SQLSTATE (\w+)\)/.exec(r);
  if (sql) return `PostgreSQL refused (SQLSTATE ${sql[1]})`;
  if (r.startsWith("empty record (tombstone)")) return "tombstone";
  const head = r.split(":")[0]!.trim();
  return head.length > 48 ? `${head.slice(0, 47)}…` : head;
}

/** Dead letters counted by kind since the reader started, as of its last look. */
export interface DlqReasons {
  readonly at: number;
  readonly counts: Readonly<Record<string, number>>;
}

/** A running reader: its last counts, and a way to stop it. */
export interface DlqReasonReader {
  current(): DlqReasons | undefined;
  stop(): void;
}

/**
 * Looks at the DLQ every `everyMs`: reads the end offsets (cheap) and, only when they moved, the new records (a
 * short-lived consumer, see KafkaGateway.peek), counting each by {@link reasonKind}. Records that were there before the
 * reader started are not counted: the chart shows arrivals. A look that fails is retried at the next one.
 */
export function startDlqReasons(o: { kafka: KafkaGateway; topic: string; everyMs: number }): DlqReasonReader {
  const counts: Record<string, number> = {};
  let seen: Map<number, number> | undefined;
  let last: DlqReasons | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const look = async () => {
    const offsets = await o.kafka.topicOffsets(o.topic);
    if (seen) {
      const grown = offsets.filter((p) => p.high > (seen!.get(p.partition) ?? p.low));
      const most = Math.max(0, ...grown.map((p) => p.high - (seen!.get(p.partition) ?? p.low)));
      if (most > 0) {
        const records = await o.kafka.peek(o.topic, Math.min(most, MAX_READ), 10_000);
        let read = 0;
        for (const r of records) {
          if (r.offset < (seen.get(r.partition) ?? 0)) continue;
          const kind = reasonKind(r.headers[REASON_HEADER] ?? "");
          counts[kind] = (counts[kind] ?? 0) + 1;
          read++;
        }
        const arrived = grown.reduce((n, p) => n + p.high - (seen!.get(p.partition) ?? p.low), 0);
        if (arrived > read) counts[UNREAD] = (counts[UNREAD] ?? 0) + arrived - read;
      }
    }
    seen = new Map(offsets.map((p) => [p.partition, p.high]));
    last = { at: Date.now(), counts: { ...counts } };
  };
  const tick = async () => {
    await look().catch(() => {});
    if (!stopped) timer = setTimeout(tick, o.everyMs);
  };
  void tick();
  return {
    current: () => last,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
