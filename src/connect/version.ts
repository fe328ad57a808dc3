/**
 * What a Kafka Connect worker supports, from the version it reports at `GET /`. Features are gated on it rather than
 * tried and caught, so an older worker gets a clear "needs Connect ≥ x" instead of a 404/405.
 */
export interface ConnectCapabilities {
  readonly version: string;
  /** `POST /connectors/{name}/restart?includeTasks&onlyFailed` (KIP-745). */
  readonly restartOnlyFailed: boolean;
  /** `GET /connectors/{name}/offsets` (KIP-875). */
  readonly offsetsApi: boolean;
  /** `PATCH /connectors/{name}/config` (KIP-477). */
  readonly patchConfig: boolean;
  /** `*.converter.schema.content` on JsonConverter (KIP-1054), which the rendered connector configs rely on. */
  readonly schemaContent: boolean;
}

/** `[major, minor, patch]` of a version such as `4.3.1` or `3.9.0-ccs`; unknown parts are 0. */
export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : [0, 0, 0];
}

/** True when version `v` is at least `min` (`"3.5"`). */
export function atLeast(v: string, min: string): boolean {
  const a = parseVersion(v);
  const b = parseVersion(min);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

/** The features Sluice uses, by the worker's version. */
export function capabilities(version: string): ConnectCapabilities {
  return {
    version,
    restartOnlyFailed: atLeast(version, "3.0"),
    offsetsApi: atLeast(version, "3.5"),
    patchConfig: atLeast(version, "3.8"),
    schemaContent: atLeast(version, "4.2"),
  };
}
