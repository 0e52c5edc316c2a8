// How every command (`npm run keys`, `reconcile`, `migrate`) ends: known
// failures (src/startup-failure.ts, bad configuration, the embedded database
// in use, a refusal of the command) print one plain sentence on stderr and
// exit 1; only a bug shows a stack trace.
import { type Config, loadConfig } from "../config.js";
import { operatorSentence } from "../startup-failure.js";

/** Runs a command's body with the configuration; its answer is the exit status (0 when it returns none). */
export async function runCli(main: (config: Config) => Promise<number | undefined>): Promise<void> {
  let config: Config | undefined;
  try {
    config = loadConfig();
    process.exitCode = (await main(config)) ?? 0;
  } catch (error) {
    const sentence = operatorSentence(error, config);
    if (sentence === undefined) throw error;
    process.stderr.write(`${sentence}\n`);
    process.exitCode = 1;
  }
}
