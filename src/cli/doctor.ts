import { z } from "zod";
import { connectAuth, registryAuth } from "../config/http-auth.ts";
import { kafkaSecurity } from "../config/kafka-security.ts";
import { pgTls } from "../db/tls.ts";
import { runChecks } from "../doctor/checks.ts";
import { connectUrl } from "../stack/connect.ts";
import { brokerAddresses } from "../stack/kafka.ts";
import { postgresUrl } from "../stack/postgres.ts";
import { registryUrl } from "../stack/registry.ts";
import { type Command, parseFlags } from "./command.ts";
import { table } from "./table.ts";

export const doctorCommand: Command = {
  name: "doctor",
  summary: "check every connection Sluice needs (Kafka, Connect, registry, PostgreSQL) and name what is wrong",
  usage: `sluice doctor [--json]

Checks, with the connection settings every command uses (docs/clusters.md): Kafka (TLS, SASL, the metrics and DLQ
topics visible to the user), Kafka Connect's REST API, the registry and PostgreSQL. Each row says ok, or DNS,
unreachable, TLS, auth, ACL, and the setting to look at; no secret is printed. Exits 0 when every check passes.`,
  async run(argv, { ctx, out }) {
    const { flags } = parseFlags(
      "doctor",
      argv,
      { json: { type: "boolean" } },
      z.object({ json: z.boolean().optional() }),
    );
    const { env } = ctx;
    const pgUrl = postgresUrl(ctx);
    const display = new URL(pgUrl);
    display.password = "";
    const results = await runChecks({
      kafka: {
        brokers: brokerAddresses(ctx),
        security: kafkaSecurity(env),
        topics: [env.METRICS_TOPIC, env.DLQ_TOPIC],
      },
      connect: { url: connectUrl(ctx), auth: connectAuth(env) },
      registry: { url: registryUrl(ctx), auth: registryAuth(env) },
      postgres: { url: pgUrl, display: display.toString(), tls: pgTls(env) },
    });
    if (flags.json) out(JSON.stringify(results, null, 2));
    else
      out(
        table(
          ["check", "target", "result", "ms", "detail"],
          results.map((r) => [r.component, r.target, r.verdict, r.ms, r.detail]),
        ),
      );
    return results.every((r) => r.verdict === "ok") ? 0 : 1;
  },
};
