// `npm test`: `npm run check` (typecheck, lint, format), Java and unit tests, then the end-to-end tests against one
// real local stack. Starts the stack when it is not running (with the Connect worker in a non-UTC zone and the JMX
// agent, so the time-zone proof and the JMX check run) and stops it afterwards; a running stack is used as it is and
// left running, unless its worker cannot run those two tests: then the run refuses it rather than skip them. Any skip
// not on test/report.ts's allowlist fails the run. Tools beyond npm come from test/tools.ts; the promtool build starts
// first, in the background.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { timestampedLog } from "../src/log.ts";
import { setup } from "../src/setup.ts";
import { createStackContext } from "../src/stack/context.ts";
import { down, status, up } from "../src/stack/supervisor.ts";
import { startComposeCliBuild } from "./compose-cli.ts";
import { failureLines, parseJunit, stepFailed, sum, summaryLine, type Tally, tally } from "./report.ts";
import { ensurePromtool, ensureSchemathesis } from "./tools.ts";
import { connectWorkerFacts, workerProblems } from "./worker.ts";

/** The zone the test stack's Connect worker runs in; America/New_York is where the unpinned shift was seen. */
export const TEST_CONNECT_TZ = "America/New_York";

const ctx = createStackContext(process.env, {
  envDefaults: { CONNECT_TZ: TEST_CONNECT_TZ },
  log: timestampedLog("stack"),
});
const { env, paths } = ctx;
const reports = join(paths.data, "test-reports");
mkdirSync(reports, { recursive: true });

/** Tally of a JUnit report file; a missing report or a failed exit with no failure in it counts as one failure. */
function readReport(step: string, file: string, exitStatus: number | null): Tally {
  if (!existsSync(file)) return stepFailed(step);
  const t = tally(parseJunit(readFileSync(file, "utf8")));
  return exitStatus !== 0 && t.failed === 0 ? sum([t, stepFailed(step, `exit status ${exitStatus}`)]) : t;
}

function bunTest(name: string, targets: string[]): Tally {
  const outfile = join(reports, `${name}.xml`);
  rmSync(outfile, { force: true });
  const args = ["test", "--timeout", "300000", "--reporter=junit", `--reporter-outfile=${outfile}`, ...targets];
  const r = spawnSync(process.execPath, args, {
    cwd: paths.root,
    stdio: "inherit",
    env: { ...process.env, CONNECT_TZ: env.CONNECT_TZ },
  });
  return readReport(`bun test (${name})`, outfile, r.status);
}

/** `mvn test` of the Sluice Connect plugin (JUnit 5), built into the data dir so the work tree stays clean. */
function mavenTest(): Tally {
  const build = join(paths.data, "plugin-test-build");
  const dir = join(build, "surefire-reports");
  rmSync(dir, { recursive: true, force: true });
  const pom = join(paths.root, "services", "connect", "sluice-plugin", "pom.xml");
  const kafka = `-Dkafka.version=${ctx.versions.KAFKA_VERSION}`;
  const r = spawnSync("mvn", ["-B", "-ntp", "-f", pom, "test", kafka, `-Dsluice.build.dir=${build}`], {
    cwd: paths.root,
    stdio: "inherit",
  });
  const files = existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith("TEST-") && n.endsWith(".xml")) : [];
  const t = tally(files.flatMap((f) => parseJunit(readFileSync(join(dir, f), "utf8"))));
  if (files.length === 0) return stepFailed("mvn test");
  return r.status !== 0 && t.failed === 0 ? sum([t, stepFailed("mvn test", `exit status ${r.status}`)]) : t;
}

/** Unit test files split by whether they need promtool or the Compose CLI (run once the background builds are done). */
function unitFiles(): { now: string[]; afterPromtool: string[] } {
  const files = readdirSync(join(paths.root, "test", "unit"))
    .filter((f) => f.endsWith(".test.ts"))
    .sort();
  const needs = (f: string) =>
    readFileSync(join(paths.root, "test", "unit", f), "utf8").match(/ensurePromtool|ensureComposeCli/) !== null;
  const path = (f: string) => `./test/unit/${f}`;
  return { now: files.filter((f) => !needs(f)).map(path), afterPromtool: files.filter(needs).map(path) };
}

/** Components this run started (and so stops). */
let started: string[] = [];

/** Brings the stack up (or reuses it) and runs the end-to-end tests; refuses a worker that would make tests skip. */
async function endToEnd(): Promise<Tally> {
  const before = await status(ctx);
  const running = before.find((c) => c.name === "connect")?.healthy ?? false;
  if (running) {
    const problems = workerProblems(connectWorkerFacts(paths.run));
    if (problems.length) {
      console.error(
        `[stack] refusing the running stack: ${problems.join("; ")}. The time-zone proof and the JMX ` +
          `check would not run. Stop it (./bin/sluice down) and run npm test again: it starts its own stack.`,
      );
      return stepFailed("end-to-end", `refused the running stack: ${problems.join("; ")}`);
    }
  }
  const tz = env.CONNECT_TZ;
  if (!before.every((c) => c.healthy)) console.error(`[stack] starting the local stack (Connect worker TZ=${tz})…`);
  else console.error("[stack] using the running stack");
  started = await up(ctx);
  const problems = workerProblems(connectWorkerFacts(paths.run));
  if (problems.length) throw new Error(`the stack this run started is not as the tests need: ${problems.join("; ")}`);
  await setup(ctx);
  return bunTest("e2e", ["test/e2e"]);
}

/** `npm run check` (typecheck, lint, format): one passed or failed test, so style cannot drift unnoticed. */
function check(): Tally {
  const r = spawnSync("npm", ["run", "--silent", "check"], { cwd: paths.root, stdio: "inherit" });
  if (r.status === 0) return { passed: 1, failed: 0, skipped: 0, unexpectedSkips: [], failures: [] };
  return stepFailed("npm run check", "`npm run format` fixes formatting; the messages above say the rest");
}

const log = (l: string) => console.error(`[tools] ${l}`);
// The promtool and Compose CLI builds take minutes: they run in the background while the Java and most unit tests
// run (the Compose CLI in its own process, whose lock the compose test waits on).
void startComposeCliBuild(process.env);
const promtool = ensurePromtool(log).then(
  () => undefined,
  (e: Error) => e,
);
if (!ensureSchemathesis(paths.data, log)) log("schemathesis is missing: the OpenAPI fuzz test will fail");
const style = check();
const java = mavenTest();
const { now, afterPromtool } = unitFiles();
const unit = bunTest("unit", now);
const promtoolError = await promtool;
if (promtoolError) log(`could not build promtool: ${promtoolError.message}`);
const unitTools = afterPromtool.length ? bunTest("unit-tools", afterPromtool) : sum([]);
let e2e = stepFailed("end-to-end");
try {
  e2e = await endToEnd();
} catch (e) {
  console.error(`[stack] could not run the end-to-end tests: ${(e as Error).message}`);
  e2e = stepFailed("end-to-end", `could not run: ${(e as Error).message}`);
} finally {
  if (started.length) {
    console.error("[stack] stopping the stack this run started…");
    await down(ctx);
  }
}
const total = sum([style, java, unit, unitTools, e2e]);
for (const id of total.unexpectedSkips) console.error(`[report] unexpected skip (counted as failed): ${id}`);
for (const line of failureLines(total)) console.error(line);
console.log(summaryLine(total));
process.exit(total.failed === 0 && total.passed > 0 ? 0 : 1);
