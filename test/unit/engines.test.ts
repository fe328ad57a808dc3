import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..");
const json = (f: string) => JSON.parse(readFileSync(join(root, f), "utf8"));

describe("dependencies", () => {
  test("every locked package accepts the oldest Node the project declares, so npm install prints no EBADENGINE", () => {
    const oldest = (json("package.json").engines.node as string).replace(/^>=\s*/, "");
    const version = [...oldest.split("."), "0", "0"].slice(0, 3).join("."); // ">=20.19" means 20.19.0
    const packages = json("package-lock.json").packages as Record<string, { version?: string; engines?: unknown }>;
    const refused = Object.entries(packages)
      .filter(([path, p]) => path !== "" && typeof p.engines === "object" && p.engines && "node" in p.engines)
      .filter(([, p]) => !Bun.semver.satisfies(version, (p.engines as { node: string }).node))
      .map(
        ([path, p]) =>
          `${path.replace(/^.*node_modules\//, "")}@${p.version} wants node ${(p.engines as { node: string }).node}`,
      );
    expect(refused).toEqual([]);
  });
});
