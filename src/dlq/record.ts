import type { IHeaders } from "kafkajs";

/** A dead-lettered record with the error context Kafka Connect attached (`errors.deadletterqueue.context.headers.enable`). */
export interface DeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly reason: string;
  readonly stage: string;
  readonly exceptionClass: string;
  readonly origin: { readonly topic: string; readonly partition: string; readonly offset: string };
}

const header = (h: IHeaders | undefined, name: string): string => {
  const v = h?.[name];
  return v === undefined ? "" : Array.isArray(v) ? v.map(String).join(",") : String(v);
};

/** Reads the `__connect.errors.*` headers of a DLQ record into a typed value. */
export function toDeadLetter(m: {
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}): DeadLetter {
  const h = m.headers;
  return {
    partition: m.partition,
    offset: m.offset,
    timestamp: Number(m.timestamp),
    key: m.key?.toString() ?? null,
    value: m.value?.toString() ?? null,
    reason: header(h, "__connect.errors.exception.message"),
    stage: header(h, "__connect.errors.stage"),
    exceptionClass: header(h, "__connect.errors.exception.class.name"),
    origin: {
      topic: header(h, "__connect.errors.topic"),
      partition: header(h, "__connect.errors.partition"),
      offset: header(h, "__connect.errors.offset"),
    },
  };
}
