// Reads JUnit XML reports (bun's --reporter=junit and Maven surefire's TEST-*.xml) into one tally for test/run.ts.
// A skipped test is a test that did not prove anything: unless it is on the allowlist below it counts as failed, so
// a proof that quietly stops running (a skipIf whose condition became true) breaks the run instead of hiding in it.

/** One test case of a JUnit report. `id` is "<file or class> > <name>", the form the allowlist uses. */
export interface TestCase {
  readonly id: string;
  readonly outcome: "passed" | "failed" | "skipped";
  /** A failed case's message and trace as the report has them (its first lines). */
  readonly reason?: string;
}

/** A failed test and why, for the run's closing lines (the CI log's tail is often all one sees of it). */
export interface Failure {
  readonly id: string;
  readonly reason: string;
}

/** The run's numbers: an unexpected skip is counted as failed (and listed), an allowlisted one as skipped. */
export interface Tally {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly unexpectedSkips: readonly string[];
  readonly failures: readonly Failure[];
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

/** How many lines of a failure's text the closing lines show. */
export const REASON_LINES = 25;

/** The text of a `<failure>`/`<error>` element (its message when it has no body), first lines only. */
function reasonOf(body: string): string | undefined {
  const m = /<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
  if (!m) return undefined;
  const text = unescapeXml(m[3] ?? "").trim() || attr(m[2] ?? "", "message") || attr(m[2] ?? "", "type");
  return text.split("\n").slice(0, REASON_LINES).join("\n");
}

/** Every `<testcase>` of a JUnit XML document, with its outcome (and a failure's reason). */
export function parseJunit(xml: string): TestCase[] {
  const cases: TestCase[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = m[1] ?? "";
    const body = m[2] ?? "";
    const where = attr(attrs, "file") || attr(attrs, "classname");
    const id = `${where} > ${attr(attrs, "name")}`;
    const reason = reasonOf(body);
    if (reason !== undefined) cases.push({ id, outcome: "failed", reason });
    else cases.push({ id, outcome: /<skipped\b/.test(body) ? "skipped" : "passed" });
  }
  return cases;
}

/** Adds up test cases; skips not in `expected` count as failed. */
export function tally(cases: readonly TestCase[], expected: readonly string[] = EXPECTED_SKIPS): Tally {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const unexpectedSkips: string[] = [];
  const failures: Failure[] = [];
  for (const c of cases) {
    if (c.outcome === "passed") passed++;
    else if (c.outcome === "failed") {
      failed++;
      failures.push({ id: c.id, reason: c.reason ?? "" });
    } else if (expected.includes(c.id)) skipped++;
    else unexpectedSkips.push(c.id);
  }
  return { passed, failed: failed + unexpectedSkips.length, skipped, unexpectedSkips, failures };
}

/** Sum of tallies. */
export function sum(ts: readonly Tally[]): Tally {
  return {
    passed: ts.reduce((n, t) => n + t.passed, 0),
    failed: ts.reduce((n, t) => n + t.failed, 0),
    skipped: ts.reduce((n, t) => n + t.skipped, 0),
    unexpectedSkips: ts.flatMap((t) => t.unexpectedSkips),
    failures: ts.flatMap((t) => t.failures),
  };
}

/** A tally for a step that failed without a report (a crash, a refused stack): one failure, named by the step. */
export const stepFailed = (step: string, reason = "it failed without a report; the lines above say why"): Tally => ({
  passed: 0,
  failed: 1,
  skipped: 0,
  unexpectedSkips: [],
  failures: [{ id: step, reason }],
});

/** The failures again, each with its reason indented: printed just before the closing line. */
export const failureLines = (t: Tally): string[] =>
  t.failures.flatMap((f) => [`[report] failed: ${f.id}`, ...f.reason.split("\n").map((l) => `    ${l}`)]);

/** The closing line CI reads. */
export const summaryLine = (t: Tally) => `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
