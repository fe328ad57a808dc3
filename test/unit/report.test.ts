// The runner's tally (test/report.ts): skips are counted, and a skip that is not on the allowlist fails the run;
// and the worker check (test/worker.ts) that keeps the time-zone proof and the JMX check from skipping.
import { describe, expect, test } from "bun:test";
import { failureLines, parseJunit, REASON_LINES, stepFailed, sum, summaryLine, tally } from "../report.ts";
import { provesZone, workerProblems } from "../worker.ts";

// As bun 1.4.5 writes it (--reporter=junit): nested suites, a skip, a todo, a failure.
const BUN_XML = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bun test" tests="4" assertions="0" failures="1" skipped="2" time="0.006">
  <testsuite name="a.test.ts" file="a.test.ts" tests="4" assertions="0" failures="1" skipped="2" time="0.003">
    <testsuite name="grp" file="a.test.ts" line="2" tests="3" assertions="0" failures="0" skipped="2" time="0">
      <testcase name="ok &amp; &quot;fine&quot;" classname="grp" time="0.000008" file="a.test.ts" line="2" />
      <testcase name="skipped one" classname="grp" time="0" file="a.test.ts" line="2" assertions="0">
        <skipped />
      </testcase>
      <testcase name="todo one" classname="grp" time="0" file="a.test.ts" line="2" assertions="0">
        <skipped message="TODO" />
      </testcase>
    </testsuite>
    <testcase name="top fail" classname="" time="0.0001" file="a.test.ts" line="3" assertions="0">
      <failure type="Error" message="x">Error: x&#10;      at a.test.ts:3:45&#10;</failure>
    </testcase>
  </testsuite>
</testsuites>`;

// As Maven surefire writes TEST-*.xml (no file attribute: the class names the test).
const SUREFIRE_XML = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="io.sluice.X" tests="3" errors="1" skipped="1" failures="0">
  <testcase name="converts" classname="io.sluice.XTest" time="0.01"/>
  <testcase name="disabled" classname="io.sluice.XTest" time="0"><skipped message="@Disabled"/></testcase>
  <testcase name="throws" classname="io.sluice.XTest" time="0"><error type="IllegalStateException"/></testcase>
</testsuite>`;

describe("JUnit reports", () => {
  test("bun's report: each case with its outcome and id", () => {
    expect(parseJunit(BUN_XML)).toEqual([
      { id: 'a.test.ts > ok & "fine"', outcome: "passed" },
      { id: "a.test.ts > skipped one", outcome: "skipped" },
      { id: "a.test.ts > todo one", outcome: "skipped" },
      { id: "a.test.ts > top fail", outcome: "failed", reason: "Error: x\n      at a.test.ts:3:45" },
    ]);
  });

  test("surefire's report: an <error> is a failure, the class names the case", () => {
    expect(parseJunit(SUREFIRE_XML).map((c) => c.outcome)).toEqual(["passed", "skipped", "failed"]);
    expect(parseJunit(SUREFIRE_XML)[1]!.id).toBe("io.sluice.XTest > disabled");
  });

  test("a skip not on the allowlist counts as failed and is named; an allowlisted one as skipped", () => {
    const t = tally(parseJunit(BUN_XML), ["a.test.ts > todo one"]);
    expect(t).toEqual({
      passed: 1,
      failed: 2,
      skipped: 1,
      unexpectedSkips: ["a.test.ts > skipped one"],
      failures: [{ id: "a.test.ts > top fail", reason: "Error: x\n      at a.test.ts:3:45" }],
    });
    expect(tally(parseJunit(BUN_XML), []).failed).toBe(3);
  });

  test("the closing line sums every step and shows skips", () => {
    const t = sum([tally(parseJunit(BUN_XML), ["a.test.ts > todo one"]), tally(parseJunit(SUREFIRE_XML), [])]);
    expect(summaryLine(t)).toBe("2 passed, 4 failed, 1 skipped");
    expect(t.unexpectedSkips).toEqual(["a.test.ts > skipped one", "io.sluice.XTest > disabled"]);
  });
});

describe("why a test failed, in the run's closing lines", () => {
  // As bun writes an assertion failure: the diff in the body, escaped.
  const failing = (body: string) =>
    `<testsuite><testcase name="t" file="f.test.ts"><failure type="AssertionError" message="m">${body}</failure></testcase></testsuite>`;

  test("each failure is listed with its reason, unescaped and indented, before the closing line", () => {
    const t = sum([
      tally(parseJunit(failing("expect(received).toBe(expected)&#10;&#10;Expected: 2&#10;Received: 1 &lt;&amp;&gt;"))),
      stepFailed("mvn test", "exit status 1"),
    ]);
    expect(failureLines(t)).toEqual([
      "[report] failed: f.test.ts > t",
      "    expect(received).toBe(expected)",
      "    ",
      "    Expected: 2",
      "    Received: 1 <&>",
      "[report] failed: mvn test",
      "    exit status 1",
    ]);
  });

  test("a long trace is cut to its first lines; an <error> without a body gives its type", () => {
    const long = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("&#10;");
    expect(parseJunit(failing(long))[0]!.reason!.split("\n")).toHaveLength(REASON_LINES);
    expect(parseJunit(SUREFIRE_XML)[2]!.reason).toBe("IllegalStateException");
  });
});

describe("the Connect worker the end-to-end tests need", () => {
  test("a zone other than UTC proves the time-zone handling; UTC or none does not", () => {
    expect(["America/New_York", "Asia/Kolkata"].map(provesZone)).toEqual([true, true]);
    expect([undefined, "", "UTC", "Etc/UTC"].map(provesZone)).toEqual([false, false, false, false]);
  });

  test("each reason to refuse a worker is named", () => {
    expect(workerProblems({ pid: 1, tz: "America/New_York", jmxAgent: true })).toEqual([]);
    expect(workerProblems(undefined)).toEqual(["no Connect worker is running"]);
    expect(workerProblems({ pid: 1, tz: undefined, jmxAgent: false })).toEqual([
      "its Connect worker runs in TZ=unset, not in a zone other than UTC",
      "its Connect worker was started without the JMX exporter agent",
    ]);
  });
});
