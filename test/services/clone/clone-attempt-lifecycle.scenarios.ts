// Scenario data for clone-attempt-lifecycle.test.ts: one clone attempt row,
// written straight to the table so a test can start it in any status.
import { randomUUID } from "node:crypto";
import type { CloneAttemptStatus } from "../../../src/services/clone/clone-attempt-store.js";
import type { TestGateway } from "../../support/gateway.js";

export interface AttemptScenario {
  status: CloneAttemptStatus;
  owner?: string;
  requestHash?: string;
  name?: string;
  model?: string;
  /** How long ago it was last updated, in minutes (default: just now). */
  minutesOld?: number;
}

/** The row every lifecycle test starts from, apart from its status. */
export const attemptDefaults = { owner: "anonymous", requestHash: "h", name: "Layla", model: "faseeh-v1" } as const;

/** Inserts one attempt, expiring in a day; returns its id. */
export async function seedAttempt(gateway: TestGateway, scenario: AttemptScenario): Promise<string> {
  const row = { ...attemptDefaults, minutesOld: 0, ...scenario };
  const id = randomUUID();
  await gateway.database!.query(
    `INSERT INTO clone_attempts (id, owner, request_hash, status, name, model, updated_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() - make_interval(mins => $7), now() + interval '1 day')`,
    [id, row.owner, row.requestHash, row.status, row.name, row.model, row.minutesOld],
  );
  return id;
}
