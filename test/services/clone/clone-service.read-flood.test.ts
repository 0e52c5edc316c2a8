// A clone stores its voice while 64 heavy catalog reads are in flight: reads
// have their own connections (DATABASE_READ_POOL_SIZE), so the attempt
// record, the voice insert and the key checks never wait behind them.
import { cloneWithLargeFiles } from "../../support/clone.js";
import { filesOf } from "../../../dev/fake-faseeh.js";
import { expect, test } from "../../support/fixtures.js";
import { waitFor } from "../../support/wait.js";

test.override("gatewayOptions", {
  env: { DATABASE_POOL_SIZE: "3", DATABASE_READ_POOL_SIZE: "3", READ_STATEMENT_TIMEOUT_MS: "120000" },
});

// A name filter that matches nothing and a count: each read scans every row.
const HEAVY_READ = `{ voices(filter: { nameContains: "no such voice" }) { totalCount nodes { id } } }`;

// Seeding 300,000 rows and scanning them 64 times takes 19-25 s here: more than the default
// timeout leaves room for on a busy machine.
test(
  "stores the cloned voice, whole, while 64 heavy reads hold every read connection",
  { timeout: 120_000 },
  async ({ gateway, upstream }) => {
    const db = gateway.database!;
    await db.query(
      `INSERT INTO voices (id, voice_id, name, languages, dialects, stability, model, created_at)
     SELECT gen_random_uuid(), 'seed_' || n, 'Seeded voice ' || n, '{ar}', '{najdi}', 0.5, 'faseeh-v1', now() - n * interval '1 second'
       FROM generate_series(1, 300000) AS n`,
    );
    const reads = Array.from({ length: 64 }, () => gateway.graphql(HEAVY_READ));
    // The flood is in: every read connection busy and reads queued behind them.
    await waitFor(() => (gateway.container.db.poolStats().read_waiting ?? 0) > 0, 10_000, "reads to queue for a read connection");

    const cloned = await cloneWithLargeFiles(gateway, { name: "Under load" });
    expect(cloned.response.body.errors).toBeUndefined();
    const voiceId = cloned.response.body.data!.cloneVoice.voice.voiceId;
    expect(await db.query("SELECT name FROM voices WHERE voice_id = $1", [voiceId])).toEqual([{ name: "Under load" }]);
    expect(filesOf(upstream.requests[0]!)).toEqual(cloned.sent);

    // Every read is answered in the end, none with a database outage.
    const answers = await Promise.all(reads);
    for (const answer of answers) {
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data).toEqual({ voices: { totalCount: 0, nodes: [] } });
    }
  },
);
