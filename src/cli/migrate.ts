// `npm run migrate`: applies pending migrations and exits (the gateway also
// does this at boot). Prints one JSON line with what it did.
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrator.js";
import { createLogger } from "../logger.js";
import { runCli } from "./run-cli.js";

await runCli(async (config) => {
  const logger = createLogger(config);
  const db = await openDatabase(config, logger, { role: "npm run migrate" });
  try {
    const result = await migrate(db, logger);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await db.close();
  }
});
