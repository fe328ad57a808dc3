/** A line printer: progress and diagnostics go through one of these, never straight to the console. */
export type Log = (line: string) => void;

/** `HH:MM:SS` of `now` in UTC, the stamp every progress line carries. */
export function clock(now = new Date()): string {
  return now.toISOString().slice(11, 19);
}

/**
 * The one timestamped logger: `[tag HH:MM:SS] line` (or `[HH:MM:SS] line` without a tag) to `write`, stderr by
 * default so stdout stays for results a script may parse.
 */
export function timestampedLog(tag?: string, write: (s: string) => void = (s) => console.error(s)): Log {
  const prefix = tag ? `${tag} ` : "";
  return (line) => write(`[${prefix}${clock()}] ${line}`);
}

/** A logger that drops every line (tests that only need the stack's addresses). */
export const silentLog: Log = () => {};
