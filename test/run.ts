// `npm test`: unit tests, then the end-to-end tests against one real local stack. Starts the stack when it is not
// running (with the Connect worker in a non-UTC zone, to prove no timestamp shifts) and stops it afterwards; a stack
// that was already running is used as it is and left running.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setup } from "../src/setup.ts";
import { timestampedLog } from "../src/log.ts";
import { createStackContext } from "../src/stack/context.ts";
import { down, status, up } from "../src/stack/supervisor.ts";
import { ensureTestTools } from "./tools.ts";

/** The zone the test stack's Connect worker runs in; America/New_York is where the unpinned shift was seen. */
export const TEST_CONNECT_TZ = "America/New_York";

const ctx = createStackContext(process.env, {
  envDefaults: { CONNECT_TZ: TEST_CONNECT_TZ },
  log: timestampedLog("stack"),
});
const { env, paths } = ctx;
const reports = join(paths.data, "test-reports");
mkdirSync(reports, { recursive: true });

function bunTest(name: string, dir: string): { passed: number; failed: number } {
  const outfile = join(reports, `${name}.xml`);
  const r = spawnSync(process.execPath, ["test", "--timeout", "300000", "--reporter=junit", `--reporter-outfile=${outfile}`, dir], {
    cwd: paths.root,
    stdio: "inherit",
    env: { ...process.env, CONNECT_TZ: env.CONNECT_TZ },
  });
  let passed = 0;
  let failed = 0;
  try {
    const xml = readFileSync(outfile, "utf8");
    const attr = (a: string) => Number(new RegExp(`<testsuites[^>]*\\b${a}="(\\d+)"`).exec(xml)?.[1] ?? 0);
    const [tests, failures, errors, skipped] = ["tests", "failures", "errors", "skipped"].map(attr) as [number, number, number, number];
    failed = failures + errors;
    passed = tests - failed - skipped;
  } catch {
    failed = 1;
  }
  if (r.status !== 0 && failed === 0) failed = 1;
  return { passed, failed };
}

/** `mvn test` of the Sluice Connect plugin (JUnit 5), built into the data dir so the work tree stays clean. */
function mavenTest(): { passed: number; failed: number } {
  const build = join(paths.data, "plugin-test-build");
  rmSync(join(build, "surefire-reports"), { recursive: true, force: true });
  const pom = join(paths.root, "services", "connect", "sluice-plugin", "pom.xml");
  const r = spawnSync("mvn", ["-B", "-ntp", "-f", pom, "test", `-Dkafka.version=${ctx.versions.KAFKA_VERSION}`, `-Dsluice.build.dir=${build}`], {
    cwd: paths.root,
    stdio: "inherit",
  });
  let passed = 0;
  let failed = 0;
  const dir = join(build, "surefire-reports");
  for (const f of existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith("TEST-") && n.endsWith(".xml")) : []) {
    const head = /<testsuite\b[^>]*>/.exec(readFileSync(join(dir, f), "utf8"))?.[0] ?? "";
    const attr = (a: string) => Number(new RegExp(`\\b${a}="(\\d+)"`).exec(head)?.[1] ?? 0);
    failed += attr("failures") + attr("errors");
    passed += attr("tests") - attr("failures") - attr("errors") - attr("skipped");
  }
  if (r.status !== 0 && failed === 0) failed = 1;
  return { passed, failed };
}

// Chromium, promtool and schemathesis: installed here when missing, so a fresh CI machine has them.
const missingTools = ensureTestTools(paths.data, (l) => console.error(`[tools] ${l}`));
if (missingTools.length) console.error(`[tools] still missing: ${missingTools.join(", ")}; the tests that need them will fail`);
const java = mavenTest();
const unit = bunTest("unit", "test/unit");
let e2e = { passed: 0, failed: 0 };
let started: string[] = [];
try {
  const before = await status(ctx);
  if (!before.every((c) => c.healthy)) console.error(`[stack] starting the local stack (Connect worker TZ=${env.CONNECT_TZ})…`);
  else console.error("[stack] using the running stack");
  started = await up(ctx);
  await setup(ctx);
  e2e = bunTest("e2e", "test/e2e");
} catch (e) {
  console.error(`[stack] could not run the end-to-end tests: ${(e as Error).message}`);
  e2e.failed += 1;
} finally {
  if (started.length) {
    console.error("[stack] stopping the stack this run started…");
    await down(ctx);
  }
}
const passed = java.passed + unit.passed + e2e.passed;
const failed = java.failed + unit.failed + e2e.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
