// A paced producer in its own process, for the producer-kill chaos scenario: after every acknowledged slice it writes
// the acknowledged count to a file, so after `kill -9` the file says exactly which prefix of the run the broker has.
// Usage: bun src/chaos/child-producer.ts <json options>
import { writeFileSync } from "node:fs";
import { kafkaSecurity } from "../config/kafka-security.ts";
import { kafka } from "../kafka/client.ts";
import { planRun, type RunSpec } from "../producer/workload.ts";
import { createStackContext } from "../stack/context.ts";
import { pacedProducer } from "./paced.ts";

const o = JSON.parse(process.argv[2]!) as {
  brokers: string[];
  topic: string;
  partitions: number;
  rate: number;
  schemaId: number;
  ackFile: string;
  run: RunSpec;
};
// The same connection settings as the suite that started it (the environment is inherited; a secured local stack's
// defaults come from the stack context, as for every command).
const security = kafkaSecurity(createStackContext(process.env).env);
const producer = kafka(o.brokers, "sluice-chaos-child", security).producer({ allowAutoTopicCreation: false });
await producer.connect();
const paced = pacedProducer(producer, { ...o, run: planRun(o.run), onAck: (n) => writeFileSync(o.ackFile, String(n)) });
await paced.done;
await producer.disconnect();
