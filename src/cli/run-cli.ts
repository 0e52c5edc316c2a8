// How every command (`npm run keys`, `reconcile`, `migrate`) ends: known
// failures print one plain sentence on stderr and exit 1; only a bug shows a
// stack trace.
import { ConfigError } from "../config.js";
import { DataDirInUseError } from "../db/data-dir-lock.js";
import { GatewayError } from "../errors.js";

/** Runs a command's body; its answer is the exit status (0 when it returns none). */
export async function runCli(main: () => Promise<number | undefined>): Promise<void> {
  try {
    process.exitCode = (await main()) ?? 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DataDirInUseError || error instanceof GatewayError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}
