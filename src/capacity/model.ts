// The capacity model: what a given ingest rate and retention need, derived only from figures measured by the bench
// (CPU seconds per million rows per component, memory, bytes per row on disk, in the WAL and in Kafka) and from the
// operator's assumptions, which every answer names. Pure: `sluice capacity` and docs/capacity.md both print it.

/** Figures of one reference run, as bench/capacity.ts extracts them from the bench's JSON. */
export interface CapacityReference {
  /** Where the figures come from: the bench files, their date and commit, the machine they ran on. */
  readonly source: {
    readonly files: readonly string[];
    readonly at: string;
    readonly commit?: string;
    readonly cores: number;
  };
  /** CPU seconds per 1M rows, end to end (producer at its maximum, sink running). */
  readonly cpuPer1M: {
    readonly producer: number;
    readonly kafka: number;
    readonly connect: number;
    readonly postgres: number;
  };
  /** Resident memory of one process at the reference run's peak, MB. */
  readonly memoryMb: {
    readonly kafka: number;
    readonly connect: number;
    readonly postgres: number;
    readonly registry: number;
  };
  readonly bytesPerRow: {
    /** The table with its primary key and BRIN indexes. */
    readonly table: number;
    /** Minute and hour rollups, per raw row (they outlive the raw rows' retention). */
    readonly rollups: number;
    /** PostgreSQL WAL written per row by the sink. */
    readonly wal: number;
    /** One replica of the topic on a broker's disk (producer compression as shipped). */
    readonly kafka: number;
  };
  /** What one sink task drained on the reference machine (rows/s), and with how many tasks it was measured. */
  readonly perTaskRowsPerSec: number;
  readonly tasks: number;
  /** The shipped topic retention (services/topics.json). */
  readonly kafkaRetentionMs: number;
}

/** What the operator asks about, and the assumptions the answer rests on. */
export interface CapacityInput {
  /** Rows (metrics) per second, sustained. */
  readonly rate: number;
  /** How long PostgreSQL keeps raw rows (partition retention). */
  readonly retentionDays: number;
  readonly replicationFactor: number;
  /** Cores of one machine of each kind. */
  readonly nodeCores: number;
  /** The share of a machine's CPU to plan for (the rest absorbs catch-up after an outage and rebalances). */
  readonly utilisation: number;
  /** Sustained write bandwidth of one PostgreSQL node's WAL disk, MB/s: an assumption, not measured here. */
  readonly walDiskMBps: number;
}

export const DEFAULT_INPUT: Omit<CapacityInput, "rate" | "retentionDays"> = {
  replicationFactor: 3,
  nodeCores: 16,
  utilisation: 0.6,
  walDiskMBps: 500,
};

export interface ComponentNeed {
  readonly component: "producers" | "Kafka brokers" | "Connect workers" | "PostgreSQL";
  /** Cores at the planned utilisation. */
  readonly cores: number;
  /** Machines of `nodeCores` (at least the replication factor for brokers). */
  readonly nodes: number;
  readonly memoryGb: number;
  readonly diskGb: number;
  readonly note: string;
}

/** A limit on the way up, and the rate where it is reached with the input's machines. */
export interface Limit {
  readonly what: string;
  readonly rate: number;
  readonly wayPast: string;
}

export interface Estimate {
  readonly input: CapacityInput;
  readonly needs: readonly ComponentNeed[];
  readonly tasks: number;
  readonly partitions: number;
  /** Ascending by rate: the first one is what saturates first. */
  readonly limits: readonly Limit[];
}

const GB = 1e9;
const DAY_S = 86_400;
const up = (x: number) => Math.max(1, Math.ceil(x - 1e-9));

/** Cores a component needs for `rate` at the planned utilisation. */
const coresFor = (cpuPer1M: number, i: CapacityInput) => (cpuPer1M * i.rate) / 1e6 / i.utilisation;

/** The rate at which `cores` cores of a component reach the planned utilisation. */
const rateFor = (cpuPer1M: number, cores: number, i: CapacityInput) => (cores * i.utilisation * 1e6) / cpuPer1M;

/** The estimate for `input` from the reference figures. */
export function estimate(ref: CapacityReference, input: CapacityInput): Estimate {
  const i = input;
  const c = ref.cpuPer1M;
  const rowsPerDay = i.rate * DAY_S;
  const kafkaDays = ref.kafkaRetentionMs / 86_400_000;
  // Tasks: enough for the rate at the measured per-task rate with the same headroom, never fewer than the shipped.
  const tasks = Math.max(ref.tasks, up(i.rate / (ref.perTaskRowsPerSec * i.utilisation)));
  // Partitions: a multiple of the tasks (each task the same share), at least twice them to grow without re-keying.
  const partitions = tasks * 2;
  // Each follower replica fetches what a leader writes: counted at half a leader's CPU.
  const kafkaPer1M = c.kafka * (1 + (i.replicationFactor - 1) * 0.5);
  /** A component's cores, its machines (at least `minNodes`) and their memory (`memoryMb` per machine). */
  const sized = (cpuPer1M: number, memoryMb: number, minNodes = 1) => {
    const cores = coresFor(cpuPer1M, i);
    const nodes = Math.max(minNodes, up(cores / i.nodeCores));
    return { cores, nodes, memoryGb: (memoryMb / 1024) * nodes };
  };
  const needs: ComponentNeed[] = [
    {
      component: "producers",
      ...sized(c.producer, 0),
      diskGb: 0,
      note: "Sluice's load tester as the producer; a device fleet spreads this over its gateways",
    },
    {
      component: "Kafka brokers",
      ...sized(kafkaPer1M, ref.memoryMb.kafka, i.replicationFactor),
      diskGb: (ref.bytesPerRow.kafka * rowsPerDay * kafkaDays * i.replicationFactor) / GB,
      note: `${kafkaDays} days of topic retention × RF ${i.replicationFactor}; follower fetches counted at half a leader's CPU`,
    },
    {
      component: "Connect workers",
      ...sized(c.connect, ref.memoryMb.connect),
      diskGb: 0,
      note: `${tasks} sink tasks over ${partitions} partitions`,
    },
    {
      component: "PostgreSQL",
      ...sized(c.postgres, ref.memoryMb.postgres),
      diskGb: (ref.bytesPerRow.table * rowsPerDay * i.retentionDays + ref.bytesPerRow.rollups * rowsPerDay * 365) / GB,
      note: `${i.retentionDays} days of raw rows + a year of rollups; WAL ${fmt((ref.bytesPerRow.wal * i.rate) / 1e6)} MB/s`,
    },
  ];
  const limits: Limit[] = [
    {
      what: `PostgreSQL CPU on one ${i.nodeCores}-core node (COPY, primary-key and BRIN maintenance)`,
      rate: rateFor(c.postgres, i.nodeCores, i),
      wayPast:
        "several PostgreSQL nodes, each owning a range of devices (a sink connector per node, topics keyed by device)",
    },
    {
      what: `PostgreSQL WAL on one node at ${i.walDiskMBps} MB/s (assumed disk)`,
      rate: (i.walDiskMBps * 1e6) / ref.bytesPerRow.wal,
      wayPast: "a faster WAL disk, fewer indexes per row, or more nodes by device range",
    },
    {
      what: `Connect on one ${i.nodeCores}-core worker`,
      rate: rateFor(c.connect, i.nodeCores, i),
      wayPast: "more workers in the same group: tasks spread over them (tasks ≤ partitions)",
    },
    {
      what: `Kafka at RF ${i.replicationFactor} on ${i.replicationFactor} ${i.nodeCores}-core brokers`,
      rate: rateFor(kafkaPer1M, i.nodeCores * i.replicationFactor, i),
      wayPast: "more brokers and partitions",
    },
  ];
  return { input, needs, tasks, partitions, limits: limits.sort((a, b) => a.rate - b.rate) };
}

/** 1,234 / 12.3 / 0.12: three significant figures at most, grouped. */
export function fmt(x: number): string {
  if (x >= 100) return Math.round(x).toLocaleString("en-US");
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** The estimate as the tables and lines people read (the CLI and docs/capacity.md). */
export function formatEstimate(ref: CapacityReference, e: Estimate): string[] {
  const i = e.input;
  const head = `${fmt(i.rate)} rows/s, raw rows kept ${i.retentionDays} days, RF ${i.replicationFactor}, ${i.nodeCores}-core machines planned to ${Math.round(i.utilisation * 100)} % CPU`;
  const rows = e.needs.map(
    (n) =>
      `| ${n.component} | ${fmt(n.cores)} | ${n.nodes} | ${n.memoryGb ? fmt(n.memoryGb) : "–"} | ${n.diskGb ? fmt(n.diskGb) : "–"} | ${n.note} |`,
  );
  const limits = e.limits.map((l) => `| ${l.what} | ${fmt(l.rate)} | ${l.wayPast} |`);
  const src = ref.source;
  return [
    `Estimate for ${head}.`,
    "",
    "| component | cores | machines | memory GB | disk GB | note |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    `Plan ${e.tasks} sink tasks (tasks.max) and ${e.partitions} partitions on the metrics topic.`,
    "",
    "What saturates first on the way up (rows/s where each limit is reached with these machines):",
    "",
    "| limit | rows/s | the way past it |",
    "|---|---|---|",
    ...limits,
    "",
    `Derived from ${src.files.join(", ")} (${src.at.slice(0, 10)}${src.commit ? `, commit ${src.commit}` : ""}, ${src.cores} cores): ` +
      `CPU s per 1M rows producer ${ref.cpuPer1M.producer}, Kafka ${ref.cpuPer1M.kafka}, Connect ${ref.cpuPer1M.connect}, ` +
      `PostgreSQL ${ref.cpuPer1M.postgres}; bytes per row: table ${fmt(ref.bytesPerRow.table)}, rollups ${fmt(ref.bytesPerRow.rollups)}, ` +
      `WAL ${fmt(ref.bytesPerRow.wal)}, Kafka ${fmt(ref.bytesPerRow.kafka)} per replica; ${fmt(ref.perTaskRowsPerSec)} rows/s per sink task. ` +
      "Linear scaling is assumed: measured on one machine, not on a cluster of this size.",
  ];
}
