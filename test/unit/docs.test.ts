// The README and docs/: the README fits on two screens, every relative link (and its #anchor) resolves, and every
// decision record is short, has its sections and is listed in the index.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..", "..");
const DECISIONS = join(ROOT, "docs", "decisions");

/** Markdown files under a folder, recursively. */
function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return markdownFiles(p);
    return name.endsWith(".md") ? [p] : [];
  });
}

/** The text outside fenced code blocks: links shown inside code are examples, not links. */
const outsideFences = (md: string) => md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");

/** GitHub's heading anchor: lowercase, punctuation dropped (hyphens and underscores kept), spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Anchors of a markdown file's headings; repeated headings get -1, -2 … as on GitHub. */
function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of outsideFences(md).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1] ?? "");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Targets of inline links and images, without inline code spans (`[a](b)` in code is not a link). */
function linkTargets(md: string): string[] {
  const text = outsideFences(md).replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? "");
}

/**
 * Broken relative links of one markdown file: a missing file, or an #anchor that no heading of the target makes.
 * External links (with a scheme) are not checked.
 */
function brokenLinks(file: string, md: string, read: (p: string) => string = (p) => readFileSync(p, "utf8")): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(md)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [path = "", anchor] = target.split("#", 2);
    const abs = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(abs)) {
      broken.push(`${target} (no such file)`);
      continue;
    }
    if (anchor && abs.endsWith(".md") && !anchors(abs === file ? md : read(abs)).has(anchor)) {
      broken.push(`${target} (no heading makes #${anchor})`);
    }
  }
  return broken;
}

const docs = [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))];

describe("README and docs", () => {
  test("the README fits on two screens and starts with the two commands a newcomer needs", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme.split("\n").length).toBeLessThanOrEqual(200);
    // The first lines after the title: the main job, then the tests.
    const first = /^# [^\n]+\n+```sh\n([^\n]*)\n([^\n]*)\n```/.exec(readme);
    expect(first?.[1]).toStartWith("npm install && npm run demo    # ");
    expect(first?.[2]).toStartWith("npm install && npm test        # ");
  });

  test("every relative link in README.md and docs/ resolves to a file, and its #anchor to a heading", () => {
    const broken = docs.flatMap((f) =>
      brokenLinks(f, readFileSync(f, "utf8")).map((b) => `${relative(ROOT, f)}: ${b}`),
    );
    expect(broken).toEqual([]);
  });

  test("the link check finds a missing file and a missing anchor (it is not vacuous)", () => {
    const file = join(ROOT, "README.md");
    const md = [
      "# Title",
      "[ok](docs/decisions/README.md) [ok](#title) [web](https://example.org/x) `[code](nope.md)`",
      "[gone](docs/no-such-file.md) [bad anchor](#no-such-heading) ![img](bench/reference/none.svg)",
      "```",
      "[in a fence](also-missing.md)",
      "```",
    ].join("\n");
    expect(brokenLinks(file, md)).toEqual([
      "docs/no-such-file.md (no such file)",
      "#no-such-heading (no heading makes #no-such-heading)",
      "bench/reference/none.svg (no such file)",
    ]);
    expect(slug("`sluice down` signals only its own processes")).toBe("sluice-down-signals-only-its-own-processes");
    expect([...anchors("## A\n## A\n")]).toEqual(["a", "a-1"]);
  });

  test("decision records: at most 40 lines, with context, decision and consequences, each listed in the index", () => {
    const index = readFileSync(join(DECISIONS, "README.md"), "utf8");
    const listed = new Set(linkTargets(index));
    const records = readdirSync(DECISIONS).filter((n) => n.endsWith(".md") && n !== "README.md");
    expect(records.length).toBeGreaterThan(0);
    const problems = records.flatMap((name) => {
      const md = readFileSync(join(DECISIONS, name), "utf8");
      const out: string[] = [];
      const lines = md.trimEnd().split("\n").length;
      if (lines > 40) out.push(`${name}: ${lines} lines`);
      const headings = anchors(md);
      for (const h of ["context", "decision", "consequences"]) {
        if (!headings.has(h)) out.push(`${name}: no "## ${h}"`);
      }
      if (!listed.has(name)) out.push(`${name}: not in docs/decisions/README.md`);
      return out;
    });
    expect(problems).toEqual([]);
  });
});
