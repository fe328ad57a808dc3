import { fetchAuth, type HttpAuth } from "../config/http-auth.ts";
import { type ErrorCode, SluiceError } from "../errors.ts";
import { redact } from "./secrets.ts";

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: { id: number; state: string; worker_id: string; trace?: string }[];
  /** `sink` or `source` (absent on very old workers). */
  type?: string;
}

/** `PUT /connector-plugins/{class}/config/validate`: one entry per config key, with Connect's errors for it. */
export interface ValidateResponse {
  name: string;
  error_count: number;
  configs: { value: { name: string; errors: string[] } }[];
}

/** `GET /connectors/{name}/offsets` of a sink connector (KIP-875). */
export interface ConnectorOffsets {
  offsets: {
    partition: { kafka_topic?: string; kafka_partition?: number };
    offset: { kafka_offset?: number } | null;
  }[];
}

/** The codes of Connect's error answers: the statuses its REST API documents, and one per class for the rest. */
export const CONNECT_HTTP_CODES = [
  "CONNECT_HTTP_400",
  "CONNECT_HTTP_401",
  "CONNECT_HTTP_403",
  "CONNECT_HTTP_404",
  "CONNECT_HTTP_409",
  "CONNECT_HTTP_4XX",
  "CONNECT_HTTP_500",
  "CONNECT_HTTP_503",
  "CONNECT_HTTP_5XX",
] as const satisfies readonly ErrorCode[];

/** The code of a Connect error answer with `status` (retryable for 409 and 5xx, per the catalogue). */
export function connectHttpCode(status: number): (typeof CONNECT_HTTP_CODES)[number] {
  const exact = `CONNECT_HTTP_${status}`;
  const known = CONNECT_HTTP_CODES.find((c) => c === exact);
  return known ?? (status >= 500 ? "CONNECT_HTTP_5XX" : "CONNECT_HTTP_4XX");
}

/** Whether `e` is Connect refusing a request (an HTTP error answer), not a rebalance (409) or an unreachable worker. */
export function isConnectRefusal(e: unknown): e is SluiceError {
  if (!(e instanceof SluiceError) || e.code === "CONNECT_HTTP_409") return false;
  return (CONNECT_HTTP_CODES as readonly ErrorCode[]).includes(e.code);
}

/** How many times a read answered 409 (a rebalance) is sent again: 250 ms doubling covers ~8 s of rebalance. */
export const READ_RETRIES = 5;

/** A small client for the Kafka Connect REST API. */
export class ConnectClient {
  /**
   * Requests sent, by method and route (`PUT /connectors/{name}/config`, `PUT /connector-plugins/{name}/config/validate`,
   * …): lets callers and tests prove that a no-op apply sent no write.
   */
  readonly sent: Record<string, number> = {};

  /**
   * `auth`: basic auth and a private CA for a secured REST API (config/http-auth.ts). `rebalanceRetryMs`: the first
   * wait before a read answered 409 is sent again (doubling, {@link READ_RETRIES} times).
   */
  constructor(
    private readonly base: string,
    private readonly auth?: HttpAuth,
    private readonly rebalanceRetryMs = 250,
  ) {}

  /**
   * One request; a read (GET) the worker answers 409 — its group is rebalancing, "retry later" per Connect's REST
   * docs — is sent again after a backoff. Writes are retried by their callers (`putWithRetry`), who know whether the
   * write may be repeated.
   */
  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    okStatuses: number[] = [],
  ): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send<T>(method, path, body, okStatuses);
      } catch (e) {
        const rebalancing = e instanceof SluiceError && e.code === "CONNECT_HTTP_409";
        if (method !== "GET" || !rebalancing || attempt >= READ_RETRIES) throw e;
        await Bun.sleep(this.rebalanceRetryMs * 2 ** attempt);
      }
    }
  }

  private async send<T>(method: string, path: string, body: unknown, okStatuses: number[]): Promise<T | undefined> {
    const route = `${method} ${path
      .split("?")[0]!
      .replace(/^(\/connectors|\/connector-plugins)\/[^/]+/, "$1/{name}")
      .replace(/\/tasks\/\d+/, "/tasks/{id}")}`;
    this.sent[route] = (this.sent[route] ?? 0) + 1;
    let res: Response;
    try {
      const { headers, tls } = fetchAuth(this.auth);
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
        ...(tls ? { tls } : {}),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new SluiceError(
        "CONNECT_UNREACHABLE",
        `Kafka Connect at ${this.base} did not answer (${(e as Error).message}); is the stack up (sluice status)?`,
        { cause: e },
      );
    }
    if (okStatuses.includes(res.status)) return undefined;
    if (!res.ok) {
      // Connect's error bodies can echo the resolved config (passwords included): scrub before showing.
      const text = redact(await res.text());
      // 409: the worker group is rebalancing; the same call succeeds a moment later.
      const what = `Kafka Connect ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`;
      throw new SluiceError(connectHttpCode(res.status), what);
    }
    return res.status === 204 ? undefined : ((await res.json()) as T);
  }

  /** Creates or updates a connector (idempotent). */
  putConfig(name: string, config: Record<string, string>) {
    return this.call<unknown>("PUT", `/connectors/${encodeURIComponent(name)}/config`, config);
  }

  getConfig(name: string) {
    return this.call<Record<string, string>>("GET", `/connectors/${encodeURIComponent(name)}/config`, undefined, [404]);
  }

  /** The connector's and its tasks' states; traces are scrubbed of credentials (they can quote resolved configs). */
  async status(name: string): Promise<ConnectorStatus | undefined> {
    const path = `/connectors/${encodeURIComponent(name)}/status`;
    const s = await this.call<ConnectorStatus>("GET", path, undefined, [404]);
    if (!s) return s;
    const scrub = <T extends { trace?: string }>(o: T): T =>
      o.trace === undefined ? o : { ...o, trace: redact(o.trace) };
    return { ...s, connector: scrub(s.connector), tasks: s.tasks.map(scrub) };
  }

  delete(name: string) {
    return this.call<unknown>("DELETE", `/connectors/${encodeURIComponent(name)}`, undefined, [404]);
  }

  list() {
    return this.call<string[]>("GET", "/connectors") as Promise<string[]>;
  }

  /** Every connector's stored config in one request (`?expand=info`, Connect ≥ 2.3). */
  async listConfigs(): Promise<Map<string, Record<string, string>>> {
    const all =
      (await this.call<Record<string, { info: { config: Record<string, string> } }>>(
        "GET",
        "/connectors?expand=info",
      )) ?? {};
    return new Map(Object.entries(all).map(([name, v]) => [name, v.info.config]));
  }

  /** Installed connector classes. */
  plugins() {
    return this.call<{ class: string; type: string; version: string }[]>("GET", "/connector-plugins") as Promise<
      { class: string; type: string; version: string }[]
    >;
  }

  /** Connect's own validation of a config by the connector class (errors per key; nothing is created). */
  validate(connectorClass: string, config: Record<string, string>) {
    return this.call<ValidateResponse>(
      "PUT",
      `/connector-plugins/${encodeURIComponent(connectorClass)}/config/validate`,
      config,
    ) as Promise<ValidateResponse>;
  }

  pause(name: string) {
    return this.call<unknown>("PUT", `/connectors/${encodeURIComponent(name)}/pause`);
  }

  resume(name: string) {
    return this.call<unknown>("PUT", `/connectors/${encodeURIComponent(name)}/resume`);
  }

  /** Committed offsets of a connector (KIP-875, Connect ≥ 3.5). */
  offsets(name: string) {
    return this.call<ConnectorOffsets>("GET", `/connectors/${encodeURIComponent(name)}/offsets`, undefined, [404]);
  }

  /** Stops a connector (KIP-875): its tasks shut down and its offsets may then be altered or reset. */
  stop(name: string) {
    return this.call<unknown>("PUT", `/connectors/${encodeURIComponent(name)}/stop`);
  }

  /** Resets a STOPPED sink connector's offsets: on resume it reads its topics from `auto.offset.reset`. */
  resetOffsets(name: string) {
    return this.call<unknown>("DELETE", `/connectors/${encodeURIComponent(name)}/offsets`);
  }

  /** The worker's version and Kafka cluster id (`GET /`): a cheap liveness check of the REST API. */
  info() {
    return this.call<{ version: string; commit: string; kafka_cluster_id: string }>("GET", "/") as Promise<{
      version: string;
      commit: string;
      kafka_cluster_id: string;
    }>;
  }

  /** Restarts the connector and, with `includeTasks`, its tasks (only the failed ones with `onlyFailed`). */
  restartConnector(name: string, opts: { includeTasks?: boolean; onlyFailed?: boolean } = {}) {
    const q = `includeTasks=${opts.includeTasks ?? false}&onlyFailed=${opts.onlyFailed ?? false}`;
    return this.call<ConnectorStatus>("POST", `/connectors/${encodeURIComponent(name)}/restart?${q}`);
  }

  /** Restarts one task of a connector. */
  restartTask(name: string, task: number) {
    return this.call<unknown>("POST", `/connectors/${encodeURIComponent(name)}/tasks/${task}/restart`);
  }
}
