// The contract converter reads a record token by token first and falls back to a JSON tree for anything its fast
// path cannot vouch for. This proves the two paths agree: every record, valid or poison (the producer's own bytes and
// thousands of mutations of them), gives the same value or the same error through both, for the value and the key.
// It runs the plugin as built by the stack (the supervisor's cache), in a JVM of its own; no Connect worker needed.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { keyConnectSchema, keyJsonSchema, valueConnectSchema, valueJsonSchema } from "../../src/contract/index.ts";
import { encodeKey, encodeValue } from "../../src/producer/encode.ts";
import { rng } from "../../src/producer/rng.ts";
import { metricAt, planRun } from "../../src/producer/workload.ts";
import { ensureKafkaJars, ensureSluicePlugin } from "../../src/stack/fetch.ts";
import { ctx } from "./harness.ts";

/** Replacements for one field's JSON text: edge cases of every kind the contract and the parser care about. */
const EDGES = [
  "null", "true", '"x"', '""', "0", "-0", "10", "10.0", "1e1", "1E+1", "-1", "0.5", "40000", "-32769", "32768",
  "253402300799999", "253402300800000", "9223372036854775807", "9223372036854775808", "1e999", "-1e999", "1.5e308",
  "123456789012345678901234567890", "[]", '["a"]', '["a\\u0000b"]', '["\\ud800"]', '["\\ud83d\\ude00"]', "{}",
  `[${Array(16).fill('"t"').join(",")}]`, `[${Array(17).fill('"t"').join(",")}]`, `["${"x".repeat(64)}"]`, `["${"x".repeat(65)}"]`,
  `["${"\\ud83d\\ude00".repeat(64)}"]`, '"3F2B6C1E-8A4D-4F7E-9C2A-1B3D5E7F9A0C"', '"3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c"',
  '"3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0"', '"3f2b6c1e\\u002d8a4d-4f7e-9c2a-1b3d5e7f9a0c"', "[1]", '[null]', "01", "NaN",
  "-0.0", "0.0", "1.", ".5", "+1", "1e", "1e+", "2.5e-3", "0x10", "1_000", "Infinity", "123456789012345678", "-123456789012345678",
  "1234567890123456789", "0.1000000000000000055511151231257827", "4.9e-324", "1e-400", "12 ", " 12", "1 2", '["a" , "b" ]', "[ ]",
  '["a",]', '[,"a"]', '["é"]', '["\\u00e9"]', '["a\\"b"]', '["a\\/b"]', '["tab\there"]', '["\u007f"]', `["${"é".repeat(64)}"]`,
  `["${"é".repeat(65)}"]`, '"3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c "', '"3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c', "tru", "nul",
];

/** Whole-record mutations of a valid record's JSON text. */
function mutateText(text: string, r: () => number): string[] {
  const cut = Math.floor(r() * text.length);
  return [
    text + " ", text + "x", text + "{}", ` ${text}`, text.slice(0, cut), text.slice(cut), `${text.slice(0, cut)}\u0000${text.slice(cut)}`,
    text.replace("{", '{"value":1,'), text.replace("{", '{"unit":"C",'), text.replace("{", "{ "), text.replace(/,/, ", "),
    text.replace(/"tags":\[[^\]]*\]/, '"tags":[]'), text.replace(/,"tags":\[[^\]]*\]/, ""), `[${text}]`, "", "null", "{}",
    `\ufeff${text}`, text.replace(/([{,:[])/g, "$1 "), text.replace(/([{,:[])/g, "$1\n\t"), `\r\n${text}\r\n`,
    text.replace(/"d(\w+)":/, '"\\u0064$1":'), text.replace("}", ",}"), text.replace("{", "{,"), text.replace(":", "::"),
    text.replace('"tags":[', '"tags":["é",'), text.replace('"tags":[', '"tags":["\\u0041",'),
  ];
}

/** Every field of `text` replaced by each edge value, and dropped, and repeated. */
function mutateFields(text: string): string[] {
  const obj = JSON.parse(text) as Record<string, unknown>;
  const out: string[] = [];
  for (const f of Object.keys(obj)) {
    for (const e of EDGES) {
      const parts = Object.entries(obj).map(([k, v]) => `${JSON.stringify(k)}:${k === f ? e : JSON.stringify(v)}`);
      out.push(`{${parts.join(",")}}`);
    }
    const { [f]: _dropped, ...rest } = obj;
    out.push(JSON.stringify(rest));
    out.push(`{${JSON.stringify(f)}:${JSON.stringify(obj[f])},${text.slice(1)}`);
    out.push(text.replace(`"${f}"`, `"${f.toUpperCase()}"`));
  }
  return out;
}

/** Hard cases of decimal-to-double rounding, then doubles from random bits in three spellings each. */
function doubleTexts(r: () => number): string[] {
  const hard = [
    "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
    "1.7976931348623157e308", "1.7976931348623158e308", "9007199254740993", "9007199254740993.0", "0.1", "0.30000000000000004",
    "1.00000000000000011102230246251565404236316680908203125", "123456789012345678901234567890.5", "1e23", "8.41e21",
    "5e-324", "1e-323", "0.000000000000000000000000000001", "3.14159265358979323846264338327950288",
  ];
  const view = new DataView(new ArrayBuffer(8));
  const out = [...hard];
  while (out.length < 3000) {
    view.setUint32(0, Math.floor(r() * 2 ** 32));
    view.setUint32(4, Math.floor(r() * 2 ** 32));
    const x = view.getFloat64(0);
    if (Number.isFinite(x)) out.push(String(x), x.toPrecision(17), x.toExponential(19).replace("e+", "e"));
  }
  return out;
}

function corpus(records: string[], seed: string): string[] {
  const r = rng(seed).next;
  const out = [...records];
  for (const [i, t] of records.entries()) {
    out.push(...mutateText(t, r));
    if (i < 8) out.push(...mutateFields(t));
  }
  // The value's double through every reader: each must give the bits Double.parseDouble gives.
  if (records[0]?.includes('"value":')) {
    for (const [i, d] of doubleTexts(r).entries()) out.push(records[i % records.length]!.replace(/"value":[^,]+/, `"value":${d}`));
  }
  return out;
}

type Outcome = { fast: string; tree: string; path: string };

function runBothPaths(schema: unknown, contract: unknown, records: string[]): Outcome[] {
  const jars = ensureKafkaJars(ctx.paths.root, ctx.paths.cache, ctx.versions, () => {}) as string;
  const plugin = ensureSluicePlugin(ctx.paths.root, ctx.paths.cache, ctx.versions, () => {});
  const input = [JSON.stringify(schema), JSON.stringify(contract), ...records.map((x) => Buffer.from(x, "utf8").toString("base64"))].join("\n");
  const r = spawnSync("java", ["-Xmx256m", "-cp", `${join(plugin, "sluice", "*")}:${join(jars, "libs", "*")}`, join(ctx.paths.root, "test", "fixtures", "ConverterDiff.java")], {
    input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`ConverterDiff failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.trimEnd().split("\n");
  expect(lines.length).toBe(records.length);
  return lines.map((l) => {
    const [fast, tree, path] = l.split("\t") as [string, string, string];
    return { fast, tree, path };
  });
}

const run = planRun({ seed: "converter-paths", count: 400, devices: 50, startMs: Date.UTC(2026, 5, 1) });
const metrics = Array.from({ length: run.count }, (_, k) => metricAt(run, k));

describe("contract converter: fast path and tree path agree", () => {
  for (const [what, schema, contract, records] of [
    ["value", valueConnectSchema(), valueJsonSchema(), metrics.map(encodeValue)],
    ["key", keyConnectSchema(), keyJsonSchema(), metrics.map(encodeKey)],
  ] as const) {
    test(`${what}: the producer's records and thousands of mutations give the same value or the same error`, () => {
      const all = corpus([...records], `converter-paths-${what}`);
      const results = runBothPaths(schema, contract, all);
      const differ = results.map((x, i) => ({ record: all[i], ...x })).filter((x) => x.fast !== x.tree);
      expect(differ.slice(0, 5)).toEqual([]);
      // The producer's records all take the byte scanner (it is not a reader that always hands over), and the corpus
      // covers every outcome: mutations accepted by each fast reader, and thousands refused.
      const own = results.slice(0, records.length);
      expect(own.filter((x) => !x.tree.startsWith("ok ") || x.path !== "bytes")).toEqual([]);
      const mutants = results.slice(records.length);
      const acceptedBy = (path: string) => mutants.filter((x) => x.tree.startsWith("ok ") && x.path === path).length;
      expect(acceptedBy("bytes")).toBeGreaterThan(100);
      expect(acceptedBy("stream")).toBeGreaterThan(what === "value" ? 50 : 5);
      expect(acceptedBy("tree")).toBeGreaterThan(0);
      expect(mutants.filter((x) => x.tree.startsWith("err ")).length).toBeGreaterThan(1000);
    }, 120_000);
  }
});
