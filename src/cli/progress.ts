/**
 * A throttled progress line ("label 40% 400,000/1,000,000 · 95,000/s"), at most once per `everyMs`. The rate is the
 * one since the previous line, not since the start: a counter that starts late (rows landed while the producer was
 * still running) would otherwise show the whole backlog divided by a few milliseconds. The first line has no
 * previous one, so it shows no rate.
 */
export function progress(
  label: string,
  total: number,
  print: (line: string) => void,
  everyMs = 1000,
  now: () => number = () => performance.now(),
) {
  let last: { at: number; done: number } | undefined;
  return (done: number, force = false) => {
    const at = now();
    if (last && !force && at - last.at < everyMs && done < total) return;
    const rate = last
      ? ` · ${Math.round((done - last.done) / Math.max(0.001, (at - last.at) / 1000)).toLocaleString("en-US")}/s`
      : "";
    last = { at, done };
    const pct = ((100 * done) / total).toFixed(0).padStart(3);
    print(`${label} ${pct}% ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")}${rate}`);
  };
}
