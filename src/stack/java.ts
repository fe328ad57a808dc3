import { join } from "node:path";

/** Common JVM flags: pinned heap, G1, and UTC as the default zone so no timestamp is ever shifted by the host's zone. */
export function jvmArgs(heap: string, root: string): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-Djava.awt.headless=true",
    "-Duser.timezone=UTC",
    `-Dlog4j2.configurationFile=${join(root, "services", "kafka", "log4j2.properties")}`,
  ];
}

export const classpath = (kafkaDir: string) => `${join(kafkaDir, "libs")}/*`;
