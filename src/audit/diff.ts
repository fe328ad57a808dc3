import type { Bucket } from "../producer/manifest.ts";

/**
 * The audit's core: compares the buckets a load run recorded (src/producer/manifest.ts) with the same buckets
 * computed from the table (buckets.ts), per device × metric code × minute. Pure.
 *
 * Per bucket: fewer rows than sent → missing rows; more → unexpected rows; as many but another checksum → wrong
 * values (some row holds a value that was not the last one sent for its key). A bucket with both a lost and an extra
 * row shows as wrong values too, since the count alone cannot tell.
 */
export type DiffKind = "missing" | "unexpected" | "wrong-values";

export interface BucketDiff {
  readonly kind: DiffKind;
  readonly device_id: string;
  readonly metric_name: number;
  readonly minute: number;
  readonly expectedRows: number;
  readonly actualRows: number;
}

export interface AuditResult {
  readonly ok: boolean;
  readonly expectedRows: number;
  readonly actualRows: number;
  readonly missingRows: number;
  readonly unexpectedRows: number;
  /** Buckets whose count matches and whose checksum does not. */
  readonly wrongValueBuckets: number;
  readonly buckets: { expected: number; actual: number; differing: number };
  /** Differing buckets, sorted by device, code, minute. */
  readonly diffs: readonly BucketDiff[];
}

const keyOf = (b: Pick<Bucket, "device_id" | "metric_name" | "minute">) =>
  `${b.device_id}|${b.metric_name}|${b.minute}`;

/** Compares expected (manifest) with actual (table) buckets. */
export function diffBuckets(expected: readonly Bucket[], actual: readonly Bucket[]): AuditResult {
  const act = new Map(actual.map((b) => [keyOf(b), b]));
  const diffs: BucketDiff[] = [];
  let missingRows = 0;
  let unexpectedRows = 0;
  let wrongValueBuckets = 0;
  const push = (kind: DiffKind, b: Bucket, expectedRows: number, actualRows: number) =>
    diffs.push({
      kind,
      device_id: b.device_id,
      metric_name: b.metric_name,
      minute: b.minute,
      expectedRows,
      actualRows,
    });
  for (const e of expected) {
    const k = keyOf(e);
    const a = act.get(k);
    act.delete(k);
    const got = a?.count ?? 0;
    if (got < e.count) {
      missingRows += e.count - got;
      push("missing", e, e.count, got);
    } else if (got > e.count) {
      unexpectedRows += got - e.count;
      push("unexpected", e, e.count, got);
    } else if (a!.checksum !== e.checksum) {
      wrongValueBuckets++;
      push("wrong-values", e, e.count, got);
    }
  }
  for (const a of act.values()) {
    unexpectedRows += a.count;
    push("unexpected", a, 0, a.count);
  }
  diffs.sort((x, y) =>
    x.device_id < y.device_id
      ? -1
      : x.device_id > y.device_id
        ? 1
        : x.metric_name - y.metric_name || x.minute - y.minute,
  );
  const sum = (bs: readonly Bucket[]) => bs.reduce((s, b) => s + b.count, 0);
  return {
    ok: diffs.length === 0,
    expectedRows: sum(expected),
    actualRows: sum(actual),
    missingRows,
    unexpectedRows,
    wrongValueBuckets,
    buckets: { expected: expected.length, actual: actual.length, differing: diffs.length },
    diffs,
  };
}
