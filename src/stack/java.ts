import { join } from "node:path";

/** Garbage collectors the stack's JVMs can run with (`JVM_GC`). */
export const GC_FLAGS = {
  /** G1 aiming at 20 ms pauses: Kafka's own default. */
  g1: ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"],
  /** Parallel: stop-the-world young collections, the least GC CPU and native memory per allocated byte. */
  parallel: ["-XX:+UseParallelGC"],
} as const;
export type Gc = keyof typeof GC_FLAGS;

/**
 * The Connect worker's extra collector flags. Under Parallel GC its young generation is half the heap (the default is
 * a third): the sink's batches of 10,000 records stay live across young collections, and with the smaller young
 * generation every collection copied them (2M-row drains, two alternating pairs: 98–101 young collections and
 * 2.5–2.6 s of GC against 56 and 1.3–1.5 s; docs/decisions/jvm-and-batch-defaults.md). G1 sizes its young generation
 * itself.
 */
export const CONNECT_GC_FLAGS: Record<Gc, readonly string[]> = { g1: [], parallel: ["-XX:NewRatio=1"] };

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
