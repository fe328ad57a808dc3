// Test tooling the end-to-end tests need beyond npm: Debian's Chromium (dashboard test), promtool (Prometheus rules and
// config check) and schemathesis (OpenAPI fuzzing, from PyPI into a venv under the data dir). test/run.ts calls this
// so a fresh CI machine gets them; each step is skipped when the tool is already there.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Debian's Chromium, driven by playwright-core in test/e2e/dashboard.test.ts. */
export const CHROMIUM = "/usr/bin/chromium";
/** schemathesis from PyPI, pinned. */
export const SCHEMATHESIS_VERSION = "4.32.5";

/** The venv holding schemathesis, under the (git-ignored) data dir. */
export const schemathesisBin = (dataDir: string) => join(dataDir, "venv-schemathesis", "bin", "schemathesis");

const onPath = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

function sh(log: (l: string) => void, cmd: string, args: string[], env: Record<string, string> = {}): boolean {
  log(`$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...env } });
  return r.status === 0;
}

/**
 * Installs what is missing. Debian packages only when running as root (CI is); otherwise it says what to install.
 * Returns the tools still missing, so the caller can report them instead of failing obscurely later.
 */
export function ensureTestTools(dataDir: string, log: (l: string) => void): string[] {
  const debs: string[] = [];
  if (!existsSync(CHROMIUM)) debs.push("chromium");
  if (!onPath("promtool")) debs.push("prometheus");
  if (debs.length) {
    if (process.getuid?.() === 0 && onPath("apt-get")) {
      const env = { DEBIAN_FRONTEND: "noninteractive" };
      // --no-install-recommends: only the binaries; the prometheus package's service is not wanted (nor started in CI).
      if (!sh(log, "apt-get", ["update", "-qq"], env) || !sh(log, "apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...debs], env)) {
        log(`could not install ${debs.join(", ")} with apt-get`);
      }
    } else {
      log(`missing test tools; install them with: apt-get install -y ${debs.join(" ")}`);
    }
  }
  const st = schemathesisBin(dataDir);
  if (!existsSync(st)) {
    const venv = join(dataDir, "venv-schemathesis");
    let made = sh(log, "python3", ["-m", "venv", venv]);
    // Debian's own python3 ships venv separately.
    if (!made && process.getuid?.() === 0 && onPath("apt-get")) {
      made = sh(log, "apt-get", ["install", "-y", "-qq", "python3-venv"], { DEBIAN_FRONTEND: "noninteractive" }) && sh(log, "python3", ["-m", "venv", "--clear", venv]);
    }
    const ok = made && sh(log, join(venv, "bin", "pip"), ["install", "-q", "--disable-pip-version-check", `schemathesis==${SCHEMATHESIS_VERSION}`]);
    if (!ok) log("could not install schemathesis from PyPI into a venv (needs python3 with venv)");
  }
  const missing: string[] = [];
  if (!existsSync(CHROMIUM)) missing.push("chromium");
  if (!onPath("promtool")) missing.push("promtool");
  if (!existsSync(st)) missing.push("schemathesis");
  return missing;
}
