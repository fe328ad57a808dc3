import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { countFlag, parseFlags } from "../../src/cli/command.ts";
import { COMMANDS, helpText } from "../../src/cli/index.ts";
import { table } from "../../src/cli/table.ts";
import { SluiceError } from "../../src/errors.ts";

const schema = z.object({ count: countFlag(100), devices: countFlag(10, 1000) });
const opts = { count: { type: "string" as const }, devices: { type: "string" as const } };

function usageError(f: () => unknown): SluiceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError);
    expect((e as SluiceError).code).toBe("USAGE");
    return e as SluiceError;
  }
  throw new Error("expected a usage error");
}

describe("flag parsing", () => {
  test("defaults, plain numbers, underscores and k/m suffixes", () => {
    expect(parseFlags("produce", [], opts, schema).flags).toEqual({ count: 100, devices: 10 });
    expect(parseFlags("produce", ["--count", "1_000_000", "--devices", "1k"], opts, schema).flags.count).toBe(
      1_000_000,
    );
    expect(parseFlags("produce", ["--count", "1m"], opts, schema).flags.count).toBe(1_000_000);
  });

  test("a bad value names the flag, the allowed range and the help", () => {
    const e = usageError(() => parseFlags("produce", ["--devices", "5000"], opts, schema));
    expect(e.message).toContain("devices");
    expect(e.message).toContain("1 to 1000");
    expect(e.message).toContain("sluice produce --help");
    expect(usageError(() => parseFlags("produce", ["--count", "ten"], opts, schema)).message).toContain('got "ten"');
    expect(usageError(() => parseFlags("produce", ["--count", "0"], opts, schema)).message).toContain("count");
  });

  test("an unknown flag is refused by name", () => {
    expect(usageError(() => parseFlags("produce", ["--cuont", "5"], opts, schema)).message).toContain("--cuont");
  });
});

describe("commands", () => {
  test("every command has a summary and a usage, and the help lists them all", () => {
    const help = helpText();
    for (const c of COMMANDS) {
      expect(c.usage).toStartWith(`sluice ${c.name}`);
      expect(help).toContain(c.name);
    }
  });

  test("tables align columns and right-align numbers", () => {
    expect(
      table(
        ["name", "n"],
        [
          ["a", 5],
          ["bbb", 100],
        ],
      ).split("\n"),
    ).toEqual(["name  n", "----  ---", "a       5", "bbb   100"]);
  });
});
