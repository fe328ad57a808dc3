import { describe, expect, test } from "bun:test";
import { progress } from "../../src/cli/progress.ts";

describe("progress line", () => {
  test("a counter that starts late shows the rate between lines, not the backlog over a few milliseconds", () => {
    let t = 50_000;
    const lines: string[] = [];
    const p = progress(
      "landed ",
      1_000_000,
      (l) => lines.push(l),
      1000,
      () => t,
    );
    p(900_000); // the sink had landed most rows while the producer ran
    t += 1;
    p(900_050); // throttled
    t += 999;
    p(950_000);
    t += 500;
    p(1_000_000); // the last line is always printed
    expect(lines).toEqual([
      "landed   90% 900,000/1,000,000",
      "landed   95% 950,000/1,000,000 · 50,000/s",
      "landed  100% 1,000,000/1,000,000 · 100,000/s",
    ]);
  });
});
