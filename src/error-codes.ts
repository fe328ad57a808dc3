/**
 * The closed catalogue of error codes: every code a SluiceError or an HTTP answer may carry. Per code: whether a retry
 * can help, the HTTP status the admin/ingest API answers it with, and a hint saying what to do. Code names are stable
 * (tests, docs and API clients match them); add a code here before throwing it.
 */

/** The statuses the API answers errors with. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503;

/** What the catalogue knows about one code. */
export interface ErrorSpec {
  /** Whether the same call can succeed later without anyone changing anything. */
  readonly retryable: boolean;
  /** The status of an API answer carrying this code (≥ 500 and not retryable: answered as an opaque INTERNAL). */
  readonly httpStatus: ErrorStatus;
  /** What the user should do; shown in the OpenAPI document and docs. */
  readonly hint: string;
  /** The code the API answers instead (e.g. Connect's 404 is the client's NOT_FOUND). */
  readonly answerAs?: string;
}

const fix = (httpStatus: ErrorStatus, hint: string) => ({ retryable: false, httpStatus, hint }) as const;
const retry = (httpStatus: ErrorStatus, hint: string) => ({ retryable: true, httpStatus, hint }) as const;
const upstream = "Kafka Connect refused the request; read its answer in the message and fix the config or the call.";

export const ERROR_CODES = {
  // Usage and input: the caller must change something.
  USAGE: fix(400, "Fix the command line; `sluice <command> --help` lists the flags."),
  CONFIRM: fix(400, "Check the listed actions, then run again with --yes."),
  CONFIG: fix(500, "Fix the environment variable(s) named; see .env.example."),
  BAD_TABLE: fix(400, "Name the table as a lowercase SQL identifier (letters, digits, _)."),
  BAD_MANIFEST: fix(400, "Pass the manifest file `sluice produce` wrote (--manifest)."),
  BAD_SPAN: fix(400, "Write a span like 30m, 6h, 1d or 2w."),
  BAD_SINCE: fix(400, "Write a span back from now (1h, 7d) or an ISO date."),
  BAD_QUERY_PACK: fix(500, "The query pack src/db/queries.sql is malformed; fix the named block."),
  UNKNOWN_QUERY: fix(400, "Choose one of the queries the message lists."),
  INVALID_WORKLOAD: fix(400, "Fix the workload field the message names."),
  INVALID_RUN: fix(400, "Fix the run argument the message names."),
  INVALID_PRODUCE: fix(400, "Fix the producer option the message names."),
  UNKNOWN_GENERATOR: fix(400, "Audit with the Sluice build that wrote the manifest."),
  CONNECTOR_FILE: fix(400, "Fix the connector file the message names (connectors/*.json)."),
  CONNECTOR_INVALID: fix(400, "Fix the keys Kafka Connect rejects, then apply again."),
  TOPICS_FILE: fix(400, "Fix the topics file the message names."),
  TOPIC_REFUSED: fix(409, "Kafka cannot make these changes in place; create a new topic or drop the change."),
  NO_LOG: fix(404, "Start the component with `sluice up` first."),
  // The stack: tools, processes, ports.
  NO_JAVA: fix(500, "Install Java 17+ and put it on PATH."),
  OLD_JAVA: fix(500, "Install Java 17+ and put it first on PATH."),
  NO_MAVEN: fix(500, "Install Maven and put `mvn` on PATH."),
  DOWNLOAD_FAILED: retry(503, "Check network access to Maven Central, then run `sluice up` again."),
  SPAWN: fix(500, "Install the named program and put it on PATH."),
  START_FAILED: fix(500, "Read the component's log (`sluice logs <name>`)."),
  START_TIMEOUT: retry(503, "Read the component's log (`sluice logs <name>`); the machine may be overloaded."),
  PORT_IN_USE: fix(500, "Stop the process holding the port, or give the component another port."),
  PG_INITDB: fix(500, "Remove the PostgreSQL data directory and run `sluice up` again."),
  CLUSTER_SHAPE: fix(500, "Keep the data dir's cluster shape (SLUICE_BROKERS), or use another SLUICE_DATA_DIR."),
  KAFKA_FORMAT: fix(500, "Remove the Kafka data directory and run `sluice up` again."),
  INTERRUPTED: fix(500, "The command was stopped by a signal; run it again."),
  // Kafka, the registry, Kafka Connect.
  KAFKA_AUTH: fix(500, "Check KAFKA_SASL_USERNAME, KAFKA_SASL_MECHANISM and the password (docs/clusters.md)."),
  KAFKA_ACL: fix(500, "The Kafka user lacks an ACL for this: use a user that has it, or grant it (docs/clusters.md)."),
  KAFKA_TLS: fix(
    500,
    "Set KAFKA_SSL_CA_FILE to the PEM of the CA that signed the brokers' certificates (docs/clusters.md).",
  ),
  TLS_UNTRUSTED: fix(
    500,
    "Point the connection's CA setting at the PEM of the CA that signed the server's certificate.",
  ),
  KAFKA_TIMEOUT: retry(503, "Kafka is slow or down; retry after a moment, check `sluice status`."),
  KAFKA_NO_BROKERS: retry(503, "Kafka answered with no brokers; check `sluice status`."),
  KAFKA_UNAVAILABLE: retry(503, "Kafka did not acknowledge; retry with the same Idempotency-Key."),
  KAFKA_READ: retry(503, "Reading the topic stalled; check the broker (`sluice status`) and retry."),
  TOPIC_MISSING: fix(500, "Create the topics with `sluice setup`."),
  REGISTRY_UNREACHABLE: retry(503, "Start the stack (`sluice up`) or check REGISTRY_URL."),
  REGISTRY_HTTP: retry(503, "The schema registry answered an error; check its log (`sluice logs registry`)."),
  REGISTRY_CONFIG: fix(500, "The registry refused the compatibility level; check its log."),
  REGISTRY_REGISTER: retry(503, "Registering the schema failed; check the registry (`sluice status`) and retry."),
  SCHEMA_INCOMPATIBLE: fix(409, "Make the contract change BACKWARD compatible, or register under a new subject."),
  MIGRATION_ORDER: fix(500, "Give the named migrations a `when` after the last applied one in meta/_journal.json."),
  CONTRACT_NOT_REGISTERED: retry(503, "Roll the contract out first (`sluice setup`), then produce; docs/contract.md."),
  CONTRACT_REFUSED: fix(
    409,
    "Change the contract as the message says (add, do not remove or narrow; give new fields a nullable column); docs/contract.md.",
  ),
  CONNECT_UNREACHABLE: retry(503, "Start the stack (`sluice up`) or check CONNECT_URL."),
  CONNECT_VERSION: fix(500, "Upgrade the Kafka Connect worker to the version the connector configs need."),
  CONNECT_HTTP_400: fix(502, upstream),
  CONNECT_HTTP_401: fix(502, "Kafka Connect wants credentials; configure the worker access."),
  CONNECT_HTTP_403: fix(502, "Kafka Connect refused this client; check the worker access policy."),
  CONNECT_HTTP_404: { ...fix(404, "Check the connector or task name."), answerAs: "NOT_FOUND" },
  CONNECT_HTTP_409: {
    ...retry(409, "Kafka Connect is rebalancing; retry in a moment."),
    answerAs: "CONNECT_REBALANCING",
  },
  CONNECT_HTTP_4XX: fix(502, upstream),
  CONNECT_HTTP_500: retry(503, "Kafka Connect failed; read its log (`sluice logs connect`) and retry."),
  CONNECT_HTTP_503: retry(503, "Kafka Connect is not ready; retry in a moment."),
  CONNECT_HTTP_5XX: retry(503, "Kafka Connect failed; read its log (`sluice logs connect`) and retry."),
  CONNECTOR_FAILED: fix(500, "Fix the connector's config in connectors/ and apply again."),
  CONNECTOR_TIMEOUT: retry(503, "The connector is not RUNNING yet; check `sluice status` and retry."),
  CONNECT_REBALANCING: retry(409, "Kafka Connect is rebalancing; retry after the delay in Retry-After."),
  // Dead letters and audits.
  DLQ_BUSY: retry(503, "Another reader holds the DLQ; retry when it is done."),
  DLQ_SHORT_READ: retry(503, "Reading the DLQ stopped short; check the broker and run the command again."),
  ROWS_MISSING: retry(503, "Rows did not land; check the connector (`sluice status`) and the DLQ topic."),
  // Only in API answers.
  INTERNAL: fix(500, "Quote the X-Request-Id to the operator; the server log has the details."),
  NOT_FOUND: fix(404, "Check the path (/openapi.json lists the routes) or the connector name."),
  METHOD_NOT_ALLOWED: fix(405, "Use one of the methods in the Allow header."),
  UNAUTHENTICATED: fix(401, "Send a valid API key in X-API-Key (or Authorization: Bearer)."),
  FORBIDDEN: fix(403, "Use a key with the scope the route needs (ingest or admin)."),
  PAYLOAD_TOO_LARGE: fix(413, "Split the batch into smaller requests."),
  UNSUPPORTED_MEDIA_TYPE: fix(415, "Send the body as JSON with Content-Type: application/json."),
  INVALID_BATCH: fix(400, "Fix the items listed in `errors`; nothing was written."),
  INVALID_IDEMPOTENCY_KEY: fix(400, "Use 1–255 printable ASCII characters without spaces."),
  IDEMPOTENCY_IN_PROGRESS: retry(409, "Retry after the delay in Retry-After with the same key."),
  IDEMPOTENCY_MISMATCH: fix(422, "Use a new Idempotency-Key for a different batch."),
  BUSY: retry(429, "Retry after the delay in Retry-After."),
  TOO_MANY_STREAMS: retry(503, "Close an event stream or retry after the delay in Retry-After."),
  INVALID_QUERY: fix(400, "Fix the query parameters (see /openapi.json)."),
  INVALID_TASK: fix(400, "Give the task id as an integer (0, 1, …)."),
} as const satisfies Record<string, ErrorSpec>;

/** A code of the catalogue. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Every code, in catalogue order. */
export const ALL_ERROR_CODES = Object.keys(ERROR_CODES) as ErrorCode[];

/** The catalogue entry of `code`. */
export const errorSpec = (code: ErrorCode): ErrorSpec => ERROR_CODES[code];

/** Whether `s` is a code of the catalogue (for codes read back from text, e.g. another process's output). */
export const isErrorCode = (s: string): s is ErrorCode => Object.hasOwn(ERROR_CODES, s);

/**
 * The code an API answer carries for an error with `code`: its `answerAs`, INTERNAL for a failure the client can
 * neither fix nor retry (status ≥ 500, not retryable: its details stay in the server log), else the code itself.
 */
export function answeredCode(code: ErrorCode): ErrorCode {
  const spec = errorSpec(code);
  if (spec.answerAs !== undefined && isErrorCode(spec.answerAs)) return spec.answerAs;
  return spec.httpStatus >= 500 && !spec.retryable ? "INTERNAL" : code;
}

/** Every code an API answer can carry (the OpenAPI document's enum). */
export const ANSWERED_CODES: readonly ErrorCode[] = [...new Set(ALL_ERROR_CODES.map(answeredCode))];
