/** Metric names and their smallint codes on the wire and in PostgreSQL. The codes are part of the contract. */
export const METRIC_CODES = {
  temperature: 0,
  humidity: 10,
  pressure: 20,
  co2: 30,
  light: 40,
  sound: 50,
} as const;

export type MetricName = keyof typeof METRIC_CODES;
export type MetricCode = (typeof METRIC_CODES)[MetricName];

/** Every valid code, ascending. */
export const CODES = Object.values(METRIC_CODES) as readonly MetricCode[];

const byCode = new Map<number, MetricName>(
  Object.entries(METRIC_CODES).map(([name, code]) => [code, name as MetricName]),
);

/** The metric name of a code, or undefined when the code is not part of the contract. */
export function metricNameOf(code: number): MetricName | undefined {
  return byCode.get(code);
}

/**
 * What a code measures, for people: the unit its values are in and one line about it (table `metric_codes`); and the
 * range the load tester draws its values from. A new code needs an entry here and in METRIC_CODES (docs/contract.md).
 */
export const METRIC_INFO: Readonly<
  Record<MetricName, { readonly unit: string; readonly description: string; readonly range: readonly [number, number] }>
> = {
  temperature: { unit: "°C", description: "air temperature", range: [15, 30] },
  humidity: { unit: "%", description: "relative humidity", range: [20, 90] },
  pressure: { unit: "hPa", description: "air pressure", range: [950, 1050] },
  co2: { unit: "ppm", description: "carbon dioxide concentration", range: [400, 2000] },
  light: { unit: "lx", description: "illuminance", range: [0, 1000] },
  sound: { unit: "dB", description: "sound level", range: [30, 90] },
};
