// The live stack as the bench sees it: started if needed, set up, and wrapped in a BenchContext.
import postgres from "postgres";
import { kafkaSecurity } from "../../src/config/kafka-security.ts";
import { pgTls } from "../../src/db/tls.ts";
import { kafka } from "../../src/kafka/client.ts";
import { type CompressionName, DEFAULT_COMPRESSION } from "../../src/kafka/codecs.ts";
import { connectClient, topicReplication } from "../../src/provision.ts";
import { setup } from "../../src/setup.ts";
import type { StackContext } from "../../src/stack/component.ts";
import { workerSecretsEnv } from "../../src/stack/connect.ts";
import { brokerAddresses } from "../../src/stack/kafka.ts";
import { postgresUrl } from "../../src/stack/postgres.ts";
import { registryUrl } from "../../src/stack/registry.ts";
import { up } from "../../src/stack/supervisor.ts";
import type { Versions } from "../../src/stack/versions.ts";
import { stackGroups } from "./proc.ts";
import type { BenchContext } from "./scenarios.ts";

export interface OpenBench {
  readonly b: BenchContext;
  readonly ctx: StackContext;
  readonly versions: Versions;
  /** The sink's JDBC URL (no credentials in it), for experiments that add connection options. */
  readonly sinkJdbcUrl: string;
  /** Disposes the sandboxes (unless `keep`) and closes the connections. */
  close(keep?: boolean): Promise<void>;
}

/** Starts the stack of `ctx` if needed, runs setup, and opens the connections every scenario shares. */
export async function openBench(
  ctx: StackContext,
  opts: { rows: number; overrides: Readonly<Record<string, string>>; compression?: CompressionName },
): Promise<OpenBench> {
  const { env, paths, versions } = ctx;
  await up(ctx);
  await setup(ctx);
  // Room for the parallel COPY baseline's streams beside the scenario's own queries.
  const sql = postgres(postgresUrl(ctx), { max: 6, onnotice: () => {}, ...pgTls(ctx.env) });
  const b: BenchContext = {
    root: paths.root,
    dataDir: paths.data,
    cache: paths.cache,
    sql,
    kafka: kafka(brokerAddresses(ctx), "sluice-bench", kafkaSecurity(env)),
    security: kafkaSecurity(env),
    connect: connectClient(ctx),
    brokers: brokerAddresses(ctx),
    registryUrl: registryUrl(ctx),
    postgresUrl: postgresUrl(ctx),
    partitions: env.TOPIC_PARTITIONS_METRICS,
    rows: opts.rows,
    overrides: opts.overrides,
    groups: stackGroups(paths.run),
    log: ctx.log,
    childEnv: ctx.baseEnv,
    boxes: [],
    compression: opts.compression ?? DEFAULT_COMPRESSION,
    replication: topicReplication(env),
  };
  return {
    b,
    ctx,
    versions,
    sinkJdbcUrl: workerSecretsEnv(ctx).SLUICE_SINK_JDBC_URL!,
    async close(keep = false) {
      if (!keep)
        for (const s of b.boxes)
          await s.dispose({ topics: true }).catch((e) => ctx.log(`could not clean up ${s.id}: ${e}`));
      await sql.end({ timeout: 5 });
    },
  };
}
