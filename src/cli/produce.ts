import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { produceRun } from "../producer/session.ts";
import { planRun } from "../producer/workload.ts";
import { bootstrap } from "../stack/kafka.ts";
import { registryUrl } from "../stack/registry.ts";
import { countFlag, parseFlags, type Command } from "./command.ts";
import { progress } from "./progress.ts";

export const produceCommand: Command = {
  name: "produce",
  summary: "send contract-valid metrics to Kafka and record a manifest of what was acknowledged",
  usage: `sluice produce [--count N] [--devices D] [--seed S] [--batch-size B] [--concurrency C] [--topic T]

  --count N         metrics to send (default 100000; 10k and 1m work)
  --devices D       distinct devices (default 1000)
  --seed S          makes the run reproducible (default: a new one per run)
  --batch-size B    messages per Kafka request (default 1000)
  --concurrency C   requests in flight (default 8)
  --topic T         topic (default METRICS_TOPIC)

Every key (device_id, metric_name, published_at) is distinct, messages are partitioned by device, and each carries
the registry's schema id in the sluice-schema-id header. The manifest goes to <data dir>/runs/<seed>.json.`,
  async run(argv, { ctx, out }) {
    const { flags } = parseFlags(
      "produce",
      argv,
      { count: { type: "string" }, devices: { type: "string" }, seed: { type: "string" }, "batch-size": { type: "string" }, concurrency: { type: "string" }, topic: { type: "string" } },
      z.object({
        count: countFlag(100_000),
        devices: countFlag(1000, 1_000_000),
        seed: z.string().regex(/^[\w.-]{1,64}$/, "must be 1–64 letters, digits, '.', '_' or '-'").optional(),
        "batch-size": countFlag(1000, 100_000),
        concurrency: countFlag(8, 256),
        topic: z.string().optional(),
      }),
    );
    const seed = flags.seed ?? `run-${Date.now().toString(36)}`;
    const run = planRun({ seed, count: flags.count, devices: flags.devices, startMs: Date.now() - flags.count });
    const show = progress("produce", run.count, ctx.log);
    const manifest = await produceRun(
      { brokers: [bootstrap(ctx)], registryUrl: registryUrl(ctx), topic: flags.topic ?? ctx.env.METRICS_TOPIC },
      run,
      { batchSize: flags["batch-size"], concurrency: flags.concurrency, onProgress: show },
    );
    const dir = join(ctx.paths.data, "runs");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${seed}.json`);
    writeFileSync(file, JSON.stringify(manifest, null, 2));
    out(`sent ${manifest.sent.toLocaleString("en-US")} metrics in ${(manifest.elapsedMs / 1000).toFixed(1)} s (${Math.round(manifest.msgPerSec).toLocaleString("en-US")} msg/s); manifest ${file}`);
    return 0;
  },
};
