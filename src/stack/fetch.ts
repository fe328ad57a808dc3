import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SluiceError } from "../errors.ts";
import type { Versions } from "./versions.ts";

const CENTRAL = "https://repo.maven.apache.org/maven2";
type Log = (line: string) => void;

/** Fails with the fix when a required tool is missing (Java 17+, Maven). */
export function requireTools(): void {
  const java = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (java.error || java.status !== 0) {
    throw new SluiceError(
      "NO_JAVA",
      "Java 17+ is required to run Kafka, Kafka Connect and the registry, and `java` was not found on PATH. Install it (Debian: apt-get install openjdk-17-jre-headless).",
    );
  }
  const m = /version "(\d+)/.exec(java.stderr);
  if (m && Number(m[1]) < 17) {
    throw new SluiceError(
      "OLD_JAVA",
      `Java 17+ is required, found Java ${m[1]}. Install openjdk-17 and put it first on PATH.`,
    );
  }
  const mvn = spawnSync("mvn", ["-v"], { encoding: "utf8" });
  if (mvn.error || mvn.status !== 0) {
    throw new SluiceError(
      "NO_MAVEN",
      "Maven is required to fetch the Kafka and Debezium jars from Maven Central, and `mvn` was not found on PATH. Install it (Debian: apt-get install maven).",
    );
  }
}

function mvn(args: string[], what: string, log: Log): void {
  log(`${what}…`);
  const r = spawnSync("mvn", ["-B", "-q", "-ntp", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`
      .split("\n")
      .filter((l) => l.includes("ERROR"))
      .slice(0, 3)
      .join("\n");
    throw new SluiceError(
      "DOWNLOAD_FAILED",
      `Maven failed ${what}:\n${tail}\nCheck network access to Maven Central, then run \`sluice up\` again.`,
    );
  }
}

/** Runs `fill(tmp)` into a temporary folder and renames it into place, so an interrupted download is never half-used. */
function cached(dir: string, fill: (tmp: string) => void | Promise<void>): Promise<string> | string {
  if (existsSync(join(dir, ".complete"))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const finish = () => {
    writeFileSync(join(tmp, ".complete"), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return dir;
  };
  const r = fill(tmp);
  return r instanceof Promise ? r.then(finish) : finish();
}

/** The Kafka broker + Connect jar set (one version), resolved by Maven from services/maven/pom.xml. */
export function ensureKafkaJars(root: string, cache: string, v: Versions, log: Log): Promise<string> | string {
  return cached(join(cache, `kafka-${v.KAFKA_VERSION}`), (tmp) =>
    mvn(
      [
        "-f",
        join(root, "services", "maven", "pom.xml"),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        `-DoutputDirectory=${join(tmp, "libs")}`,
        `-Dkafka.version=${v.KAFKA_VERSION}`,
        `-Dlog4j.version=${v.LOG4J_VERSION}`,
        `-Dslf4j.version=${v.SLF4J_VERSION}`,
      ],
      `fetching Apache Kafka ${v.KAFKA_VERSION} jars from Maven Central`,
      log,
    ),
  );
}

/** The Debezium JDBC sink plugin, unpacked; the returned folder is Connect's `plugin.path`. */
export function ensureDebezium(root: string, cache: string, v: Versions, log: Log): Promise<string> | string {
  return cached(join(cache, `debezium-jdbc-${v.DEBEZIUM_VERSION}`), (tmp) =>
    mvn(
      [
        "-f",
        join(root, "services", "maven", "pom.xml"),
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack",
        `-Dartifact=io.debezium:debezium-connector-jdbc:${v.DEBEZIUM_VERSION}:tar.gz:plugin`,
        `-DoutputDirectory=${tmp}`,
        "-Dkafka.version=unused",
        "-Dlog4j.version=unused",
        "-Dslf4j.version=unused",
      ],
      `fetching Debezium JDBC sink ${v.DEBEZIUM_VERSION} from Maven Central`,
      log,
    ),
  );
}

/**
 * Apicurio Registry (Quarkus runner). Fetched straight from Maven Central with its published SHA-1, because Maven
 * itself refuses it: the artifact's parent pom is not on Central, so resolving its descriptor fails.
 */
export function ensureApicurio(cache: string, v: Versions, log: Log): Promise<string> | string {
  const ver = v.APICURIO_VERSION;
  return cached(join(cache, `apicurio-${ver}`), async (tmp) => {
    const url = `${CENTRAL}/io/apicurio/apicurio-registry-app/${ver}/apicurio-registry-app-${ver}-all.tar.gz`;
    log(`fetching Apicurio Registry ${ver} from Maven Central…`);
    const fail = (why: string) =>
      new SluiceError(
        "DOWNLOAD_FAILED",
        `could not fetch Apicurio Registry ${ver} (${url}): ${why}. Check network access to Maven Central, then run \`sluice up\` again.`,
      );
    const [res, sha] = await Promise.all([fetch(url), fetch(`${url}.sha1`)]);
    if (!res.ok || !sha.ok) throw fail(`HTTP ${res.status}/${sha.status}`);
    const body = new Uint8Array(await res.arrayBuffer());
    const want = (await sha.text()).trim().slice(0, 40);
    const got = createHash("sha1").update(body).digest("hex");
    if (got !== want) throw fail(`checksum mismatch (expected ${want}, got ${got})`);
    const archive = join(tmp, "registry.tar.gz");
    await Bun.write(archive, body);
    const r = spawnSync("tar", ["xzf", archive, "-C", tmp]);
    if (r.status !== 0) throw fail("tar could not unpack it");
    rmSync(archive);
    if (!readdirSync(tmp).some((f) => f.endsWith("-runner.jar"))) throw fail("no runner jar inside");
  });
}

/** Files under `dir`, recursively, sorted: what the plugin build depends on. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? (e.name === "target" ? [] : sourceFiles(join(dir, e.name))) : [join(dir, e.name)],
    )
    .sort();
}

/**
 * A Maven project of this repository (`src`) built into the cache under a hash of its sources, so an edit rebuilds
 * it and an unchanged tree reuses it: `package` with `args` into a build folder, then `keep(build, tmp)` moves what
 * is kept into the folder that becomes `<cache>/<dirName(hash)>`. Returns that folder.
 */
export function ensureBuilt(
  src: string,
  cache: string,
  dirName: (hash: string) => string,
  args: readonly string[],
  what: string,
  log: Log,
  keep: (build: string, tmp: string) => void,
): string {
  const hash = createHash("sha1");
  for (const f of sourceFiles(src)) hash.update(f.slice(src.length)).update(readFileSync(f));
  return cached(join(cache, dirName(hash.digest("hex").slice(0, 12))), (tmp) => {
    const build = `${tmp}-build`;
    mvn(["-f", join(src, "pom.xml"), "package", "-DskipTests", ...args, `-Dsluice.build.dir=${build}`], what, log);
    keep(build, tmp);
    rmSync(build, { recursive: true, force: true });
  }) as string;
}

/**
 * Sluice's own Connect plugin (services/connect/sluice-plugin: the contract-enforcing converter and the key/value
 * check), built with Maven into the cache (ensureBuilt). Returns a folder for Connect's `plugin.path`.
 */
export function ensureSluicePlugin(root: string, cache: string, v: Versions, log: Log): string {
  return ensureBuilt(
    join(root, "services", "connect", "sluice-plugin"),
    cache,
    (hash) => `sluice-plugin-${hash}-kafka-${v.KAFKA_VERSION}`,
    [`-Dkafka.version=${v.KAFKA_VERSION}`],
    "building the Sluice Connect plugin (services/connect/sluice-plugin)",
    log,
    (build, tmp) => {
      mkdirSync(join(tmp, "sluice"), { recursive: true });
      renameSync(join(build, "sluice-connect-plugin.jar"), join(tmp, "sluice", "sluice-connect-plugin.jar"));
      // Its bundled dependencies (the PostgreSQL driver of the COPY sink) go beside it in the plugin folder.
      for (const jar of readdirSync(join(build, "lib"))) renameSync(join(build, "lib", jar), join(tmp, "sluice", jar));
    },
  );
}

/** Prometheus JMX exporter agent in the Connect worker (services/connect/jmx-exporter.yml). */
export const JMX_EXPORTER_VERSION = "1.0.1";

/**
 * The Prometheus JMX exporter java agent jar (`io.prometheus.jmx:jmx_prometheus_javaagent`), fetched from Maven
 * Central with its published SHA-1 into the cache. Returns the jar's path.
 */
export function ensureJmxExporter(cache: string, log: Log): Promise<string> {
  return centralJar(
    cache,
    "io.prometheus.jmx",
    "jmx_prometheus_javaagent",
    JMX_EXPORTER_VERSION,
    "the Prometheus JMX exporter agent",
    log,
  );
}

/** Kafka Connect's basic-auth REST extension (JAAS property-file logins), for the secured local stack's worker. */
export function ensureConnectBasicAuth(cache: string, v: Versions, log: Log): Promise<string> {
  return centralJar(
    cache,
    "org.apache.kafka",
    "connect-basic-auth-extension",
    v.KAFKA_VERSION,
    "Connect's basic-auth extension",
    log,
  );
}

/** One jar from Maven Central, checked against its published SHA-1, cached per version; returns its path. */
async function centralJar(
  cache: string,
  group: string,
  artifact: string,
  ver: string,
  what: string,
  log: Log,
): Promise<string> {
  const name = `${artifact}-${ver}.jar`;
  const dir = await cached(join(cache, `${artifact}-${ver}`), async (tmp) => {
    const url = `${CENTRAL}/${group.replaceAll(".", "/")}/${artifact}/${ver}/${name}`;
    log(`fetching ${what} ${ver} from Maven Central…`);
    const fail = (why: string) =>
      new SluiceError(
        "DOWNLOAD_FAILED",
        `could not fetch ${what} ${ver} (${url}): ${why}. Check network access to Maven Central, then run \`sluice up\` again.`,
      );
    const [res, sha] = await Promise.all([fetch(url), fetch(`${url}.sha1`)]);
    if (!res.ok || !sha.ok) throw fail(`HTTP ${res.status}/${sha.status}`);
    const body = new Uint8Array(await res.arrayBuffer());
    const want = (await sha.text()).trim().slice(0, 40);
    const got = createHash("sha1").update(body).digest("hex");
    if (got !== want) throw fail(`checksum mismatch (expected ${want}, got ${got})`);
    await Bun.write(join(tmp, name), body);
  });
  return join(dir, name);
}
