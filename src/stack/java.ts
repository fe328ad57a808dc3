import { join } from "node:path";

/** Garbage collectors the stack's JVMs can run with (`JVM_GC`). */
export const GC_FLAGS = {
  /** G1 aiming at 20 ms pauses: Kafka's own default. */
  g1: ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"],
  /** Parallel: stop-the-world young collections, the least GC CPU and native memory per allocated byte. */
  parallel: ["-XX:+UseParallelGC"],
} as const;
export type Gc = keyof typeof GC_FLAGS;

/** Common JVM flags: pinned heap, the collector, and UTC as the default zone so no timestamp is ever shifted by the host's zone. */
export function jvmArgs(heap: string, root: string, gc: Gc = "g1"): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    ...GC_FLAGS[gc],
    "-Djava.awt.headless=true",
    "-Duser.timezone=UTC",
    `-Dlog4j2.configurationFile=${join(root, "services", "kafka", "log4j2.properties")}`,
  ];
}

export const classpath = (kafkaDir: string) => `${join(kafkaDir, "libs")}/*`;
