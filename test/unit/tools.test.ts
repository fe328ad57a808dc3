// Where the test tools live (test/tools.ts): one per-user cache, shared by every clone, that follows XDG.
import { describe, expect, test } from "bun:test";
import { PROMTOOL_VERSION, promtoolBin, toolsCacheDir } from "../tools.ts";

describe("tools cache", () => {
  test("under $XDG_CACHE_HOME when set, else ~/.cache", () => {
    expect(toolsCacheDir({ XDG_CACHE_HOME: "/x/cache", HOME: "/home/u" })).toBe("/x/cache/sluice/tools");
    expect(toolsCacheDir({ XDG_CACHE_HOME: "", HOME: "/home/u" })).toBe("/home/u/.cache/sluice/tools");
    expect(toolsCacheDir({ HOME: "/home/u" })).toBe("/home/u/.cache/sluice/tools");
  });

  test("promtool's place names its version, so a version bump builds anew", () => {
    expect(promtoolBin({ HOME: "/home/u" })).toBe(`/home/u/.cache/sluice/tools/promtool-${PROMTOOL_VERSION}/promtool`);
  });
});
