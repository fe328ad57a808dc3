// A small model of how Docker Compose reads the project's compose files, for test/unit/compose.test.ts (no Docker
// engine or Compose CLI on our machines): variable interpolation, `include` with its path rules, profiles, and the
// `sed -e` renderings the compose commands apply to the local stack's config files. Pure except loadProject (reads
// files). Follows the Compose Specification (interpolation.md, include.md); only the parts this project uses.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";

export type Vars = Readonly<Record<string, string | undefined>>;

/** A variable `${NAME…}` a compose file refers to, with its fallback (if any) and whether it is required. */
export interface VarRef {
  readonly name: string;
  readonly op: "" | ":-" | "-" | ":?" | "?" | ":+" | "+";
  readonly arg: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Interpolates one string like Compose: `$$` is a literal `$`; `$VAR`, `${VAR}`; `${VAR:-default}` / `${VAR-default}`
 * (unset-or-empty / unset); `${VAR:?error}` / `${VAR?error}` throw the error; `${VAR:+alt}` / `${VAR+alt}`. Defaults
 * may nest (`${A:-${B}}`). Every reference is reported to `seen`.
 */
export function interpolate(text: string, vars: Vars, seen: (ref: VarRef) => void = () => {}, strict = true): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next === "{") {
      const end = closingBrace(text, i + 2);
      const body = text.slice(i + 2, end);
      const name = NAME.exec(body)?.[0];
      if (!name) throw new Error(`invalid interpolation "\${${body}}" in "${text}"`);
      const rest = body.slice(name.length);
      const op = (["", ":-", ":?", ":+", "-", "?", "+"] as const).find((o) => (o === "" ? rest === "" : rest.startsWith(o)));
      if (op === undefined) throw new Error(`invalid interpolation "\${${body}}" in "${text}"`);
      const arg = rest.slice(op.length);
      seen({ name, op, arg });
      out += substitute(name, op, arg, vars, seen, strict);
      i = end + 1;
      continue;
    }
    const name = next === undefined ? undefined : NAME.exec(text.slice(i + 1))?.[0];
    if (!name) throw new Error(`invalid interpolation: a lone "$" in "${text}" (write $$ for a literal $)`);
    seen({ name, op: "", arg: "" });
    out += vars[name] ?? "";
    i += 1 + name.length;
  }
  return out;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "$" && text[j + 1] === "$") j++;
    else if (text[j] === "$" && text[j + 1] === "{") {
      depth++;
      j++;
    } else if (text[j] === "}" && --depth === 0) return j;
  }
  throw new Error(`unclosed "\${" in "${text}"`);
}

function substitute(name: string, op: VarRef["op"], arg: string, vars: Vars, seen: (ref: VarRef) => void, strict: boolean): string {
  const sub = (t: string) => interpolate(t, vars, seen, strict);
  const v = vars[name];
  const unset = v === undefined;
  const empty = unset || v === "";
  switch (op) {
    case "":
      return v ?? "";
    case ":-":
      return empty ? sub(arg) : v!;
    case "-":
      return unset ? sub(arg) : v!;
    case ":?":
    case "?":
      if (op === ":?" ? empty : unset) {
        if (strict) throw new Error(`required variable ${name} is missing a value: ${sub(arg)}`);
        sub(arg);
      }
      return v ?? "";
    case ":+":
      return empty ? "" : sub(arg);
    case "+":
      return unset ? "" : sub(arg);
  }
}

/** Interpolates every string value of a parsed compose file (keys are left alone, as Compose does). */
export function interpolateTree(node: unknown, vars: Vars, seen?: (ref: VarRef) => void, strict = true): unknown {
  if (typeof node === "string") return interpolate(node, vars, seen, strict);
  if (Array.isArray(node)) return node.map((n) => interpolateTree(n, vars, seen, strict));
  if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateTree(v, vars, seen, strict)]));
  return node;
}

/** Every `${…}` reference in a raw (not yet interpolated) compose file, `$$` escapes excluded. */
export function variableRefs(node: unknown): VarRef[] {
  const refs: VarRef[] = [];
  // Unset variables, not strict: every default is visited (nested references too) and `:?` does not stop the scan.
  interpolateTree(node, {}, (r) => refs.push(r), false);
  return refs;
}

/** Parses a compose file's YAML (anchors, aliases and `<<` merge keys, as Compose reads them). */
export function parseComposeYaml(text: string): Record<string, unknown> {
  const doc = parse(text, { merge: true, maxAliasCount: -1 });
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error("a compose file must be a mapping");
  return doc as Record<string, unknown>;
}

export type ComposeService = Record<string, unknown> & {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string> | string[];
  ports?: (string | Record<string, unknown>)[];
  volumes?: (string | Record<string, unknown>)[];
  depends_on?: string[] | Record<string, { condition: string; required?: boolean }>;
  profiles?: string[];
  healthcheck?: Record<string, unknown>;
};

/** One compose file after interpolation, with where it came from. */
export interface LoadedFile {
  readonly path: string;
  /** Directory relative paths in this file are resolved against (an included file's own directory). */
  readonly projectDir: string;
  readonly doc: Record<string, unknown>;
}

/** The project as Compose sees it: the top file plus its includes, relative paths made absolute. */
export interface ComposeProject {
  readonly name: string | undefined;
  readonly files: readonly LoadedFile[];
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes: Readonly<Record<string, unknown>>;
}

const isLocalPath = (s: string) => s.startsWith(".") || s.startsWith("/") || s.startsWith("~");

/** Makes the relative paths of a service (build context, bind mounts, env files) absolute against `dir`. */
export function absolutizeService(svc: ComposeService, dir: string): ComposeService {
  const out: ComposeService = { ...svc };
  if (typeof out.build === "string") out.build = { context: out.build };
  if (out.build) out.build = { ...out.build, context: resolve(dir, out.build.context) };
  if (out.volumes) {
    out.volumes = out.volumes.map((v) => {
      if (typeof v === "string") {
        const [src, ...rest] = v.split(":");
        return src && isLocalPath(src) ? [resolve(dir, src), ...rest].join(":") : v;
      }
      const source = v.source;
      return v.type === "bind" && typeof source === "string" ? { ...v, source: resolve(dir, source) } : v;
    });
  }
  const envFile = out.env_file;
  if (typeof envFile === "string") out.env_file = resolve(dir, envFile);
  else if (Array.isArray(envFile)) out.env_file = envFile.map((f) => (typeof f === "string" ? resolve(dir, f) : { ...f, path: resolve(dir, f.path) }));
  return out;
}

/**
 * Loads a compose file and its `include`s (recursively) like Compose: each file is interpolated with `vars`; an
 * included file's relative paths resolve against its own directory (or its `project_directory`); a service or
 * volume defined twice is an error, as in Compose.
 */
export function loadProject(topFile: string, vars: Vars): ComposeProject {
  const files: LoadedFile[] = [];
  const services: Record<string, ComposeService> = {};
  const volumes: Record<string, unknown> = {};
  let name: string | undefined;

  const load = (path: string, projectDir: string) => {
    const doc = interpolateTree(parseComposeYaml(readFileSync(path, "utf8")), vars) as Record<string, unknown>;
    files.push({ path, projectDir, doc });
    if (typeof doc.name === "string" && name === undefined) name = doc.name;
    for (const inc of (doc.include ?? []) as (string | { path: string | string[]; project_directory?: string })[]) {
      const paths = typeof inc === "string" ? [inc] : Array.isArray(inc.path) ? inc.path : [inc.path];
      for (const p of paths) {
        const abs = resolve(projectDir, p);
        const dir = typeof inc === "object" && inc.project_directory ? resolve(projectDir, inc.project_directory) : dirname(abs);
        load(abs, dir);
      }
    }
    for (const [k, svc] of Object.entries((doc.services ?? {}) as Record<string, ComposeService>)) {
      if (k in services) throw new Error(`service "${k}" is defined twice (${path})`);
      services[k] = absolutizeService(svc, projectDir);
    }
    for (const [k, v] of Object.entries((doc.volumes ?? {}) as Record<string, unknown>)) {
      if (k in volumes) throw new Error(`volume "${k}" is defined twice (${path})`);
      volumes[k] = v;
    }
  };
  load(resolve(topFile), dirname(resolve(topFile)));
  return { name, files, services, volumes };
}

/** The services Compose starts with these profiles active (a service without profiles is always on). */
export function activeServices(project: ComposeProject, profiles: readonly string[]): Record<string, ComposeService> {
  return Object.fromEntries(Object.entries(project.services).filter(([, s]) => !s.profiles || s.profiles.some((p) => profiles.includes(p))));
}

/** A service's environment as a map (the list form `KEY=value` too). */
export function serviceEnv(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  if (!Array.isArray(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]));
  return Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf("=") < 0 ? e.length : e.indexOf("=")), e.includes("=") ? e.slice(e.indexOf("=") + 1) : ""]));
}

/** A published port: host address, host port, container port. */
export interface PortMapping {
  readonly hostIp: string;
  readonly published: number;
  readonly target: number;
}

/** Parses the short port syntax `[ip:]published:target[/proto]` (the only one this project uses). */
export function parsePort(p: string | Record<string, unknown>): PortMapping {
  if (typeof p !== "string") throw new Error(`long port syntax not handled: ${JSON.stringify(p)}`);
  const parts = p.replace(/\/(tcp|udp)$/, "").split(":");
  if (parts.length !== 3) throw new Error(`port "${p}" must be ip:published:target (publish on loopback only)`);
  return { hostIp: parts[0]!, published: Number(parts[1]), target: Number(parts[2]) };
}

/** One `sed -e 's|pattern|replacement|flags'` expression. */
export interface SedSub {
  readonly pattern: string;
  readonly replacement: string;
  readonly global: boolean;
}

/**
 * The `-e 's|…|…|'` expressions of a shell command line, in order. Double-quoted ones get the shell's `${NAME}`
 * expansion from `env` (the container's environment); single-quoted ones are taken as written.
 */
export function sedSubstitutions(command: string, env: Vars): SedSub[] {
  const subs: SedSub[] = [];
  for (const m of command.matchAll(/-e\s+(?:'([^']*)'|"((?:[^"\\]|\\.)*)")/g)) {
    const expr = m[1] ?? m[2]!.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, n: string) => {
      const v = env[n];
      if (v === undefined) throw new Error(`the command expands \${${n}}, which the container's environment does not set`);
      return v;
    });
    const s = /^s\|((?:[^|\\]|\\.)*)\|((?:[^|\\]|\\.)*)\|(g?)$/.exec(expr);
    if (!s) throw new Error(`sed expression not understood (expected s|pattern|replacement|[g]): ${expr}`);
    subs.push({ pattern: s[1]!, replacement: s[2]!, global: s[3] === "g" });
  }
  return subs;
}

/**
 * Applies sed substitutions line by line, as sed does: the first match per line, or every match with `g`. Patterns
 * are POSIX basic regular expressions; those used here (literals, `.`, `.*`, `^`, `$`) mean the same in JavaScript
 * once `{`/`}` are escaped. `&` in a replacement is the match.
 */
export function applySed(text: string, subs: readonly SedSub[]): string {
  const lines = text.split("\n");
  return lines
    .map((line) =>
      subs.reduce((l, s) => {
        const re = new RegExp(s.pattern.replace(/[{}]/g, "\\$&"), s.global ? "g" : "");
        return l.replace(re, (match) => s.replacement.replace(/\\&/g, "\u0000").replace(/&/g, match).replace(/\u0000/g, "&"));
      }, line),
    )
    .join("\n");
}

/** `KEY=value` lines of a Java properties file (no continuations; `#` comments). */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([^#!\s=][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The command of a service as one shell string (the last element of `sh -c "…"`, or the list joined). */
export function shellCommand(svc: ComposeService): string {
  const c = svc.command;
  if (c === undefined) return "";
  return Array.isArray(c) ? c.join(" ") : c;
}
