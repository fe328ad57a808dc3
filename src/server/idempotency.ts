/** A response kept for replay to a retried request with the same `Idempotency-Key`. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

type Entry = { fingerprint: string; at: number } & ({ state: "pending" } | { state: "done"; response: StoredResponse });

/** What to do with a request that carries an idempotency key. */
export type IdempotencyDecision =
  | { kind: "proceed" }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "in-progress" }
  | { kind: "mismatch" };

/**
 * Remembers, per scope (API key) and `Idempotency-Key`, the outcome of accepted requests so a client that retries
 * after a lost response does not send the batch to Kafka twice. Bounded in count and age (oldest dropped first), kept
 * in this process only: after a restart a retry is sent again, which the table's primary key makes harmless.
 * Only successes are kept: a failed request leaves nothing behind, so its retry is sent.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 24 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Claims the key for a request whose body hashes to `fingerprint`. */
  begin(scope: string, key: string, fingerprint: string): IdempotencyDecision {
    const id = `${scope}:${key}`;
    const e = this.entries.get(id);
    if (e && this.now() - e.at > this.ttlMs) this.entries.delete(id);
    else if (e) {
      if (e.fingerprint !== fingerprint) return { kind: "mismatch" };
      return e.state === "done" ? { kind: "replay", response: e.response } : { kind: "in-progress" };
    }
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, { fingerprint, at: this.now(), state: "pending" });
    return { kind: "proceed" };
  }

  /** Stores the response of a claimed key. */
  complete(scope: string, key: string, response: StoredResponse): void {
    const id = `${scope}:${key}`;
    const e = this.entries.get(id);
    if (e) this.entries.set(id, { fingerprint: e.fingerprint, at: this.now(), state: "done", response });
  }

  /** Releases a claimed key after a failure, so the retry is processed. */
  abandon(scope: string, key: string): void {
    const id = `${scope}:${key}`;
    if (this.entries.get(id)?.state === "pending") this.entries.delete(id);
  }
}
