// The `sed -e 's|…|…|'` renderings the compose services apply at start to the local stack's config files (the
// Connect worker template, the Prometheus and Grafana files), replayed in test/unit/compose.test.ts to compare the
// result with what the local stack renders. Pure. Compose itself is not modelled: the tests read its output.

export type Vars = Readonly<Record<string, string | null | undefined>>;

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
    const expr =
      m[1] ??
      m[2]!.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, n: string) => {
        const v = env[n];
        if (v == null) throw new Error(`the command expands \${${n}}, which the container's environment does not set`);
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
        const literalAmp = "\u0000";
        const replace = (match: string) =>
          s.replacement.replace(/\\&/g, literalAmp).replace(/&/g, match).split(literalAmp).join("&");
        return l.replace(re, replace);
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
