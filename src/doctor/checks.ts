import { type KafkaConfig, logLevel } from "kafkajs";
import postgres from "postgres";
import { fetchAuth, type HttpAuth } from "../config/http-auth.ts";
import type { pgTls } from "../db/tls.ts";
import { kafka } from "../kafka/client.ts";
import { advice, classify, type Verdict } from "./classify.ts";

/** One connection check's outcome: what was tried, the verdict and what to look at. Never holds a secret. */
export interface CheckResult {
  readonly component: "kafka" | "connect" | "registry" | "postgres";
  readonly target: string;
  readonly verdict: Verdict;
  readonly detail: string;
  readonly ms: number;
}

/** What the checks reach, with the credentials each needs (from the parsed settings). */
export interface DoctorTargets {
  readonly kafka: { brokers: string[]; security: Pick<KafkaConfig, "ssl" | "sasl">; topics: string[] };
  readonly connect: { url: string; auth?: HttpAuth };
  readonly registry: { url: string; auth?: HttpAuth };
  readonly postgres: { url: string; display: string; tls: ReturnType<typeof pgTls> };
}

async function timed(
  component: CheckResult["component"],
  target: string,
  check: () => Promise<string>,
): Promise<CheckResult> {
  const t0 = performance.now();
  try {
    const detail = await check();
    return { component, target, verdict: "ok", detail, ms: Math.round(performance.now() - t0) };
  } catch (e) {
    const verdict = classify(e);
    const why = (e as Error).message?.split("\n")[0]?.slice(0, 160) ?? String(e);
    return {
      component,
      target,
      verdict,
      detail: `${advice(verdict, component)} (${why})`,
      ms: Math.round(performance.now() - t0),
    };
  }
}

/** The brokers answer (TLS, SASL) and the user may see the topics Sluice uses (describe ACL). */
function checkKafka(t: DoctorTargets["kafka"]): Promise<CheckResult> {
  return timed("kafka", t.brokers.join(","), async () => {
    const admin = kafka(t.brokers, "sluice-doctor", {
      ...t.security,
      connectionTimeout: 5000,
      // The verdict says what failed; kafkajs's own retry log would only repeat it.
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 200 },
    }).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      const { topics } = await admin.fetchTopicMetadata({ topics: t.topics });
      return `${cluster.brokers.length} broker(s); topics ${topics.map((x) => `${x.name} (${x.partitions.length} partitions)`).join(", ")}`;
    } finally {
      await admin.disconnect();
    }
  });
}

async function getJson(url: string, auth: HttpAuth | undefined): Promise<unknown> {
  const { headers, tls } = fetchAuth(auth);
  const res = await fetch(url, { headers, ...(tls ? { tls } : {}), signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw Object.assign(new Error(`${url} answered ${res.status}`), { status: res.status });
  return res.json();
}

/**
 * Every connection Sluice needs, checked side by side: Kafka (and the topics), Connect's REST API, the registry and
 * PostgreSQL. Each result names what is wrong (DNS, unreachable, TLS, auth, ACL) and the setting to look at.
 */
export async function runChecks(t: DoctorTargets): Promise<CheckResult[]> {
  return Promise.all([
    checkKafka(t.kafka),
    timed("connect", t.connect.url, async () => {
      const info = (await getJson(`${t.connect.url}/`, t.connect.auth)) as { version?: string };
      const connectors = (await getJson(`${t.connect.url}/connectors`, t.connect.auth)) as string[];
      return `Kafka Connect ${info.version ?? "?"}; ${connectors.length} connector(s)`;
    }),
    timed("registry", t.registry.url, async () => {
      const subjects = (await getJson(`${t.registry.url}/subjects`, t.registry.auth)) as string[];
      return `${subjects.length} subject(s)`;
    }),
    timed("postgres", t.postgres.display, async () => {
      const sql = postgres(t.postgres.url, { max: 1, connect_timeout: 5, onnotice: () => {}, ...t.postgres.tls });
      try {
        const [r] =
          await sql`select current_user as "user", (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl,
                                     current_setting('server_version') as version`;
        return `PostgreSQL ${r!.version} as ${r!.user}${r!.ssl ? " over TLS" : ""}`;
      } finally {
        await sql.end({ timeout: 1 });
      }
    }),
  ]);
}
