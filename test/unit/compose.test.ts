// docker compose files, checked without Docker: every file (and the project with its includes resolved) validates
// against the Compose Specification's JSON schema (shipped by the npm package dclint), and what compose runs agrees
// with the local stack: versions, host ports, env keys and defaults, the Connect worker template and its rendering,
// the sink's secrets and role, the connector files, the Prometheus and Grafana files. The compose model (interpolation,
// include, profiles, the `sed` renderings) is test/compose.ts. promtool (Debian `prometheus`, installed by
// test/tools.ts) checks the Prometheus config compose renders.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import Ajv from "ajv";
import { parse } from "yaml";
import { EnvSchema, parseEnv } from "../../src/config/env.ts";
import { readConnectorDir } from "../../src/connect/desired.ts";
import { ROLES } from "../../src/db/roles.ts";
import { readTopicsFile } from "../../src/kafka/topic-plan.ts";
import { desiredConnectors, localizeTopics, MAIN_CONNECTOR } from "../../src/provision.ts";
import { render, type StackContext } from "../../src/stack/component.ts";
import { connectSecretsDir, workerSecretsEnv } from "../../src/stack/connect.ts";
import { JMX_EXPORTER_VERSION } from "../../src/stack/fetch.ts";
import { GC_FLAGS, jvmArgs } from "../../src/stack/java.ts";
import { components } from "../../src/stack/supervisor.ts";
import { PROJECT_ROOT, stackPaths } from "../../src/stack/paths.ts";
import { parseEnvFile, readVersions } from "../../src/stack/versions.ts";
import {
  activeServices,
  applySed,
  interpolate,
  loadProject,
  parseComposeYaml,
  parsePort,
  parseProperties,
  sedSubstitutions,
  serviceEnv,
  shellCommand,
  variableRefs,
  type ComposeProject,
  type ComposeService,
  type Vars,
} from "../compose.ts";

const root = PROJECT_ROOT;
const TOP = join(root, "docker-compose.yaml");
const services = join(root, "services");
const composeFiles = [TOP, ...readdirSync(services).filter((f) => f.endsWith(".compose.yaml")).sort().map((f) => join(services, f))];

/** The settings a user starts from: .env.example's active lines plus the secrets it asks for. */
const exampleVars: Vars = {
  ...parseEnvFile(readFileSync(join(root, ".env.example"), "utf8")),
  POSTGRES_PASSWORD: "pg-superuser-secret",
  POSTGRES_SINK_PASSWORD: "pg-sink-secret",
  POSTGRES_ANALYST_PASSWORD: "pg-analyst-secret",
  POSTGRES_MONITOR_PASSWORD: "pg-monitor-secret",
  POSTGRES_MAINTAINER_PASSWORD: "pg-maintainer-secret",
  SLUICE_API_KEYS: "ingest:key-one,admin:key-two",
};
const scaleVars: Vars = { ...exampleVars, TOPIC_REPLICATION_FACTOR: "3" };

const project = loadProject(TOP, exampleVars);
const scaleProject = loadProject(TOP, scaleVars);
const base = activeServices(project, []);
const scale = activeServices(scaleProject, ["scale"]);
const all = activeServices(project, ["scale", "load"]);
const svc = (name: string, set: Record<string, ComposeService> = all): ComposeService => {
  const s = set[name];
  if (!s) throw new Error(`compose has no service "${name}"`);
  return s;
};
const localEnv = parseEnv({});
const versions = readVersions(root);

/** The Compose Specification schema as dclint ships it (draft-07). */
function composeValidator() {
  const schema = JSON.parse(readFileSync(join(root, "node_modules", "dclint", "schemas", "compose.schema.json"), "utf8")) as Record<string, unknown>;
  delete schema.$schema; // "https://…/draft-07/schema" is Ajv's default draft under another spelling
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

const imageTag = (image: string) => image.slice(image.lastIndexOf(":") + 1);
const hostPorts = (set: Record<string, ComposeService>) => Object.entries(set).flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, ...parsePort(p) })));
const publishedTarget = (s: ComposeService, hostPort: number) => (s.ports ?? []).map(parsePort).find((p) => p.published === hostPort)?.target;
const dependsOn = (s: ComposeService): Record<string, { condition: string; required?: boolean }> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, { condition: "service_started" }])) : (s.depends_on ?? {});

/** The worker.properties compose renders for a Connect service (its command's sed over the template). */
function composeWorkerConfig(s: ComposeService): Record<string, string> {
  const template = readFileSync(join(services, "connect", "worker.properties"), "utf8");
  return parseProperties(applySed(template, sedSubstitutions(shellCommand(s), serviceEnv(s))));
}

describe("compose model (test/compose.ts)", () => {
  test("interpolation follows the Compose Specification", () => {
    const vars = { A: "a", EMPTY: "" };
    expect(interpolate("${A} $A $$A $${A}", vars)).toBe("a a $A ${A}");
    expect(interpolate("${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${UNSET:-${A}x}", vars)).toBe("d  d ax");
    expect(interpolate("${A:+alt}${EMPTY:+alt}${EMPTY+alt}${UNSET+alt}", vars)).toBe("altalt");
    expect(interpolate("${A:?boom} ${EMPTY?fine}", vars)).toBe("a ");
    expect(() => interpolate("${EMPTY:?set EMPTY in .env}", vars)).toThrow("set EMPTY in .env");
    expect(() => interpolate("${UNSET?needed}", vars)).toThrow("UNSET");
    expect(() => interpolate("cost $5", vars)).toThrow("$$");
  });

  test("sed renderings apply per line, first match unless g, with the container's variables", () => {
    const subs = sedSubstitutions(`sed -e 's|{{X}}|1|' -e "s|^b=.*|b=\${V}|" -e 's|o|0|g' f`, { V: "v" });
    expect(applySed("{{X}} {{X}}\nb=old\nfoo", subs)).toBe("1 {{X}}\nb=v\nf00");
    expect(() => sedSubstitutions(`sed -e "s|a|\${NOPE}|"`, {})).toThrow("NOPE");
  });

  test("a missing secret stops compose with the message that says what to set", () => {
    const { POSTGRES_SINK_PASSWORD: _, ...rest } = exampleVars;
    expect(() => loadProject(TOP, rest)).toThrow("set POSTGRES_SINK_PASSWORD in .env");
  });
});

describe("the compose files are valid", () => {
  const validate = composeValidator();

  test("the top file includes every services/*.compose.yaml, nothing else", () => {
    const top = parseComposeYaml(readFileSync(TOP, "utf8"));
    expect(top.name).toBe("sluice");
    expect(Object.keys(top).sort()).toEqual(["include", "name"]);
    expect((top.include as string[]).map((p) => join(root, p)).sort()).toEqual(composeFiles.slice(1).sort());
    expect(project.files.map((f) => f.path).sort()).toEqual([...composeFiles].sort());
  });

  for (const file of composeFiles) {
    test(`${relative(root, file)} validates against the Compose Specification once interpolated`, () => {
      const loaded = project.files.find((f) => f.path === file)!;
      const ok = validate(loaded.doc);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });
  }

  test("the resolved project (includes merged, scale and load profiles) validates too", () => {
    for (const p of [project, scaleProject] as ComposeProject[]) {
      const model = { name: p.name, services: p.services, volumes: p.volumes };
      const ok = validate(model);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
    // test/compose.ts does not model `extends`; the files do not use it.
    for (const [name, s] of Object.entries(project.services)) expect({ name, extends: s.extends }).toEqual({ name, extends: undefined });
    expect(Object.keys(project.services).sort()).toEqual(["admin", "connect", "connect-2", "console", "grafana", "postgres", "producer", "prometheus", "redpanda", "redpanda-2", "redpanda-3", "setup"]);
  });

  test("the validator refuses what Compose refuses (it is not vacuous)", () => {
    expect(validate({ services: { x: { image: "a", depends_on: { y: { condition: "when_ready" } } } } })).toBe(false);
    expect(validate({ services: { x: { imag: "a" } } })).toBe(false);
  });

  test("paths exist: bind mounts, build contexts, Dockerfiles and what they COPY", () => {
    for (const [name, s] of Object.entries(all)) {
      for (const v of s.volumes ?? []) {
        const src = typeof v === "string" ? v.split(":")[0]! : String(v.source);
        if (src.startsWith("/")) expect({ name, src, exists: existsSync(src) }).toEqual({ name, src, exists: true });
      }
      if (s.build) {
        const dockerfile = join(s.build.context, s.build.dockerfile ?? "Dockerfile");
        expect({ name, dockerfile, exists: existsSync(dockerfile) }).toEqual({ name, dockerfile, exists: true });
        for (const m of readFileSync(dockerfile, "utf8").matchAll(/^COPY (?!--from)(\S+)/gm)) {
          expect({ name, copy: m[1], exists: existsSync(join(s.build.context, m[1]!)) }).toEqual({ name, copy: m[1], exists: true });
        }
      }
    }
  });

  test("named volumes: every non-path volume is declared, and the stateful services keep their data in one", () => {
    for (const [name, s] of Object.entries(all)) {
      for (const v of s.volumes ?? []) {
        const src = typeof v === "string" ? v.split(":")[0]! : String(v.source);
        if (!src.startsWith("/")) expect({ name, volume: src, declared: src in project.volumes }).toEqual({ name, volume: src, declared: true });
      }
    }
    const dataDir = (name: string, dir: string) => (svc(name).volumes ?? []).some((v) => typeof v === "string" && !v.startsWith("/") && v.split(":")[1] === dir);
    expect(dataDir("postgres", "/var/lib/postgresql/data")).toBe(true);
    for (const b of ["redpanda", "redpanda-2", "redpanda-3"]) expect(dataDir(b, "/var/lib/redpanda/data")).toBe(true);
    expect(dataDir("prometheus", "/prometheus")).toBe(true);
    expect(dataDir("grafana", "/var/lib/grafana")).toBe(true);
  });

  test("startup is health-gated: every dependency waits for health or completion, on a service that can report it", () => {
    for (const [set, label] of [[base, "default"], [scale, "scale"], [all, "all"]] as const) {
      for (const [name, s] of Object.entries(set)) {
        for (const [dep, d] of Object.entries(dependsOn(s))) {
          const target = set[dep];
          if (!target) {
            // Only the scale brokers may be absent, and then the dependency must say it is optional.
            expect({ label, name, dep, optional: d.required === false }).toEqual({ label, name, dep, optional: true });
            continue;
          }
          expect({ name, dep, condition: d.condition }).toEqual({ name, dep, condition: expect.stringMatching(/^service_(healthy|completed_successfully)$/) });
          if (d.condition === "service_healthy") expect({ dep, healthcheck: Boolean(target.healthcheck) }).toEqual({ dep, healthcheck: true });
          if (d.condition === "service_completed_successfully") expect({ dep, restart: target.restart }).toEqual({ dep, restart: "no" });
        }
      }
    }
    expect(Object.keys(dependsOn(svc("setup"))).sort()).toEqual(["connect", "postgres", "redpanda", "redpanda-2", "redpanda-3"]);
    expect(dependsOn(svc("admin")).setup?.condition).toBe("service_completed_successfully");
    expect(dependsOn(svc("producer")).setup?.condition).toBe("service_completed_successfully");
  });

  test("exec-form commands hold one argument per item (only a shell's script has spaces)", () => {
    for (const [name, s] of Object.entries(all)) {
      const entry = Array.isArray(s.entrypoint) ? s.entrypoint : s.entrypoint ? [s.entrypoint] : [];
      const argv = [...entry, ...(Array.isArray(s.command) ? s.command : [])];
      const shell = argv.findIndex((a) => a === "-c" && /(^|\/)sh$/.test(argv[argv.indexOf(a) - 1] ?? ""));
      const plain = shell < 0 ? argv : argv.slice(0, shell + 1);
      for (const a of plain) expect({ name, arg: a, oneWord: !/\s/.test(a) }).toEqual({ name, arg: a, oneWord: true });
    }
  });

  test("images are pinned to a version, here and in the Dockerfiles", () => {
    for (const [name, s] of Object.entries(all)) {
      if (s.image) expect({ name, tag: imageTag(s.image) }).toEqual({ name, tag: expect.stringMatching(/^v?\d+\.\d+(\.\d+)?[\w.-]*$/) });
      else expect({ name, builds: Boolean(s.build) }).toEqual({ name, builds: true });
      if (s.build) {
        const dockerfile = readFileSync(join(s.build.context, s.build.dockerfile ?? "Dockerfile"), "utf8");
        for (const m of dockerfile.matchAll(/^FROM (\S+)/gm)) {
          const image = m[1]!.replace(/\$\{(\w+)\}/g, (_, k: string) => s.build?.args?.[k] ?? new RegExp(`^ARG ${k}=(\\S+)$`, "m").exec(dockerfile)?.[1] ?? "");
          expect({ name, image, tag: imageTag(image) }).toEqual({ name, image, tag: expect.stringMatching(/^\d+\.\d+(\.\d+)?[\w.-]*$/) });
        }
      }
    }
  });
});

describe("compose agrees with the local stack", () => {
  test("versions: the Connect build and PostgreSQL image follow services/versions.env; the JMX agent follows the supervisor", () => {
    const connect = svc("connect");
    expect(connect.build?.args).toEqual({ KAFKA_VERSION: versions.KAFKA_VERSION, DEBEZIUM_VERSION: versions.DEBEZIUM_VERSION, JMX_EXPORTER_VERSION });
    expect(svc("connect-2").build).toEqual(connect.build!);
    const dockerfile = readFileSync(join(services, "connect", "Dockerfile"), "utf8");
    const argDefault = (k: string) => new RegExp(`^ARG ${k}=(\\S+)$`, "m").exec(dockerfile)?.[1];
    expect([argDefault("KAFKA_VERSION"), argDefault("DEBEZIUM_VERSION"), argDefault("JMX_EXPORTER_VERSION")]).toEqual([versions.KAFKA_VERSION, versions.DEBEZIUM_VERSION, JMX_EXPORTER_VERSION]);
    expect(dockerfile).toContain("FROM apache/kafka:${KAFKA_VERSION}");
    expect(imageTag(svc("postgres").image!).startsWith(`${versions.POSTGRES_VERSION}-`)).toBe(true);
    // The app image runs the CLI with the Bun the project pins (package.json, itself checked against versions.env).
    expect(readFileSync(join(services, "app", "Dockerfile"), "utf8")).toContain("devDependencies.bun");
  });

  test("every component of the local stack has its compose service, published on the component's port", () => {
    const ctx = { env: localEnv, paths: stackPaths(localEnv, root), versions, log: () => {}, childEnv: {} } as StackContext;
    // Redpanda stands in for Kafka and the schema registry; every other component keeps its name.
    const standIn: Record<string, string> = { kafka: "redpanda", registry: "redpanda" };
    const local = components(ctx).map((c) => ({ name: c.name, port: c.port }));
    expect(local.map((c) => c.name).sort()).toEqual(["admin", "connect", "kafka", "postgres", "registry"]);
    for (const c of local) {
      const service = standIn[c.name] ?? c.name;
      expect({ component: c.name, service, published: publishedTarget(svc(service, base), c.port) !== undefined }).toEqual({ component: c.name, service, published: true });
    }
  });

  test("host ports: the local stack's defaults, published on loopback only, none twice", () => {
    const expected: [string, number, number][] = [
      ["redpanda", localEnv.KAFKA_PORT, 19092],
      ["redpanda", localEnv.REGISTRY_PORT, 18081],
      ["connect", localEnv.CONNECT_PORT, 8083],
      ["connect", localEnv.CONNECT_JMX_PORT, 18084],
      ["postgres", localEnv.POSTGRES_PORT, 5432],
      ["admin", localEnv.ADMIN_PORT, 3000],
    ];
    for (const [name, host, target] of expected) expect({ name, host, target: publishedTarget(svc(name), host) }).toEqual({ name, host, target });
    for (const set of [base, scale, all]) {
      const ports = hostPorts(set);
      for (const p of ports) expect({ service: p.name, hostIp: p.hostIp }).toEqual({ service: p.name, hostIp: "127.0.0.1" });
      expect(new Set(ports.map((p) => p.published)).size).toBe(ports.length);
    }
  });

  test("every variable compose reads is a documented Sluice setting, with the same default", () => {
    for (const file of composeFiles) {
      for (const ref of variableRefs(parseComposeYaml(readFileSync(file, "utf8")))) {
        const where = `${relative(root, file)}: \${${ref.name}${ref.op}…}`;
        expect({ where, inEnvSchema: ref.name in EnvSchema.shape }).toEqual({ where, inEnvSchema: true });
        if (ref.op === ":-" && !ref.arg.includes("$")) {
          const local = (localEnv as Record<string, unknown>)[ref.name];
          // Settings without a local default (TOPIC_REPLICATION_FACTOR, CONNECT_TZ) take compose's; it must parse.
          const expected = local === undefined ? String(parseEnv({ [ref.name]: ref.arg })[ref.name as keyof typeof localEnv]) : String(local);
          expect({ where, default: ref.arg }).toEqual({ where, default: expected });
        }
      }
    }
  });

  test("the app containers get only Sluice settings, and valid ones", () => {
    for (const name of ["setup", "admin", "producer"]) {
      const env = serviceEnv(svc(name));
      for (const k of Object.keys(env)) expect({ name, key: k, inEnvSchema: k in EnvSchema.shape }).toEqual({ name, key: k, inEnvSchema: true });
      const parsed = parseEnv(env);
      // They reach the compose services, not a local stack.
      expect([parsed.KAFKA_BOOTSTRAP, parsed.CONNECT_URL, parsed.POSTGRES_HOST, parsed.POSTGRES_PORT]).toEqual(["redpanda:9092", "http://connect:8083", "postgres", 5432]);
    }
    const admin = parseEnv(serviceEnv(svc("admin")));
    expect(publishedTarget(svc("admin"), localEnv.ADMIN_PORT)).toBe(admin.ADMIN_PORT);
    expect(admin.SLUICE_API_KEYS).toBe(exampleVars.SLUICE_API_KEYS!);
  });

  test("each app container gets only its own credentials: admin the monitor, maintainer passwords, API keys", () => {
    const secrets = [
      "POSTGRES_PASSWORD", "POSTGRES_SINK_PASSWORD", "POSTGRES_ANALYST_PASSWORD", "POSTGRES_MONITOR_PASSWORD",
      "POSTGRES_MAINTAINER_PASSWORD", "SLUICE_API_KEYS",
    ];
    const held = (name: string) => secrets.filter((k) => k in serviceEnv(svc(name))).sort();
    expect(held("setup")).toEqual([
      "POSTGRES_ANALYST_PASSWORD", "POSTGRES_MAINTAINER_PASSWORD", "POSTGRES_MONITOR_PASSWORD", "POSTGRES_PASSWORD",
      "POSTGRES_SINK_PASSWORD",
    ]);
    expect(held("admin")).toEqual(["POSTGRES_MAINTAINER_PASSWORD", "POSTGRES_MONITOR_PASSWORD", "SLUICE_API_KEYS"]);
    expect(held("producer")).toEqual([]);
    // No value of another credential hides under another name either.
    const others = [exampleVars.POSTGRES_PASSWORD, exampleVars.POSTGRES_SINK_PASSWORD, exampleVars.POSTGRES_ANALYST_PASSWORD];
    for (const v of Object.values(serviceEnv(svc("admin")))) expect(others).not.toContain(v);
    // The setup job sets the monitor role's password from the same setting the admin logs in with.
    expect(serviceEnv(svc("setup")).POSTGRES_MONITOR_PASSWORD).toBe(serviceEnv(svc("admin")).POSTGRES_MONITOR_PASSWORD!);
    const maint = (name: string) => serviceEnv(svc(name)).POSTGRES_MAINTAINER_PASSWORD;
    expect(maint("setup")).toBe(maint("admin")!);
  });

  test("Connect runs the local stack's worker template, rendered for the container", () => {
    const dockerfile = readFileSync(join(services, "connect", "Dockerfile"), "utf8");
    expect(dockerfile).toContain("COPY services/connect/worker.properties /etc/sluice/worker.properties.template");
    const pluginDir = /mkdir -p (\/opt\/connect-plugins)\//.exec(dockerfile)?.[1];
    const template = readFileSync(join(services, "connect", "worker.properties"), "utf8");
    const local = parseProperties(
      render(template, {
        BOOTSTRAP: "127.0.0.1:19092", HOST: "127.0.0.1", PORT: 18083, PLUGIN_PATH: "/plugins", SECRETS_DIR: "/secrets",
      }),
    );
    const secretsKey = "config.providers.file.param.allowed.paths";
    const differ = new Set([
      "bootstrap.servers", "listeners", "rest.advertised.host.name", "rest.advertised.port", "plugin.path", secretsKey,
    ]);
    for (const [name, set, rf] of [["connect", base, "1"], ["connect", scale, "3"], ["connect-2", scale, "3"]] as const) {
      const s = svc(name, set);
      expect(shellCommand(s)).toContain("/etc/sluice/worker.properties.template");
      const worker = composeWorkerConfig(s);
      expect(Object.keys(worker).sort()).toEqual(Object.keys(local).sort());
      for (const [k, v] of Object.entries(worker)) {
        if (differ.has(k)) continue;
        expect({ k, v }).toEqual({ k, v: k.endsWith(".replication.factor") ? rf : local[k]! });
      }
      expect(worker["bootstrap.servers"]).toBe("redpanda:9092");
      expect(worker.listeners).toBe("http://0.0.0.0:8083");
      expect([worker["rest.advertised.host.name"], worker["rest.advertised.port"]]).toEqual([name, "8083"]);
      expect(worker["plugin.path"]).toBe(pluginDir!);
      // The file provider's folder: created by the image, and the one the setup job checks connector files against.
      expect(dockerfile).toContain(worker[secretsKey]!);
      const setup = parseEnv(serviceEnv(svc("setup", set)));
      const setupCtx = { env: setup, paths: stackPaths(setup, root) } as StackContext;
      expect(worker[secretsKey]).toBe(connectSecretsDir(setupCtx));
      expect(JSON.stringify(s.healthcheck?.test)).toContain("localhost:8083/");
    }
    // The Redpanda listener the worker bootstraps from.
    expect(shellCommand(svc("redpanda"))).toContain("internal://redpanda:9092");
  });

  test("Connect's JVM: UTC, the heap of CONNECT_HEAP, and the JMX exporter on its published port with the local config", () => {
    const env = serviceEnv(svc("connect"));
    const localTz = jvmArgs(localEnv.CONNECT_HEAP, root).filter((a) => a.startsWith("-Duser.timezone"));
    for (const a of localTz) expect(env.KAFKA_OPTS).toContain(a);
    expect(env.KAFKA_HEAP_OPTS).toBe(`-Xms${localEnv.CONNECT_HEAP} -Xmx${localEnv.CONNECT_HEAP}`);
    for (const flag of GC_FLAGS[localEnv.JVM_GC]) expect(env.KAFKA_JVM_PERFORMANCE_OPTS).toContain(flag);
    const agent = /-javaagent:(\S+?)=0\.0\.0\.0:(\d+):(\S+)/.exec(env.KAFKA_OPTS ?? "");
    expect(agent).not.toBeNull();
    const dockerfile = readFileSync(join(services, "connect", "Dockerfile"), "utf8");
    expect(dockerfile).toContain(agent![1]!);
    expect(dockerfile).toContain(`COPY services/connect/jmx-exporter.yml ${agent![3]}`);
    expect(publishedTarget(svc("connect"), localEnv.CONNECT_JMX_PORT)).toBe(Number(agent![2]));
  });

  test("the sink's secrets: the same worker environment as the local stack, the sink role, nothing in connector files", () => {
    const env = serviceEnv(svc("connect"));
    const ctx = {
      env: parseEnv({ SINK_JDBC_URL: env.SLUICE_SINK_JDBC_URL, POSTGRES_SINK_PASSWORD: exampleVars.POSTGRES_SINK_PASSWORD }),
      paths: stackPaths(localEnv, root),
    } as StackContext;
    const expected = workerSecretsEnv(ctx);
    for (const [k, v] of Object.entries(expected)) expect({ k, v: env[k] }).toEqual({ k, v });
    expect(env.SLUICE_SINK_DB_USER).toBe(ROLES.sink);
    // The JDBC URL reaches the postgres service on its container port, in the database the app uses.
    const app = parseEnv(serviceEnv(svc("setup")));
    expect(env.SLUICE_SINK_JDBC_URL).toBe(`jdbc:postgresql://${app.POSTGRES_HOST}:${app.POSTGRES_PORT}/${app.POSTGRES_DB}`);
    expect(publishedTarget(svc("postgres"), localEnv.POSTGRES_PORT)).toBe(app.POSTGRES_PORT);
    // The setup job sets the sink role's password from the same setting the worker logs in with.
    expect(serviceEnv(svc("setup")).POSTGRES_SINK_PASSWORD).toBe(env.SLUICE_SINK_DB_PASSWORD!);
    // Every ${env:…} the connector files read is in the worker's environment (and those files hold no secret:
    // readConnectorDir refuses literal secrets).
    for (const spec of readConnectorDir(join(root, "connectors"))) {
      for (const [k, v] of Object.entries(spec.config)) {
        for (const m of v.matchAll(/\$\{env:([A-Za-z0-9_]+)\}/g)) expect({ connector: spec.name, k, set: m[1]! in env }).toEqual({ connector: spec.name, k, set: true });
      }
    }
  });

  test("scale profile: three brokers in one cluster, replication factor 3 for the topics, two workers in one group", () => {
    const seeds = ["redpanda-2", "redpanda-3"].map((b) => /--seeds (\S+)/.exec(shellCommand(svc(b, scale)))?.[1]);
    expect(seeds).toEqual(["redpanda:33145", "redpanda:33145"]);
    expect(shellCommand(svc("redpanda", scale))).toContain("--rpc-addr redpanda:33145");
    const workers = ["connect", "connect-2"].map((w) => composeWorkerConfig(svc(w, scale)));
    expect(workers[0]!["group.id"]).toBe(workers[1]!["group.id"]!);
    expect(svc("connect-2", scale).image).toBe(svc("connect", scale).image!);
    const setupEnv = parseEnv(serviceEnv(svc("setup", scale)));
    expect(setupEnv.TOPIC_REPLICATION_FACTOR).toBe(3);
    const topics = localizeTopics(readTopicsFile(join(services, "topics.json")), setupEnv);
    expect(topics.map((t) => [t.name, t.replicationFactor])).toEqual([["metrics", 3], ["metrics.dlq", 3]]);
    // Without the profile: the file's single replica.
    const baseEnv = parseEnv(serviceEnv(svc("setup", base)));
    expect(localizeTopics(readTopicsFile(join(services, "topics.json")), baseEnv).map((t) => t.replicationFactor)).toEqual([1, 1]);
    expect(Object.keys(base)).not.toContain("connect-2");
    // A DLQ the worker creates itself gets the same factor (the connector file says 1, for one broker).
    const dlqRf = (env: typeof setupEnv) =>
      desiredConnectors({ env, paths: stackPaths(env, root) } as StackContext).find((c) => c.name === MAIN_CONNECTOR)?.config["errors.deadletterqueue.topic.replication.factor"];
    expect([dlqRf(baseEnv), dlqRf(setupEnv)]).toEqual(["1", "3"]);
  });

  test("Console is wired to the broker, the schema registry and Kafka Connect", () => {
    const console = svc("console");
    const config = parse(serviceEnv(console).CONSOLE_CONFIG_FILE!) as {
      kafka: { brokers: string[] };
      schemaRegistry: { enabled: boolean; urls: string[] };
      kafkaConnect: { enabled: boolean; clusters: { name: string; url: string }[] };
    };
    expect(config.kafka.brokers).toEqual(["redpanda:9092"]);
    expect(config.schemaRegistry).toEqual({ enabled: true, urls: [serviceEnv(svc("setup")).REGISTRY_URL!] });
    expect(config.kafkaConnect.enabled).toBe(true);
    expect(config.kafkaConnect.clusters.map((c) => c.url)).toEqual([serviceEnv(svc("setup")).CONNECT_URL!]);
    expect(shellCommand(svc("redpanda"))).toContain("internal://0.0.0.0:8081");
  });

  test("Prometheus runs services/prometheus with the compose addresses; promtool accepts the result", () => {
    const prom = svc("prometheus");
    const local = readFileSync(join(services, "prometheus", "prometheus.yml"), "utf8");
    const rendered = applySed(local, sedSubstitutions(shellCommand(prom), serviceEnv(prom)));
    const cfg = parse(rendered) as { rule_files: string[]; scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const localCfg = parse(local) as typeof cfg;
    expect(cfg.scrape_configs.map((j) => j.job_name)).toEqual(localCfg.scrape_configs.map((j) => j.job_name));
    const connectJmx = Number(/0\.0\.0\.0:(\d+):/.exec(serviceEnv(svc("connect")).KAFKA_OPTS ?? "")?.[1]);
    const listens: Record<string, number[]> = { admin: [3000], connect: [8083, connectJmx] };
    for (const target of cfg.scrape_configs.flatMap((j) => j.static_configs.flatMap((c) => c.targets))) {
      const [host, port] = target.split(":");
      expect({ target, reachable: listens[host!]?.includes(Number(port)) ?? false }).toEqual({ target, reachable: true });
    }
    // The rule files travel with the config (the command copies every *.yml of the mounted folder).
    expect(shellCommand(prom)).toContain("cp /etc/sluice/prometheus/*.yml /prometheus/config/");
    const dir = mkdtempSync(join(tmpdir(), "sluice-compose-prom-"));
    try {
      for (const f of readdirSync(join(services, "prometheus"))) if (f.endsWith(".yml")) copyFileSync(join(services, "prometheus", f), join(dir, f));
      writeFileSync(join(dir, "prometheus.yml"), rendered);
      const r = spawnSync("promtool", ["check", "config", "prometheus.yml"], { cwd: dir, encoding: "utf8" });
      if (r.error) throw new Error(`promtool is not installed (Debian: apt-get install prometheus; test/run.ts does it): ${r.error.message}`);
      expect(`${r.stdout}${r.stderr}`).toContain("SUCCESS");
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Grafana runs services/grafana: its datasource points at the Prometheus service, its dashboards are mounted", () => {
    const g = svc("grafana");
    const env = serviceEnv(g);
    const local = readFileSync(join(services, "grafana", "provisioning", "datasources", "prometheus.yml"), "utf8");
    const ds = parse(applySed(local, sedSubstitutions(shellCommand(g), env))) as { datasources: { url: string }[] };
    expect(ds.datasources.map((d) => d.url)).toEqual(["http://prometheus:9090"]);
    expect(shellCommand(svc("prometheus"))).toContain("--web.listen-address=0.0.0.0:9090");
    const mount = (g.volumes ?? []).find((v) => typeof v === "string" && v.endsWith(":/etc/sluice/grafana:ro")) as string;
    expect(mount.split(":")[0]).toBe(join(services, "grafana"));
    expect(env.SLUICE_GRAFANA_DASHBOARDS).toBe("/etc/sluice/grafana/dashboards");
    expect(env.GF_PATHS_PROVISIONING).toBe("/var/lib/grafana/provisioning");
    expect(readFileSync(join(services, "grafana", "provisioning", "dashboards", "sluice.yml"), "utf8")).toContain("${SLUICE_GRAFANA_DASHBOARDS}");
  });
});
