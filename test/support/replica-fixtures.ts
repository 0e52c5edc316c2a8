// The vitest fixtures and helpers of the replica tests (test/deploy/replicas*.processes.test.ts):
// a file's cluster of two replicas "a" and "b" (replica-cluster.ts), its client
// keys, and what those tests check again and again.
import { MiB, noisyWav } from "../../dev/audio-fixtures.js";
import { CreateApiKeyDocument } from "../generated/operations.js";
import { test as base, expect } from "./base-fixtures.js";
import { digestOf } from "./preview.js";
import { type Cluster, type GraphQLAnswer, startCluster } from "./replica-cluster.js";
import { recordSecret } from "./suite-record.js";

export { expect };

export interface Keys {
  admin: string;
  write: string;
  read: string;
}

/** `test` with the file's `cluster` (replicas "a" and "b", started with `env`) and its `keys`. */
export function replicaTest(env: Record<string, string> = {}) {
  return (
    base
      // eslint-disable-next-line no-empty-pattern -- no dependencies: an empty pattern is how vitest spells that
      .extend("cluster", { scope: "file" }, async ({}, { onCleanup }): Promise<Cluster> => {
        const cluster = await startCluster({ env });
        onCleanup(() => cluster.stop());
        await Promise.all([cluster.start("a"), cluster.start("b")]);
        return cluster;
      })
      .extend("keys", { scope: "file" }, async ({ cluster }): Promise<Keys> => {
        // The first key closes every replica at once (it is in the database); the others are made with it.
        const { key: admin } = await createKey(cluster, "ops", "ADMIN");
        const { key: write } = await createKey(cluster, "studio", "WRITE", admin);
        const { key: read } = await createKey(cluster, "browser", "READ", admin);
        return { admin, write, read };
      })
  );
}

/** A client key made over GraphQL, through the load balancer. */
export async function createKey(cluster: Cluster, name: string, scope: "ADMIN" | "WRITE" | "READ", by?: string) {
  const answer = await cluster.graphql(CreateApiKeyDocument, { name, scope }, by, { revealsClientKey: true });
  expect(answer.json.errors).toBeUndefined();
  const created = answer.json.data!.createApiKey;
  recordSecret(created.key);
  return { key: created.key, id: created.apiKey.id };
}

export const otherThan = (cluster: Cluster, name: string): string => [...cluster.replicas.keys()].find((each) => each !== name)!;

export const LIST = "query List { voices(first: 100) { totalCount nodes { voiceId name } } }";

export const listed = (answer: GraphQLAnswer<unknown>): string[] =>
  (answer.json.data as { voices: { nodes: Array<{ voiceId: string }> } }).voices.nodes.map((voice) => voice.voiceId);

/** Two MiB-sized files for a clone (many stream chunks each), and what Faseeh must receive of each. */
export function bigFiles(seed: number) {
  const voiceFile = noisyWav(2 * MiB, seed);
  const referenceAudioFile = noisyWav(3 * MiB, seed + 1);
  return {
    voiceFile,
    referenceAudioFile,
    files: {
      "input.voiceFile": { content: voiceFile, filename: "preview.wav" },
      "input.referenceAudioFile": { content: referenceAudioFile, filename: "original.wav" },
    },
    sent: { voice_file: digestOf(voiceFile), reference_audio_file: digestOf(referenceAudioFile) },
  };
}

export const catalogRows = (cluster: Cluster, voiceIds: string[]) =>
  cluster.db.query<{ voice_id: string }>("SELECT voice_id FROM voices WHERE voice_id = ANY($1) ORDER BY voice_id", [voiceIds]);
