// Reads JUnit XML reports (bun's --reporter=junit and Maven surefire's TEST-*.xml) into one tally for test/run.ts.
// A skipped test is a test that did not prove anything: unless it is on the allowlist below it counts as failed, so
// a proof that quietly stops running (a skipIf whose condition became true) breaks the run instead of hiding in it.

/** One test case of a JUnit report. `id` is "<file or class> > <name>", the form the allowlist uses. */
export interface TestCase {
  readonly id: string;
  readonly outcome: "passed" | "failed" | "skipped";
}

/** The run's numbers: an unexpected skip is counted as failed (and listed), an allowlisted one as skipped. */
export interface Tally {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly unexpectedSkips: readonly string[];
}

/**
 * Skips that are expected, by test id. Empty on purpose: every test of `npm test` must run. Add an entry only with a
 * comment saying why the test cannot run under test/run.ts.
 */
export const EXPECTED_SKIPS: readonly string[] = [];

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const unescapeXml = (s: string) =>
  s.replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] !== "#") return ENTITIES[e] ?? m;
    return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });

function attr(attrs: string, name: string): string {
  const m = new RegExp(`\\b${name}="([^"]*)"`).exec(attrs);
  return m ? unescapeXml(m[1]!) : "";
}

/** Every `<testcase>` of a JUnit XML document, with its outcome. */
export function parseJunit(xml: string): TestCase[] {
  const cases: TestCase[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = m[1] ?? "";
    const body = m[2] ?? "";
    const where = attr(attrs, "file") || attr(attrs, "classname");
    const outcome = /<(failure|error)\b/.test(body) ? "failed" : /<skipped\b/.test(body) ? "skipped" : "passed";
    cases.push({ id: `${where} > ${attr(attrs, "name")}`, outcome });
  }
  return cases;
}

/** Adds up test cases; skips not in `expected` count as failed. */
export function tally(cases: readonly TestCase[], expected: readonly string[] = EXPECTED_SKIPS): Tally {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const unexpectedSkips: string[] = [];
  for (const c of cases) {
    if (c.outcome === "passed") passed++;
    else if (c.outcome === "failed") failed++;
    else if (expected.includes(c.id)) skipped++;
    else unexpectedSkips.push(c.id);
  }
  return { passed, failed: failed + unexpectedSkips.length, skipped, unexpectedSkips };
}

/** Sum of tallies. */
export function sum(ts: readonly Tally[]): Tally {
  return {
    passed: ts.reduce((n, t) => n + t.passed, 0),
    failed: ts.reduce((n, t) => n + t.failed, 0),
    skipped: ts.reduce((n, t) => n + t.skipped, 0),
    unexpectedSkips: ts.flatMap((t) => t.unexpectedSkips),
  };
}

/** A tally for a step that failed without a report (a crash, a refused stack): one failure. */
export const stepFailed = (): Tally => ({ passed: 0, failed: 1, skipped: 0, unexpectedSkips: [] });

/** The closing line CI reads. */
export const summaryLine = (t: Tally) => `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
