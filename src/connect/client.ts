import { SluiceError } from "../errors.ts";

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: { id: number; state: string; worker_id: string; trace?: string }[];
}

/** A small client for the Kafka Connect REST API. */
export class ConnectClient {
  constructor(private readonly base: string) {}

  private async call<T>(method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<T | undefined> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new SluiceError("CONNECT_UNREACHABLE", `Kafka Connect at ${this.base} did not answer (${(e as Error).message}); is the stack up (sluice status)?`, true, { cause: e });
    }
    if (okStatuses.includes(res.status)) return undefined;
    if (!res.ok) {
      const text = await res.text();
      // 409: the worker group is rebalancing; the same call succeeds a moment later.
      throw new SluiceError(`CONNECT_HTTP_${res.status}`, `Kafka Connect ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`, res.status === 409 || res.status >= 500);
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

  status(name: string) {
    return this.call<ConnectorStatus>("GET", `/connectors/${encodeURIComponent(name)}/status`, undefined, [404]);
  }

  delete(name: string) {
    return this.call<unknown>("DELETE", `/connectors/${encodeURIComponent(name)}`, undefined, [404]);
  }

  list() {
    return this.call<string[]>("GET", "/connectors") as Promise<string[]>;
  }
}
