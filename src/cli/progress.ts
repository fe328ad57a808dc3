/** A throttled progress line on stderr ("label 40% 400,000/1,000,000 · 95,000/s"), at most once per `everyMs`. */
export function progress(label: string, total: number, print: (line: string) => void, everyMs = 1000) {
  const t0 = performance.now();
  let lastPrint = 0;
  return (done: number, force = false) => {
    const now = performance.now();
    if (!force && now - lastPrint < everyMs && done < total) return;
    lastPrint = now;
    const rate = done / Math.max(0.001, (now - t0) / 1000);
    print(`${label} ${((100 * done) / total).toFixed(0).padStart(3)}% ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} · ${Math.round(rate).toLocaleString("en-US")}/s`);
  };
}
