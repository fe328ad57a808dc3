import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type CapacityReference, DEFAULT_INPUT, estimate, formatEstimate } from "../capacity/model.ts";
import { parseSpan } from "../db/span.ts";
import { SluiceError } from "../errors.ts";
import { type Command, parseFlags } from "./command.ts";
import { rate } from "./produce-flags.ts";

/** Where `bun bench/main.ts capacity` writes the reference figures the estimate is derived from. */
export const referenceFile = (root: string) => join(root, "src", "capacity", "reference.json");

const days = z
  .string()
  .default("30d")
  .transform((s, ctx) => {
    try {
      return parseSpan(s).ms / 86_400_000;
    } catch {
      ctx.addIssue({ code: "custom", message: `must be a span like 7d, 30d or 12w, got "${s}"` });
      return z.NEVER;
    }
  });

const schema = z.object({
  rate,
  retention: days,
  rf: z.coerce.number().int().min(1).max(7).default(DEFAULT_INPUT.replicationFactor),
  "node-cores": z.coerce.number().int().min(1).max(1024).default(DEFAULT_INPUT.nodeCores),
  utilisation: z.coerce.number().gt(0).max(1).default(DEFAULT_INPUT.utilisation),
  "wal-mbps": z.coerce.number().positive().default(DEFAULT_INPUT.walDiskMBps),
});

export const capacityCommand: Command = {
  name: "capacity",
  summary: "what a rate and retention need (cores, memory, disk, tasks, partitions, first limit), from the bench",
  usage: `sluice capacity --rate 200k/s [--retention 30d] [--rf 3] [--node-cores 16] [--utilisation 0.6] [--wal-mbps 500]

  --rate N/s        sustained metrics per second (20000, 200k/s, 1m)
  --retention D     how long PostgreSQL keeps raw rows (7d, 30d, 12w; default 30d)
  --rf N            topic replication factor (default ${DEFAULT_INPUT.replicationFactor})
  --node-cores N    cores of one machine of each kind (default ${DEFAULT_INPUT.nodeCores})
  --utilisation F   share of each machine's CPU to plan for (default ${DEFAULT_INPUT.utilisation})
  --wal-mbps N      sustained write bandwidth of PostgreSQL's WAL disk, MB/s (an assumption; default ${DEFAULT_INPUT.walDiskMBps})

Derived from the reference bench runs named in the output (docs/capacity.md explains the model).`,
  async run(argv, { ctx, out }) {
    const { flags } = parseFlags(
      "capacity",
      argv,
      {
        rate: { type: "string" },
        retention: { type: "string" },
        rf: { type: "string" },
        "node-cores": { type: "string" },
        utilisation: { type: "string" },
        "wal-mbps": { type: "string" },
      },
      schema,
    );
    const file = referenceFile(ctx.paths.root);
    if (!existsSync(file)) {
      throw new SluiceError(
        "USAGE",
        `sluice capacity: no reference figures at ${file}; run \`bun bench/main.ts capacity\` after a sink bench run`,
      );
    }
    const ref = JSON.parse(readFileSync(file, "utf8")) as CapacityReference;
    const e = estimate(ref, {
      rate: flags.rate,
      retentionDays: flags.retention,
      replicationFactor: flags.rf,
      nodeCores: flags["node-cores"],
      utilisation: flags.utilisation,
      walDiskMBps: flags["wal-mbps"],
    });
    for (const line of formatEstimate(ref, e)) out(line);
    return 0;
  },
};
