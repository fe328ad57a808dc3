import { z } from "zod";
import { IngestMetric } from "../contract/ingest-metric.ts";
import { ANSWERED_CODES, errorSpec } from "../error-codes.ts";
import { BODY_ENCODINGS } from "./body.ts";
import type { IngestLimits } from "./ingest.ts";
import { CONNECT_STATES } from "./metrics.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string, headers?: object) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema } },
});
const retryAfter = { "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "string" } } };
const err = (description: string, headers?: object) => json(ref("Error"), description, headers);
const secured = [{ ApiKey: [] }, { Bearer: [] }];
/**
 * What a route needs: the key's scope (OpenAPI 3.0 has scopes only for OAuth, so they are stated in the text and in
 * the `x-sluice-scope` extension) and the two refusals.
 */
const scoped = (scope: "ingest" | "admin") => ({
  security: secured,
  "x-sluice-scope": scope,
  authErrors: {
    "401": err("No API key was given, or it is not a configured key."),
    "403": err(`The API key is valid but lacks the \`${scope}\` scope.`),
  },
});
const ingest = scoped("ingest");
const admin = scoped("admin");
const withScope = ({ security, "x-sluice-scope": x }: ReturnType<typeof scoped>) => ({ security, "x-sluice-scope": x });
const taskStates = { type: "string", enum: [...CONNECT_STATES] };

/**
 * An error answer's `error`: the code is one of the closed catalogue's (src/error-codes.ts); `x-sluice-error-codes`
 * gives, per code, its status, whether a retry can help and what to do.
 */
function errorDetail() {
  const codes = Object.fromEntries(ANSWERED_CODES.map((c) => [c, errorSpec(c)]));
  return {
    type: "object",
    required: ["code", "message"],
    properties: {
      code: { type: "string", enum: [...ANSWERED_CODES], description: "Stable; match on it, not on the message." },
      message: { type: "string", description: "What was expected, what was got and what to do." },
    },
    "x-sluice-error-codes": codes,
  };
}

/**
 * The OpenAPI 3.0 document of the service, served at `/openapi.json`. The metric schema is rendered from the
 * contract (src/contract), so the document cannot drift from what the server validates.
 */
export function openApiDocument(limits: IngestLimits) {
  const metric = z.toJSONSchema(IngestMetric, { target: "openapi-3.0", io: "input" });
  return {
    openapi: "3.0.3",
    info: {
      title: "Sluice admin and ingest API",
      version: "1.0.0",
      description:
        "HTTP ingest of IoT metrics into Kafka (same encoding, partitioning and schema-id header as the Sluice producer), " +
        "health and readiness, Prometheus metrics, connector administration and a DLQ peek. Ingest and admin routes need an " +
        "API key in the X-API-Key header (or Authorization: Bearer), and each key has a scope: an `ingest` key " +
        "may only POST /v1/metrics, an `admin` key may only use /v1/admin/* (connector status and restarts, DLQ " +
        "payloads). No key or an unknown key is 401; a valid key outside its scope is 403. Error answers never " +
        "carry internal details: they name a request id (also in the X-Request-Id header) under which the server " +
        "logs them.",
    },
    servers: [{ url: "/" }],
    paths: {
      "/health": {
        get: {
          summary: "Liveness: the process answers.",
          operationId: "health",
          responses: { "200": json(ref("Health"), "The server runs.") },
        },
      },
      "/ready": {
        get: {
          summary: "Readiness: Kafka, Connect, the registry, PostgreSQL and the sink connector with all tasks RUNNING.",
          description: "One check runs at a time, shared by concurrent callers; its result answers for one second.",
          operationId: "ready",
          responses: {
            "200": json(ref("Readiness"), "Every component is ready."),
            "503": json(ref("Readiness"), "At least one component is not ready."),
          },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics (text exposition format).",
          operationId: "metrics",
          responses: { "200": { description: "Metrics.", content: { "text/plain": { schema: { type: "string" } } } } },
        },
      },
      "/openapi.json": {
        get: {
          summary: "This document.",
          operationId: "openapi",
          responses: { "200": json({ type: "object" }, "The OpenAPI document.") },
        },
      },
      "/v1/pipeline": {
        get: {
          summary: "Produce/landed counters, lag, DLQ and connector state (what the dashboard shows).",
          operationId: "pipeline",
          responses: { "200": json(ref("Pipeline"), "The pipeline now.") },
        },
      },
      "/v1/pipeline/history": {
        get: {
          summary: "The dashboard's charts: one point per sample of the pipeline, over the last 15 minutes.",
          description:
            "Read-only, no key. Rates are counter deltas over the real time between two samples; lag is the end offset " +
            "minus the sink's committed offset (Connect commits every few seconds); markers say what changed (connector " +
            "and task states, watchdog restarts, sources not answering). `since` (epoch ms) returns only newer points.",
          operationId: "pipelineHistory",
          parameters: [
            {
              name: "since",
              in: "query",
              required: false,
              schema: { type: "integer", minimum: 0 },
              description: "Only points sampled after this time (epoch ms).",
            },
          ],
          responses: {
            "200": json(ref("History"), "The points, oldest first (none when the service does not sample)."),
            "400": err("`since` is not a non-negative integer."),
          },
        },
      },
      "/v1/metrics": {
        post: {
          summary: `Ingest a batch of up to ${limits.maxItems} metrics (body at most ${limits.maxBodyBytes} bytes).`,
          description:
            "All or nothing: a batch with any invalid item is refused with 400 and nothing is written. 202 means Kafka " +
            "acknowledged every metric (acks=all). With an Idempotency-Key, a retry of an accepted request returns the " +
            "first answer without sending again (kept in memory by this process for 24 h).",
          operationId: "ingestMetrics",
          ...withScope(ingest),
          parameters: [
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              description: "1–255 printable ASCII characters; reuse it when retrying the same batch.",
              schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" },
            },
            {
              name: "Content-Encoding",
              in: "header",
              required: false,
              description: `gzip or none; the decompressed body is held to the same ${limits.maxBodyBytes} bytes.`,
              schema: { type: "string", enum: [...BODY_ENCODINGS] },
            },
          ],
          requestBody: { required: true, content: { "application/json": { schema: ref("MetricBatch") } } },
          responses: {
            "202": json(ref("IngestAccepted"), "Kafka acknowledged every metric of the batch.", {
              "Idempotency-Replayed": {
                description: "`true` when this is the stored answer to an earlier request with the same key.",
                schema: { type: "string" },
              },
            }),
            "400": json(
              ref("ValidationFailure"),
              "The batch (or a header, or its gzip) is invalid; nothing was written.",
            ),
            ...ingest.authErrors,
            "409": err("A request with the same Idempotency-Key is still being processed.", retryAfter),
            "413": err(`The body is larger than ${limits.maxBodyBytes} bytes.`),
            "415": err("The body is not application/json, or its Content-Encoding is neither gzip nor identity."),
            "422": err("The Idempotency-Key was used before with a different body."),
            "429": err(`${limits.maxInFlight} batches already wait for Kafka.`, retryAfter),
            "503": err(
              "Kafka did not acknowledge in time or cannot be reached; retry later (same Idempotency-Key).",
              retryAfter,
            ),
          },
        },
      },
      "/v1/admin/connector": {
        get: {
          summary: "Status of the sink connector and its tasks.",
          operationId: "connectorStatus",
          ...withScope(admin),
          responses: {
            "200": json(ref("ConnectorStatus"), "Connector status (traces scrubbed of credentials)."),
            ...admin.authErrors,
            "404": err("The connector does not exist."),
            "503": err("Kafka Connect does not answer.", retryAfter),
          },
        },
      },
      "/v1/admin/connector/restart": {
        post: {
          summary: "Restart the sink connector (and, by default, its tasks).",
          operationId: "restartConnector",
          ...withScope(admin),
          parameters: [
            {
              name: "includeTasks",
              in: "query",
              required: false,
              schema: { type: "string", enum: ["true", "false"], default: "true" },
            },
            {
              name: "onlyFailed",
              in: "query",
              required: false,
              schema: { type: "string", enum: ["true", "false"], default: "false" },
            },
          ],
          responses: {
            "202": json(ref("Restarted"), "Restart requested."),
            "400": err("Invalid query."),
            ...admin.authErrors,
            "404": err("The connector does not exist."),
            "409": err("Kafka Connect is rebalancing; retry after the delay.", retryAfter),
            "503": err("Kafka Connect does not answer.", retryAfter),
          },
        },
      },
      "/v1/admin/connector/tasks/{task}/restart": {
        post: {
          summary: "Restart one task of the sink connector.",
          operationId: "restartTask",
          ...withScope(admin),
          parameters: [
            { name: "task", in: "path", required: true, schema: { type: "integer", minimum: 0, maximum: 10000 } },
          ],
          responses: {
            "202": json(ref("Restarted"), "Restart requested."),
            "400": err("The task id is not an integer."),
            ...admin.authErrors,
            "404": err("The connector or task does not exist."),
            "409": err("Kafka Connect is rebalancing; retry after the delay.", retryAfter),
            "503": err("Kafka Connect does not answer.", retryAfter),
          },
        },
      },
      "/v1/admin/dlq": {
        get: {
          summary: "The last records of the dead-letter topic with their error headers.",
          operationId: "peekDlq",
          ...withScope(admin),
          parameters: [
            {
              name: "limit",
              in: "query",
              required: false,
              schema: { type: "integer", minimum: 1, maximum: 100, default: 10 },
            },
          ],
          responses: {
            "200": json(ref("DlqPeek"), "Records, oldest first."),
            "400": err("Invalid limit."),
            ...admin.authErrors,
            "503": err("Kafka does not answer.", retryAfter),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        ApiKey: {
          type: "apiKey",
          in: "header",
          name: "X-API-Key",
          description: "A key with the scope the operation's x-sluice-scope names (ingest or admin).",
        },
        Bearer: { type: "http", scheme: "bearer", description: "The same key as a bearer token." },
      },
      schemas: {
        Metric: metric,
        MetricBatch: {
          type: "object",
          required: ["metrics"],
          additionalProperties: false,
          properties: { metrics: { type: "array", minItems: 1, maxItems: limits.maxItems, items: ref("Metric") } },
        },
        IngestAccepted: {
          type: "object",
          required: ["accepted", "topic"],
          properties: { accepted: { type: "integer", minimum: 1 }, topic: { type: "string" } },
        },
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: ref("ErrorDetail"),
            requestId: { type: "string", description: "Id under which the server logged the failure's details." },
          },
        },
        ErrorDetail: errorDetail(),
        ItemError: {
          type: "object",
          required: ["index", "field", "message"],
          properties: {
            index: {
              type: "integer",
              nullable: true,
              description: "Position of the item in `metrics`; null for the body as a whole.",
            },
            field: { type: "string" },
            message: { type: "string" },
          },
        },
        ValidationFailure: {
          type: "object",
          required: ["error"],
          properties: {
            error: ref("ErrorDetail"),
            errors: { type: "array", items: ref("ItemError") },
          },
        },
        Health: {
          type: "object",
          required: ["status"],
          properties: { status: { type: "string", enum: ["ok"] }, uptimeSeconds: { type: "integer" } },
        },
        Check: {
          type: "object",
          required: ["ok", "latencyMs"],
          properties: { ok: { type: "boolean" }, latencyMs: { type: "number" }, detail: { type: "string" } },
        },
        Readiness: {
          type: "object",
          required: ["ready", "components"],
          properties: {
            ready: { type: "boolean" },
            components: {
              type: "object",
              required: ["kafka", "connect", "registry", "postgres", "connector"],
              properties: Object.fromEntries(
                ["kafka", "connect", "registry", "postgres", "connector"].map((k) => [k, ref("Check")]),
              ),
            },
            restarting: {
              type: "object",
              description: "Components the local stack's watchdog is restarting or gave up on, with its reason.",
              additionalProperties: { type: "string" },
            },
          },
        },
        ConnectorStatus: {
          type: "object",
          required: ["name", "connector", "tasks"],
          properties: {
            name: { type: "string" },
            connector: {
              type: "object",
              properties: { state: taskStates, worker_id: { type: "string" }, trace: { type: "string" } },
            },
            tasks: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  id: { type: "integer" },
                  state: taskStates,
                  worker_id: { type: "string" },
                  trace: { type: "string" },
                },
              },
            },
          },
        },
        Restarted: {
          type: "object",
          required: ["restarted"],
          properties: { restarted: { type: "string" }, task: { type: "integer" }, status: { nullable: true } },
        },
        DlqPeek: {
          type: "object",
          required: ["topic", "records"],
          properties: {
            topic: { type: "string" },
            records: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  partition: { type: "integer" },
                  offset: { type: "integer" },
                  timestamp: { type: "integer" },
                  key: { type: "string", nullable: true },
                  value: { type: "string", nullable: true },
                  headers: {
                    type: "object",
                    additionalProperties: { type: "string" },
                    description: "Including Connect's __connect.errors.* context headers.",
                  },
                },
              },
            },
          },
        },
        Pipeline: {
          type: "object",
          required: ["at", "topic"],
          properties: {
            at: { type: "integer" },
            topic: { type: "string" },
            produced: { type: "integer", nullable: true, description: "Sum of the topic's end offsets." },
            lag: { type: "integer", nullable: true, description: "Records not yet committed by the sink." },
            rowsWritten: { type: "integer", nullable: true },
            ingestAccepted: { type: "integer" },
          },
        },
        History: {
          type: "object",
          required: ["everyMs", "windowMs", "points"],
          properties: {
            everyMs: { type: "integer", description: "Sampling interval; 0 when this service does not sample." },
            windowMs: { type: "integer" },
            points: {
              type: "array",
              items: {
                type: "object",
                required: ["at", "markers", "down"],
                properties: {
                  at: { type: "integer" },
                  produceRate: { type: "number", nullable: true },
                  landedRate: { type: "number", nullable: true },
                  dlqRate: { type: "number", nullable: true },
                  lag: { type: "integer", nullable: true, description: "end offsets minus committed offsets" },
                  positionLag: {
                    type: "integer",
                    nullable: true,
                    description: "end offsets minus the sink tasks' fetch positions (from the workers' JMX exporters)",
                  },
                  markers: { type: "array", items: { type: "string" } },
                  down: { type: "array", items: { type: "string" } },
                  e2eP50: { type: "number", nullable: true, description: "ms, from `sluice produce --e2e`" },
                  e2eP99: { type: "number", nullable: true },
                  dlqByReason: {
                    type: "object",
                    nullable: true,
                    additionalProperties: { type: "number" },
                    description: "DLQ arrivals/s per reason kind over the last look at the DLQ (every 10 s)",
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}
