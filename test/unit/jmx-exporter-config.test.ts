import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

// services/connect/jmx-exporter.yml is read by the exporter agent on every scrape of the Connect worker, while it
// drains: it must walk only the beans its rules read, and keep each rule's match per attribute name where it can
// (18.6 → 8.1 ms of worker CPU per scrape, docs/decisions/connect-metrics-scrape.md). What it exports is held by the
// e2e test jmx.test.ts.
const config = parse(readFileSync(join(import.meta.dir, "../../services/connect/jmx-exporter.yml"), "utf8")) as {
  includeObjectNames: string[];
  rules: { pattern: string; cache?: boolean }[];
};

/** The `domain:type=…` bean types a rule's pattern can match (`type=(a|b)` names several). */
function beanTypes(pattern: string): string[] {
  const m = /^([\w.]+)<type=(\(([\w|-]+)\)|[\w-]+)/.exec(pattern);
  if (!m) throw new Error(`a rule without a bean type: ${pattern}`);
  const types = m[3] ? m[3].split("|") : [m[2]!];
  return types.map((t) => `${m[1]}:type=${t}`);
}

describe("the Connect worker's JMX exporter config", () => {
  test("walks only the bean types its rules read", () => {
    const read = new Set(config.rules.flatMap((r) => beanTypes(r.pattern)));
    const included = config.includeObjectNames.map((n) => {
      expect(n).toMatch(/^[\w.]+:type=[\w-]+,\*$/); // no `kafka.connect:*`: every Connect bean, most read for nothing
      return n.slice(0, -2);
    });
    expect(new Set(included)).toEqual(read);
  });

  test("caches every rule that matches names only, and no rule that matches a value", () => {
    for (const r of config.rules) {
      // `attr: (capture)` matches the attribute's value, which changes: a cached match would keep the first one.
      const readsValue = /: \(/.test(r.pattern);
      expect({ pattern: r.pattern, cache: r.cache === true }).toEqual({ pattern: r.pattern, cache: !readsValue });
    }
  });
});
