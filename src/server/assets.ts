import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * The dashboard's static files, served from the installed npm packages (no CDN: the page works offline and on a
 * loopback-only machine). uPlot (MIT) draws the charts. Read once, on first use.
 */
const FILES: Readonly<Record<string, { pkg: string; path: string; type: string }>> = {
  "uplot.iife.min.js": { pkg: "uplot", path: "dist/uPlot.iife.min.js", type: "text/javascript; charset=utf-8" },
  "uplot.min.css": { pkg: "uplot", path: "dist/uPlot.min.css", type: "text/css; charset=utf-8" },
};

const require = createRequire(import.meta.url);
const cache = new Map<string, { body: string; type: string }>();

/** The asset called `name`, or undefined when there is none by that name. */
export function asset(name: string): { body: string; type: string } | undefined {
  const f = FILES[name];
  if (!f) return undefined;
  let hit = cache.get(name);
  if (!hit) {
    const root = dirname(require.resolve(`${f.pkg}/package.json`));
    hit = { body: readFileSync(join(root, f.path), "utf8"), type: f.type };
    cache.set(name, hit);
  }
  return hit;
}
