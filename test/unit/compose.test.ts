// docker compose files, checked by the real Compose CLI (test/compose-cli.ts builds it once from the Go module proxy;
// no Docker engine needed): `config -q`, `--services` and `--format json` with every profile (none, each, all) and
// the values of .env.example. Compose checks the schema, interpolation, include, profiles and dependencies; this file
// keeps only what Compose cannot know: versions equal to services/versions.env, host ports equal to the local stack's
// (on loopback), env keys and defaults of the env schema, the Connect worker template and its rendering (test/sed.ts),
// the sink's secrets and role, the connector files, the Prometheus and Grafana files, and the Connect image's Maven
// downloads stage (run here as the build runs it). promtool (built into the tools cache by test/tools.ts)
// checks the Prometheus config compose renders.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { EnvSchema, parseEnv } from "../../src/config/env.ts";
import { readConnectorDir } from "../../src/connect/desired.ts";
import { ROLES } from "../../src/db/roles.ts";
import { readTopicsFile } from "../../src/kafka/topic-plan.ts";
import { desiredConnectors, localizeTopics, MAIN_CONNECTOR } from "../../src/provision.ts";
import { render, type StackContext } from "../../src/stack/component.ts";
import { connectSecretsDir, workerSecretsEnv } from "../../src/stack/connect.ts";
import { createStackContext } from "../../src/stack/context.ts";
import { JMX_EXPORTER_VERSION } from "../../src/stack/fetch.ts";
import { CONNECT_GC_FLAGS, GC_FLAGS, jvmArgs } from "../../src/stack/java.ts";
import { PROJECT_ROOT, stackPaths } from "../../src/stack/paths.ts";
import { components } from "../../src/stack/supervisor.ts";
import { parseEnvFile, readVersions } from "../../src/stack/versions.ts";
import { COMPOSE_VERSION, type ComposeResult, ensureComposeCli, runCompose } from "../compose-cli.ts";
import { applySed, parseProperties, sedSubstitutions, type Vars } from "../sed.ts";
import { ensurePromtool, PROMTOOL_BUILD_TIMEOUT_MS } from "../tools.ts";

const root = PROJECT_ROOT;
const TOP = join(root, "docker-compose.yaml");
const services = join(root, "services");
const composeFiles = readdirSync(services)
  .filter((f) => f.endsWith(".compose.yaml"))
  .sort();

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
const REQUIRED = [
  "POSTGRES_PASSWORD",
  "POSTGRES_SINK_PASSWORD",
  "POSTGRES_ANALYST_PASSWORD",
  "POSTGRES_MONITOR_PASSWORD",
  "POSTGRES_MAINTAINER_PASSWORD",
  "SLUICE_API_KEYS",
];
const scaleVars: Vars = { ...exampleVars, TOPIC_REPLICATION_FACTOR: "3" };

/** A test that runs the CLI a few times: ~0.3 s a call, much more on a busy 2-core machine. */
const COMPOSE_TIMEOUT = 120_000;

// Built on first use (minutes), then taken from the tools cache.
const cli = await ensureComposeCli((l) => console.error(`[compose-cli] ${l}`), process.env);
const compose = (args: string[], vars: Vars = exampleVars, profiles: string[] = [], file = TOP): ComposeResult =>
  runCompose(cli, file, args, { vars: vars as Record<string, string>, profiles, env: process.env });

/** A service as `docker-compose config --format json` prints it (normalized: long syntax, absolute paths). */
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string>; secrets?: { source: string }[] };
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  ports?: { host_ip?: string; target: number; published?: string }[];
  volumes?: { type: string; source?: string; target: string; read_only?: boolean }[];
  depends_on?: Record<string, { condition: string; required: boolean }>;
  profiles?: string[];
  healthcheck?: { test?: string[] };
  restart?: string;
}
interface Project {
  name: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

/** The project Compose runs with these profiles and settings; fails the test file when Compose refuses it. */
function load(profiles: string[], vars: Vars = exampleVars): Project {
  const r = compose(["config", "--format", "json"], vars, profiles);
  const which = profiles.join(",") || "none";
  if (r.status !== 0) throw new Error(`docker-compose config (profiles: ${which}) failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Project;
}

const profiles = compose(["config", "--profiles"]).stdout.split("\n").filter(Boolean).sort();
const base = load([]).services;
const scale = load(["scale"], scaleVars).services;
const allProject = load(profiles);
const all = allProject.services;
const svc = (name: string, set: Record<string, Service> = all): Service => {
  const s = set[name];
  if (!s) throw new Error(`compose has no service "${name}"`);
  return s;
};
const localEnv = parseEnv({});
const versions = readVersions(root);
const { KAFKA_VERSION, DEBEZIUM_VERSION } = versions;

const env = (s: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v ?? ""]));
const imageTag = (image: string) => image.slice(image.lastIndexOf(":") + 1);
const publishedTarget = (s: Service, hostPort: number) =>
  (s.ports ?? []).find((p) => Number(p.published) === hostPort)?.target;
/** `expect(ok)` with `what` in the failure report, so it says which item failed. */
const holds = (what: Record<string, unknown>, ok: boolean) => expect({ ...what, ok }).toEqual({ ...what, ok: true });
/** The shell script the container runs: `config` prints `$$` escaped, the container gets one `$`. */
const shellCommand = (s: Service) => (s.command ?? []).join(" ").replaceAll("$$", "$");

/** The worker.properties compose renders for a Connect service (its command's sed over the template). */
function composeWorkerConfig(s: Service): Record<string, string> {
  const template = readFileSync(join(services, "connect", "worker.properties"), "utf8");
  return parseProperties(applySed(template, sedSubstitutions(shellCommand(s), env(s))));
}

describe("Compose accepts the project (the real CLI)", () => {
  test(
    "the CLI is Compose v5.6.0 and the profiles are load and scale",
    () => {
      expect(compose(["version", "--short"]).stdout.trim()).toBe(COMPOSE_VERSION.slice(1));
      expect(profiles).toEqual(["load", "scale"]);
    },
    COMPOSE_TIMEOUT,
  );

  const profileSets = [[], ...profiles.map((p) => [p]), profiles];
  for (const set of profileSets) {
    test(
      `profiles [${set.join(",")}]: config -q passes with no warning`,
      () => {
        const r = compose(["config", "-q"], set.includes("scale") ? scaleVars : exampleVars, set);
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
      },
      COMPOSE_TIMEOUT,
    );
  }

  test(
    "each profile runs the services it should",
    () => {
      const running = (set: string[]) => {
        const r = compose(["config", "--services"], exampleVars, set);
        expect(r.stderr).toBe("");
        return r.stdout.split("\n").filter(Boolean).sort();
      };
      const always = [
        "admin",
        "connect",
        "console",
        "grafana",
        "pgadmin",
        "postgres",
        "prometheus",
        "redpanda",
        "setup",
      ];
      expect(running([])).toEqual(always);
      expect(running(["load"])).toEqual([...always, "producer"].sort());
      expect(running(["scale"])).toEqual([...always, "connect-2", "redpanda-2", "redpanda-3"].sort());
      expect(running(profiles)).toEqual([...always, "connect-2", "producer", "redpanda-2", "redpanda-3"].sort());
      expect(Object.keys(all).sort()).toEqual(running(profiles));
    },
    COMPOSE_TIMEOUT,
  );

  test(
    "the top file includes every services/*.compose.yaml, nothing else",
    () => {
      const top = parse(readFileSync(TOP, "utf8")) as { name: string; include: string[] };
      expect(top.name).toBe("sluice");
      expect(Object.keys(top).sort()).toEqual(["include", "name"]);
      expect(top.include.map((p) => p.replace(/^services\//, "")).sort()).toEqual(composeFiles);
      expect(load([]).name).toBe("sluice");
    },
    COMPOSE_TIMEOUT,
  );

  for (const name of REQUIRED) {
    test(
      `a missing ${name} stops compose with the message that says what to set`,
      () => {
        const { [name]: _, ...rest } = exampleVars;
        const r = compose(["config", "-q"], rest, profiles);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(`set ${name} in .env`);
      },
      COMPOSE_TIMEOUT,
    );
  }

  test(
    "the check is not vacuous: Compose refuses broken files through the same call",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "sluice-compose-broken-"));
      const refuses = (yaml: string, set: string[] = []) => {
        writeFileSync(join(dir, "compose.yaml"), yaml);
        const r = compose(["config", "-q"], {}, set, join(dir, "compose.yaml"));
        return r.status !== 0 && r.stderr.length > 0;
      };
      try {
        // A dependency on a service only a profile enables, without `required: false`.
        const profileDep = [
          "services:",
          "  a: {image: a:1, depends_on: {b: {condition: service_healthy}}}",
          "  b: {image: b:1, profiles: [p]}",
        ].join("\n");
        expect(refuses(profileDep)).toBe(true);
        expect(refuses(profileDep, ["p"])).toBe(false);
        expect(refuses("services:\n  a: {image: 'a:${TAG'}\n")).toBe(true);
        expect(refuses("services:\n  a: {imag: a}\n")).toBe(true);
        expect(refuses("services:\n  a: {image: a:1, volumes: ['data:/d']}\n")).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    COMPOSE_TIMEOUT,
  );
});

describe("what Compose cannot check", () => {
  test("paths exist: bind mounts, secret files, build contexts, Dockerfiles and what they COPY", () => {
    for (const [name, f] of Object.entries(allProject.secrets ?? {})) {
      expect({ name, file: f.file, exists: existsSync(f.file ?? "") }).toEqual({ name, file: f.file, exists: true });
    }
    for (const [name, s] of Object.entries(all)) {
      for (const v of s.volumes ?? []) {
        // Bind mounts are the work tree's files: present, and read-only in the container.
        const bindOk = v.type !== "bind" || (existsSync(v.source!) && v.read_only === true);
        holds({ name, type: v.type, src: v.source, readOnly: v.read_only }, bindOk);
      }
      if (s.build) {
        const dockerfile = join(s.build.context, s.build.dockerfile ?? "Dockerfile");
        expect({ name, dockerfile, exists: existsSync(dockerfile) }).toEqual({ name, dockerfile, exists: true });
        for (const m of readFileSync(dockerfile, "utf8").matchAll(/^COPY (?!--from)(\S+)/gm)) {
          holds({ name, copy: m[1] }, existsSync(join(s.build.context, m[1]!)));
        }
      }
    }
  });

  test("the stateful services keep their data in a named volume", () => {
    const dataDir = (name: string, dir: string) =>
      (svc(name).volumes ?? []).some((v) => v.type === "volume" && v.target === dir);
    expect(dataDir("postgres", "/var/lib/postgresql/data")).toBe(true);
    for (const b of ["redpanda", "redpanda-2", "redpanda-3"]) expect(dataDir(b, "/var/lib/redpanda/data")).toBe(true);
    expect(dataDir("prometheus", "/prometheus")).toBe(true);
    expect(dataDir("grafana", "/var/lib/grafana")).toBe(true);
    expect(dataDir("admin", "/app/.sluice")).toBe(true);
  });

  test("startup is health-gated: each dependency waits for health or completion, of a service that reports it", () => {
    for (const [set, label] of [
      [base, "default"],
      [scale, "scale"],
      [all, "all"],
    ] as const) {
      for (const [name, s] of Object.entries(set)) {
        for (const [dep, d] of Object.entries(s.depends_on ?? {})) {
          const target = set[dep];
          if (!target) {
            // Only the scale brokers may be absent (Compose accepted it, so the dependency says it is optional).
            expect({ label, name, dep, optional: d.required === false }).toEqual({ label, name, dep, optional: true });
            continue;
          }
          holds({ name, dep, condition: d.condition }, /^service_(healthy|completed_successfully)$/.test(d.condition));
          if (d.condition === "service_healthy") holds({ dep, healthcheck: true }, Boolean(target.healthcheck?.test));
          const oneShot = d.condition === "service_completed_successfully";
          if (oneShot) holds({ dep, restart: target.restart }, target.restart === "no");
        }
      }
    }
    const setupDeps = Object.keys(svc("setup").depends_on ?? {}).sort();
    expect(setupDeps).toEqual(["connect", "postgres", "redpanda", "redpanda-2", "redpanda-3"]);
    expect(svc("admin").depends_on?.setup?.condition).toBe("service_completed_successfully");
    expect(svc("producer").depends_on?.setup?.condition).toBe("service_completed_successfully");
  });

  test("exec-form commands hold one argument per item (only a shell's script has spaces)", () => {
    for (const [name, s] of Object.entries(all)) {
      const argv = [...(s.entrypoint ?? []), ...(s.command ?? [])];
      const shell = argv.findIndex((a, i) => a === "-c" && /(^|\/)sh$/.test(argv[i - 1] ?? ""));
      const plain = shell < 0 ? argv : argv.slice(0, shell + 1);
      for (const a of plain) expect({ name, arg: a, oneWord: !/\s/.test(a) }).toEqual({ name, arg: a, oneWord: true });
    }
  });

  test("images are pinned to a version, here and in the Dockerfiles", () => {
    for (const [name, s] of Object.entries(all)) {
      if (s.image) holds({ name, image: s.image }, /^v?\d+\.\d+(\.\d+)?[\w.-]*$/.test(imageTag(s.image)));
      else expect({ name, builds: Boolean(s.build) }).toEqual({ name, builds: true });
      if (s.build) {
        const dockerfile = readFileSync(join(s.build.context, s.build.dockerfile ?? "Dockerfile"), "utf8");
        for (const m of dockerfile.matchAll(/^FROM (\S+)/gm)) {
          const arg = (k: string) =>
            s.build?.args?.[k] ?? new RegExp(`^ARG ${k}=(\\S+)$`, "m").exec(dockerfile)?.[1] ?? "";
          const image = m[1]!.replace(/\$\{(\w+)\}/g, (_, k: string) => arg(k));
          holds({ name, image }, /^\d+\.\d+(\.\d+)?[\w.-]*$/.test(imageTag(image)));
        }
      }
    }
  });
});

describe("compose agrees with the local stack", () => {
  test("versions: the Connect build and PostgreSQL follow services/versions.env, the JMX agent the supervisor", () => {
    const connect = svc("connect");
    expect(connect.build?.args).toEqual({ KAFKA_VERSION, DEBEZIUM_VERSION, JMX_EXPORTER_VERSION });
    expect(svc("connect-2").build).toEqual(connect.build!);
    const dockerfile = readFileSync(join(services, "connect", "Dockerfile"), "utf8");
    const argDefault = (k: string) => new RegExp(`^ARG ${k}=(\\S+)$`, "m").exec(dockerfile)?.[1];
    const defaults = ["KAFKA_VERSION", "DEBEZIUM_VERSION", "JMX_EXPORTER_VERSION"].map(argDefault);
    expect(defaults).toEqual([KAFKA_VERSION, DEBEZIUM_VERSION, JMX_EXPORTER_VERSION]);
    expect(dockerfile).toContain("FROM apache/kafka:${KAFKA_VERSION}");
    expect(imageTag(svc("postgres").image!).startsWith(`${versions.POSTGRES_VERSION}-`)).toBe(true);
    // The app image runs the CLI with the Bun the project pins (package.json, itself checked against versions.env).
    expect(readFileSync(join(services, "app", "Dockerfile"), "utf8")).toContain("devDependencies.bun");
  });

  test("every component of the local stack has its compose service, published on the component's port", () => {
    const ctx = createStackContext({}, { root });
    // Redpanda stands in for Kafka and the schema registry; every other component keeps its name.
    const standIn: Record<string, string> = { kafka: "redpanda", registry: "redpanda" };
    const local = components(ctx).map((c) => ({ name: c.name, port: c.port }));
    expect(local.map((c) => c.name).sort()).toEqual(["admin", "connect", "kafka", "postgres", "registry"]);
    for (const c of local) {
      const service = standIn[c.name] ?? c.name;
      const published = publishedTarget(svc(service, base), c.port) !== undefined;
      expect({ component: c.name, service, published }).toEqual({ component: c.name, service, published: true });
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
    for (const [name, host, target] of expected) {
      expect({ name, host, target: publishedTarget(svc(name), host) }).toEqual({ name, host, target });
    }
    for (const set of [base, scale, all]) {
      const ports = Object.entries(set).flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, ...p })));
      for (const p of ports) holds({ service: p.name, hostIp: p.host_ip }, p.host_ip === "127.0.0.1");
      expect(new Set(ports.map((p) => p.published)).size).toBe(ports.length);
    }
  });

  test(
    "every variable compose reads is a documented Sluice setting, with the same default",
    () => {
      type Variable = { Name: string; DefaultValue: string; Required: boolean };
      const r = compose(["config", "--variables", "--format", "json"], exampleVars, profiles);
      expect(r.status).toBe(0);
      const all = Object.values(JSON.parse(r.stdout) as Record<string, Variable>);
      expect(
        all
          .filter((v) => v.Required)
          .map((v) => v.Name)
          .sort(),
      ).toEqual([...REQUIRED].sort());
      // The one setting only the image build reads (not the CLI): the Maven settings file, by default the empty one.
      const buildOnly = all.filter((v) => v.Name === "MAVEN_SETTINGS");
      expect(buildOnly.map((v) => v.DefaultValue)).toEqual(["./connect/maven-settings.xml"]);
      const vars = all.filter((v) => v.Name !== "MAVEN_SETTINGS");
      for (const v of vars) {
        holds({ name: v.Name, inEnvSchema: true }, v.Name in EnvSchema.shape);
        if (v.Required) continue;
        const local = (localEnv as Record<string, unknown>)[v.Name];
        // Settings without a local default (TOPIC_REPLICATION_FACTOR, CONNECT_TZ) take compose's; it must parse.
        const parsed = () => String(parseEnv({ [v.Name]: v.DefaultValue })[v.Name as keyof typeof localEnv]);
        const expected = local === undefined ? parsed() : String(local);
        expect({ name: v.Name, default: v.DefaultValue }).toEqual({ name: v.Name, default: expected });
      }
    },
    COMPOSE_TIMEOUT,
  );

  test("the app containers get only Sluice settings, and valid ones", () => {
    for (const name of ["setup", "admin", "producer"]) {
      const e = env(svc(name));
      for (const k of Object.keys(e)) holds({ name, key: k, inEnvSchema: true }, k in EnvSchema.shape);
      const parsed = parseEnv(e);
      // They reach the compose services, not a local stack.
      const reach = [parsed.KAFKA_BOOTSTRAP, parsed.CONNECT_URL, parsed.POSTGRES_HOST, parsed.POSTGRES_PORT];
      expect(reach).toEqual(["redpanda:9092", "http://connect:8083", "postgres", 5432]);
    }
    const admin = parseEnv(env(svc("admin")));
    expect(publishedTarget(svc("admin"), localEnv.ADMIN_PORT)).toBe(admin.ADMIN_PORT);
    expect(admin.SLUICE_API_KEYS).toBe(exampleVars.SLUICE_API_KEYS!);
  });

  test("each app container gets only its own credentials: admin the monitor, maintainer passwords, API keys", () => {
    const held = (name: string) => REQUIRED.filter((k) => k in env(svc(name))).sort();
    expect(held("setup")).toEqual([
      "POSTGRES_ANALYST_PASSWORD",
      "POSTGRES_MAINTAINER_PASSWORD",
      "POSTGRES_MONITOR_PASSWORD",
      "POSTGRES_PASSWORD",
      "POSTGRES_SINK_PASSWORD",
    ]);
    expect(held("admin")).toEqual(["POSTGRES_MAINTAINER_PASSWORD", "POSTGRES_MONITOR_PASSWORD", "SLUICE_API_KEYS"]);
    expect(held("producer")).toEqual([]);
    expect(held("pgadmin")).toEqual(["POSTGRES_ANALYST_PASSWORD"]);
    // No value of another credential hides under another name either.
    const others = ["POSTGRES_PASSWORD", "POSTGRES_SINK_PASSWORD", "POSTGRES_ANALYST_PASSWORD"];
    const otherValues = others.map((k) => exampleVars[k]);
    for (const v of Object.values(env(svc("admin")))) expect(otherValues).not.toContain(v);
    for (const v of Object.values(env(svc("producer")))) expect(REQUIRED.map((k) => exampleVars[k])).not.toContain(v);
    // The setup job sets the monitor role's password from the same setting the admin logs in with.
    expect(env(svc("setup")).POSTGRES_MONITOR_PASSWORD).toBe(env(svc("admin")).POSTGRES_MONITOR_PASSWORD!);
    const maint = (name: string) => env(svc(name)).POSTGRES_MAINTAINER_PASSWORD;
    expect(maint("setup")).toBe(maint("admin")!);
  });

  test("pgAdmin: the database pre-registered for the analyst role, password from .env only, loopback, health-gated", () => {
    const p = svc("pgadmin");
    const servers = JSON.parse(readFileSync(join(services, "pgadmin", "servers.json"), "utf8")) as {
      Servers: Record<string, Record<string, unknown>>;
    };
    const [server, ...more] = Object.values(servers.Servers);
    expect(more).toEqual([]);
    expect(server).toMatchObject({ Host: "postgres", Port: 5432, MaintenanceDB: localEnv.POSTGRES_DB });
    expect(server!.Username).toBe(ROLES.analyst);
    // The password is in no file: the servers file has none, the pgpass file is written from the env at start.
    expect(Object.keys(server!).filter((k) => /password/i.test(k))).toEqual([]);
    const start = (p.command as string[]).join(" ");
    expect(start).toContain(`> ${server!.PassFile as string}`);
    expect(start).toContain(`:${ROLES.analyst}:`);
    expect(start).toContain("umask 077");
    expect(env(p).POSTGRES_ANALYST_PASSWORD).toBe(exampleVars.POSTGRES_ANALYST_PASSWORD!);
    expect(Object.values(env(p))).not.toContain(exampleVars.POSTGRES_PASSWORD!);
    expect(p.ports?.map((x) => (x as { host_ip?: string }).host_ip)).toEqual(["127.0.0.1"]);
    expect(p.healthcheck?.test).toBeDefined();
    expect(p.depends_on).toMatchObject({ setup: { condition: "service_completed_successfully" } });
  });

  test("Connect runs the local stack's worker template, rendered for the container", () => {
    const dockerfile = readFileSync(join(services, "connect", "Dockerfile"), "utf8");
    expect(dockerfile).toContain("COPY services/connect/worker.properties /etc/sluice/worker.properties.template");
    const pluginDir = /mkdir -p (\/opt\/connect-plugins)\//.exec(dockerfile)?.[1];
    const template = readFileSync(join(services, "connect", "worker.properties"), "utf8");
    const local = parseProperties(
      render(template, {
        BOOTSTRAP: "127.0.0.1:19092",
        HOST: "127.0.0.1",
        PORT: 18083,
        PLUGIN_PATH: "/plugins",
        SECRETS_DIR: "/secrets",
        RF: 1,
      }),
    );
    const secretsKey = "config.providers.file.param.allowed.paths";
    const differ = new Set([
      "bootstrap.servers",
      "listeners",
      "rest.advertised.host.name",
      "rest.advertised.port",
      "plugin.path",
      secretsKey,
    ]);
    const workers = [
      ["connect", base, "1"],
      ["connect", scale, "3"],
      ["connect-2", scale, "3"],
    ] as const;
    for (const [name, set, rf] of workers) {
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
      const setup = parseEnv(env(svc("setup", set)));
      const setupCtx = { env: setup, paths: stackPaths(setup, root) } as StackContext;
      expect(worker[secretsKey]).toBe(connectSecretsDir(setupCtx));
      expect(JSON.stringify(s.healthcheck?.test)).toContain("localhost:8083/");
    }
    // The Redpanda listener the worker bootstraps from.
    expect(shellCommand(svc("redpanda"))).toContain("internal://redpanda:9092");
  });

  test("Connect's JVM: UTC, CONNECT_HEAP, the JMX exporter on its published port with the local config", () => {
    const e = env(svc("connect"));
    const localTz = jvmArgs(localEnv.CONNECT_HEAP, root).filter((a) => a.startsWith("-Duser.timezone"));
    for (const a of localTz) expect(e.KAFKA_OPTS).toContain(a);
    expect(e.KAFKA_HEAP_OPTS).toBe(`-Xms${localEnv.CONNECT_HEAP} -Xmx${localEnv.CONNECT_HEAP}`);
    for (const flag of [...GC_FLAGS[localEnv.JVM_GC], ...CONNECT_GC_FLAGS[localEnv.JVM_GC]])
      expect(e.KAFKA_JVM_PERFORMANCE_OPTS).toContain(flag);
    const agent = /-javaagent:(\S+?)=0\.0\.0\.0:(\d+):(\S+)/.exec(e.KAFKA_OPTS ?? "");
    expect(agent).not.toBeNull();
    const dockerfile = readFileSync(join(services, "connect", "Dockerfile"), "utf8");
    expect(dockerfile).toContain(agent![1]!);
    expect(dockerfile).toContain(`COPY services/connect/jmx-exporter.yml ${agent![3]}`);
    expect(publishedTarget(svc("connect"), localEnv.CONNECT_JMX_PORT)).toBe(Number(agent![2]));
  });

  test("the sink's secrets: the local stack's worker environment, the sink role, nothing in connector files", () => {
    const e = env(svc("connect"));
    const sinkPassword = exampleVars.POSTGRES_SINK_PASSWORD!;
    const ctx = {
      env: parseEnv({ SINK_JDBC_URL: e.SLUICE_SINK_JDBC_URL, POSTGRES_SINK_PASSWORD: sinkPassword }),
      paths: stackPaths(localEnv, root),
    } as StackContext;
    for (const [k, v] of Object.entries(workerSecretsEnv(ctx))) expect({ k, v: e[k] }).toEqual({ k, v });
    expect(e.SLUICE_SINK_DB_USER).toBe(ROLES.sink);
    // The JDBC URL reaches the postgres service on its container port, in the database the app uses.
    const app = parseEnv(env(svc("setup")));
    const url = `jdbc:postgresql://${app.POSTGRES_HOST}:${app.POSTGRES_PORT}/${app.POSTGRES_DB}`;
    expect(e.SLUICE_SINK_JDBC_URL).toBe(url);
    expect(publishedTarget(svc("postgres"), localEnv.POSTGRES_PORT)).toBe(app.POSTGRES_PORT);
    // The setup job sets the sink role's password from the same setting the worker logs in with.
    expect(env(svc("setup")).POSTGRES_SINK_PASSWORD).toBe(e.SLUICE_SINK_DB_PASSWORD!);
    // Every ${env:…} the connector files read is in the worker's environment (and those files hold no secret:
    // readConnectorDir refuses literal secrets).
    for (const spec of readConnectorDir(join(root, "connectors"))) {
      for (const [k, v] of Object.entries(spec.config)) {
        for (const m of v.matchAll(/\$\{env:([A-Za-z0-9_]+)\}/g)) {
          expect({ connector: spec.name, k, set: m[1]! in e }).toEqual({ connector: spec.name, k, set: true });
        }
      }
    }
  });

  test("scale profile: three brokers in one cluster, 3 replicas of the topics, two workers in one group", () => {
    const seeds = ["redpanda-2", "redpanda-3"].map((b) => /--seeds (\S+)/.exec(shellCommand(svc(b, scale)))?.[1]);
    expect(seeds).toEqual(["redpanda:33145", "redpanda:33145"]);
    expect(shellCommand(svc("redpanda", scale))).toContain("--rpc-addr redpanda:33145");
    const workers = ["connect", "connect-2"].map((w) => composeWorkerConfig(svc(w, scale)));
    expect(workers[0]!["group.id"]).toBe(workers[1]!["group.id"]!);
    expect(svc("connect-2", scale).image).toBe(svc("connect", scale).image!);
    const setupEnv = parseEnv(env(svc("setup", scale)));
    expect(setupEnv.TOPIC_REPLICATION_FACTOR).toBe(3);
    const topics = localizeTopics(readTopicsFile(join(services, "topics.json")), setupEnv);
    expect(topics.map((t) => [t.name, t.replicationFactor])).toEqual([
      ["metrics", 3],
      ["metrics.dlq", 3],
    ]);
    // Without the profile: the file's single replica.
    const baseEnv = parseEnv(env(svc("setup", base)));
    const baseTopics = localizeTopics(readTopicsFile(join(services, "topics.json")), baseEnv);
    expect(baseTopics.map((t) => t.replicationFactor)).toEqual([1, 1]);
    expect(Object.keys(base)).not.toContain("connect-2");
    // A DLQ the worker creates itself gets the same factor (the connector file says 1, for one broker).
    const dlqRf = (e: typeof setupEnv) =>
      desiredConnectors({ env: e, paths: stackPaths(e, root) } as StackContext).find((c) => c.name === MAIN_CONNECTOR)
        ?.config["errors.deadletterqueue.topic.replication.factor"];
    expect([dlqRf(baseEnv), dlqRf(setupEnv)]).toEqual(["1", "3"]);
  });

  test("Console is wired to the broker, the schema registry and Kafka Connect", () => {
    const config = parse(env(svc("console")).CONSOLE_CONFIG_FILE!) as {
      kafka: { brokers: string[] };
      schemaRegistry: { enabled: boolean; urls: string[] };
      kafkaConnect: { enabled: boolean; clusters: { name: string; url: string }[] };
    };
    expect(config.kafka.brokers).toEqual(["redpanda:9092"]);
    expect(config.schemaRegistry).toEqual({ enabled: true, urls: [env(svc("setup")).REGISTRY_URL!] });
    expect(config.kafkaConnect.enabled).toBe(true);
    expect(config.kafkaConnect.clusters.map((c) => c.url)).toEqual([env(svc("setup")).CONNECT_URL!]);
    expect(shellCommand(svc("redpanda"))).toContain("internal://0.0.0.0:8081");
  });

  test(
    "Prometheus runs services/prometheus with the compose addresses; promtool accepts the result",
    async () => {
      const prom = svc("prometheus");
      const local = readFileSync(join(services, "prometheus", "prometheus.yml"), "utf8");
      const rendered = applySed(local, sedSubstitutions(shellCommand(prom), env(prom)));
      type Scrape = { job_name: string; static_configs: { targets: string[] }[] };
      const cfg = parse(rendered) as { scrape_configs: Scrape[] };
      const localCfg = parse(local) as typeof cfg;
      expect(cfg.scrape_configs.map((j) => j.job_name)).toEqual(localCfg.scrape_configs.map((j) => j.job_name));
      const connectJmx = Number(/0\.0\.0\.0:(\d+):/.exec(env(svc("connect")).KAFKA_OPTS ?? "")?.[1]);
      const listens: Record<string, number[]> = { admin: [3000], connect: [8083, connectJmx] };
      for (const target of cfg.scrape_configs.flatMap((j) => j.static_configs.flatMap((c) => c.targets))) {
        const [host, port] = target.split(":");
        holds({ target, reachable: true }, listens[host!]?.includes(Number(port)) ?? false);
      }
      // The rule files travel with the config (the command copies every *.yml of the mounted folder).
      expect(shellCommand(prom)).toContain("cp /etc/sluice/prometheus/*.yml /prometheus/config/");
      const dir = mkdtempSync(join(tmpdir(), "sluice-compose-prom-"));
      try {
        for (const f of readdirSync(join(services, "prometheus"))) {
          if (f.endsWith(".yml")) copyFileSync(join(services, "prometheus", f), join(dir, f));
        }
        writeFileSync(join(dir, "prometheus.yml"), rendered);
        const promtool = await ensurePromtool(() => {});
        const r = spawnSync(promtool, ["check", "config", "prometheus.yml"], { cwd: dir, encoding: "utf8" });
        expect(`${r.stdout}${r.stderr}`).toContain("SUCCESS");
        expect(r.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    PROMTOOL_BUILD_TIMEOUT_MS,
  );

  test("Grafana runs services/grafana: its datasource is the Prometheus service, its dashboards are mounted", () => {
    const g = svc("grafana");
    const e = env(g);
    const local = readFileSync(join(services, "grafana", "provisioning", "datasources", "prometheus.yml"), "utf8");
    const ds = parse(applySed(local, sedSubstitutions(shellCommand(g), e))) as { datasources: { url: string }[] };
    expect(ds.datasources.map((d) => d.url)).toEqual(["http://prometheus:9090"]);
    expect(shellCommand(svc("prometheus"))).toContain("--web.listen-address=0.0.0.0:9090");
    const mount = (g.volumes ?? []).find((v) => v.type === "bind" && v.target === "/etc/sluice/grafana");
    expect(mount?.source).toBe(join(services, "grafana"));
    expect(e.SLUICE_GRAFANA_DASHBOARDS).toBe("/etc/sluice/grafana/dashboards");
    expect(e.GF_PATHS_PROVISIONING).toBe("/var/lib/grafana/provisioning");
    const provider = readFileSync(join(services, "grafana", "provisioning", "dashboards", "sluice.yml"), "utf8");
    expect(provider).toContain("${SLUICE_GRAFANA_DASHBOARDS}");
  });
});

/** A Dockerfile's instructions per stage (`FROM … AS name`; continuation lines joined, comments dropped). */
function dockerfileStages(text: string): Record<string, string[]> {
  const stages: Record<string, string[]> = {};
  let current: string[] = [];
  for (const line of text.replace(/\\\n\s*/g, " ").split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const from = /^FROM \S+(?: AS (\S+))?/.exec(line);
    if (from) stages[from[1] ?? "final"] = current = [];
    current.push(line);
  }
  return stages;
}

describe("the Connect image takes Debezium and the JMX agent from Maven (services/connect/pom.xml)", () => {
  const dockerfile = readFileSync(join(services, "connect", "Dockerfile"), "utf8");
  const stages = dockerfileStages(dockerfile);
  const args = svc("connect").build?.args ?? {};

  test("no hard-coded repository URL: every download is Maven's, through the user's settings when given", () => {
    const code = Object.values(stages).flat().join("\n");
    expect(code).not.toMatch(/wget|curl|https?:\/\//);
    const mvnRuns = Object.values(stages)
      .flat()
      .filter((i) => /^RUN .*\bmvn\b/.test(i));
    expect(mvnRuns.length).toBe(2);
    const mount = "--mount=type=secret,id=maven-settings,target=/root/.m2/settings.xml,required=false";
    for (const run of mvnRuns) expect(run).toContain(mount);
    expect(svc("connect").build?.secrets).toEqual([{ source: "maven-settings" }]);
    expect(allProject.secrets?.["maven-settings"]?.file).toBe(join(services, "connect", "maven-settings.xml"));
    // The default settings change nothing: Maven Central as it is.
    const settings = readFileSync(join(services, "connect", "maven-settings.xml"), "utf8");
    expect(settings.replace(/<!--[\s\S]*?-->/g, "")).toMatch(/<settings [^>]*\/>\s*$/);
  });

  test("one pom: the versions are build args (= services/versions.env), handed to Maven as properties", () => {
    const pom = readFileSync(join(services, "connect", "pom.xml"), "utf8");
    const versionOf = (artifact: string) =>
      new RegExp(`<artifactId>${artifact}</artifactId>\\s*<version>([^<]+)</version>`).exec(pom)?.[1];
    expect(versionOf("debezium-connector-jdbc")).toBe("${debezium.version}");
    expect(versionOf("jmx_prometheus_javaagent")).toBe("${jmx.exporter.version}");
    const run = stages.downloads?.find((i) => i.startsWith("RUN ")) ?? "";
    expect(run).toContain("-Ddebezium.version=${DEBEZIUM_VERSION}");
    expect(run).toContain("-Djmx.exporter.version=${JMX_EXPORTER_VERSION}");
    expect([args.DEBEZIUM_VERSION, args.JMX_EXPORTER_VERSION]).toEqual([DEBEZIUM_VERSION, JMX_EXPORTER_VERSION]);
  });

  test("the downloads stage, run here as the image build runs it, yields what the final stage copies", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-connect-downloads-"));
    try {
      // The stage works in /build; here in a temporary folder.
      const inBuild = (text: string) => text.replace(/(^|[\s=])\/build(?=[/\s]|$)/g, `$1${dir}`);
      const stage = stages.downloads ?? [];
      expect(stage).toContain("WORKDIR /build");
      expect(stage).toContain("COPY services/connect/pom.xml ./");
      copyFileSync(join(services, "connect", "pom.xml"), join(dir, "pom.xml"));
      const run = (stage.find((i) => i.startsWith("RUN ")) ?? "")
        .replace(/^RUN /, "")
        .replace(/--mount=\S+/g, "")
        .replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? "");
      const r = spawnSync("sh", ["-c", inBuild(run)], { cwd: dir, encoding: "utf8", timeout: 600_000 });
      expect({ status: r.status, out: r.status === 0 ? "" : `${r.stdout}${r.stderr}` }).toEqual({ status: 0, out: "" });
      const copies = (stages.final ?? []).filter((i) => i.startsWith("COPY --from=downloads "));
      expect(copies.length).toBe(2);
      for (const c of copies) {
        const src = inBuild(c.split(/\s+/)[2]!);
        expect({ src, exists: existsSync(src) }).toEqual({ src, exists: true });
      }
      const plugin = join(dir, "plugins", "debezium-connector-jdbc");
      expect(readdirSync(plugin).some((f) => /^debezium-connector-jdbc-.*\.jar$/.test(f))).toBe(true);
      const agent = readFileSync(join(dir, "out", "jmx_prometheus_javaagent.jar"));
      expect(agent.subarray(0, 2).toString()).toBe("PK");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
