#!/usr/bin/env bun
// The only module that touches the process: argv, env, exit codes and signals.
import { COMMANDS, helpText } from "./cli/index.ts";
import { SluiceError } from "./errors.ts";
import { kafkaSettingsError } from "./kafka/errors.ts";
import { timestampedLog } from "./log.ts";
import { createStackContext } from "./stack/context.ts";

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(helpText());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`sluice: unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  const ctx = createStackContext(process.env, { log: timestampedLog() });
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // First signal: stop gracefully; second: give up at once.
    if (++signals > 1) process.exit(130);
    console.error(`\n${sig}: stopping… (again to abort)`);
    abort.abort(new SluiceError("INTERRUPTED", `interrupted by ${sig}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return command.run(rest, { ctx, out: (line) => console.log(line), signal: abort.signal });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (thrown: unknown) => {
    // Credentials and certificates are the user's to fix: say which setting, instead of a client's stack trace.
    const e = kafkaSettingsError(thrown) ?? thrown;
    if (e instanceof SluiceError) {
      // The code is the stable handle (src/error-codes.ts lists each with its hint); the message says what to do.
      console.error(`sluice: ${e.message}\n(${e.code}${e.retryable ? "; retrying may help" : ""})`);
      process.exit(1);
    }
    console.error(e);
    process.exit(1);
  },
);
