/** Renders rows as an aligned plain-text table (numbers right-aligned). */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[], raw?: (string | number)[]) =>
    r
      .map((c, i) => (typeof raw?.[i] === "number" ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
      .join("  ")
      .trimEnd();
  return [line(head), width.map((w) => "-".repeat(w)).join("  "), ...rows.map((r) => line(r.map(String), r))].join(
    "\n",
  );
}
