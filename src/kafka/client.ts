import { createRequire } from "node:module";
import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
// Every client made here reads and writes lz4 and zstd batches (the producer's default is zstd).
import "./codecs.ts";

const require = createRequire(import.meta.url);

/**
 * kafkajs 2.2.4's RequestQueue schedules its throttle check with `throttledUntil - Date.now()` where
 * `throttledUntil` starts at -1, i.e. a timeout of about minus the epoch in ms. Node clamps it to 1 ms; Bun does the
 * same but prints a TimeoutNegativeWarning for every connection. Clamping the delay here keeps the exact behaviour
 * (check pending requests in 1 ms) without the warning.
 */
function clampThrottleCheck(): void {
  const RequestQueue = require("kafkajs/src/network/requestQueue/index.js");
  const proto = RequestQueue.prototype as { scheduleCheckPendingRequests(): void; __sluiceClamped?: boolean };
  if (proto.__sluiceClamped) return;
  proto.scheduleCheckPendingRequests = function (this: {
    throttledUntil: number;
    throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
    pending: unknown[];
    checkPendingRequests(): void;
  }) {
    if (this.throttleCheckTimeoutId) return;
    const until = this.throttledUntil - Date.now();
    // kafkajs' CHECK_PENDING_REQUESTS_INTERVAL is 10 ms when requests wait; otherwise it fires at once.
    const delay = until > 0 ? until : this.pending.length > 0 ? 10 : 1;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
  proto.__sluiceClamped = true;
}
clampThrottleCheck();

/** A kafkajs client: quiet unless something is wrong. */
export function kafka(brokers: string[], clientId = "sluice", extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.ERROR, ...extra });
}
