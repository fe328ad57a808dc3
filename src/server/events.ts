/** One server-sent event. */
export interface ServerEvent {
  readonly event: string;
  readonly data: string;
}

export interface EventStreamOptions {
  /** The next event; called only when the client has taken the previous one. */
  next(): Promise<ServerEvent>;
  /** Pause between events. */
  readonly intervalMs: number;
  /** The stream is closed when the client has not asked for the next event within this long. */
  readonly stallMs: number;
  /** Called once when the stream ends (client gone, stalled, or closed). */
  onClose(): void;
}

const encoder = new TextEncoder();

/** The wire form of an event (`data` split per line, as the SSE format requires). */
export const sseFrame = (e: ServerEvent) =>
  `event: ${e.event.replace(/[\r\n]/g, "")}\n${e.data
    .split(/\r\n|\r|\n/)
    .map((l) => `data: ${l}`)
    .join("\n")}\n\n`;

/**
 * A pull-driven event stream: an event is made only when the client (through the HTTP server) asks for the next
 * chunk, so nothing queues up for a slow client: the stream holds at most the one event being delivered. A client
 * that stops reading (a stuck tab, a full socket) is cut off after `stallMs`, which frees its slot.
 */
export function eventStream(o: EventStreamOptions): ReadableStream<Uint8Array> {
  let ended = false;
  let first = true;
  let stall: ReturnType<typeof setTimeout> | undefined;
  let pause: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined;
  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(stall);
    if (pause) {
      clearTimeout(pause.timer);
      pause.resolve();
    }
    o.onClose();
  };
  const armStall = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    stall = setTimeout(() => {
      end();
      try {
        controller.close();
      } catch {}
    }, o.stallMs);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        armStall(controller);
      },
      async pull(controller) {
        clearTimeout(stall);
        if (!first) {
          await new Promise<void>((resolve) => (pause = { timer: setTimeout(resolve, o.intervalMs), resolve }));
        }
        first = false;
        pause = undefined;
        if (ended) return;
        const e = await o.next();
        if (ended) return;
        controller.enqueue(encoder.encode(sseFrame(e)));
        armStall(controller);
      },
      cancel() {
        end();
      },
    },
    // No queue of our own: pull runs only while a read is waiting.
    { highWaterMark: 0 },
  );
}
