// Clones a voice through the gateway: from two recordings (by default the
// example ones in examples/audio), or from a preview that preview.ts made.
//
//   node --import tsx examples/node/clone.ts --name Layla --language ar --dialect najdi
//   node --import tsx examples/node/clone.ts --name Layla --voice-file mine.wav --reference-file original.wav --text "…"
//   node --import tsx examples/node/clone.ts --name Layla --preview <previewId>
//
// Prints the voice the catalog stored; on an error, its `extensions.code` and message, and exits 1.
import { parseArgs } from "node:util";
import { exampleAudio, fileFrom, gatewayClient, run } from "./gateway.js";
import { graphql } from "./gql/index.js";
import type { CloneVoiceInput } from "./gql/graphql.js";

const CloneVoice = graphql(`
  mutation CloneVoice($input: CloneVoiceInput!) {
    cloneVoice(input: $input) {
      attemptId
      voice {
        id
        voiceId
        name
        model
        gender
        languages
        dialects
        tags
        createdAt
      }
    }
  }
`);

const { values: options } = parseArgs({
  options: {
    name: { type: "string", default: "Layla" },
    preview: { type: "string" },
    "voice-file": { type: "string", default: exampleAudio("preview.wav") },
    "reference-file": { type: "string", default: exampleAudio("original.wav") },
    // The text the preview audio says: Faseeh clones from the preview, its recording and its text.
    text: { type: "string", default: "مرحبا بكم في فصيح اليوم" },
    model: { type: "string" },
    stability: { type: "string", default: "0.6" },
    gender: { type: "string" },
    language: { type: "string", multiple: true },
    dialect: { type: "string", multiple: true },
    tag: { type: "string", multiple: true },
    // Run the script again with the same key (after a timeout, say) and the gateway answers the first
    // run's voice instead of cloning, and paying, twice.
    "idempotency-key": { type: "string" },
  },
});

/** The files and text, or the preview standing for them. */
async function source(): Promise<Pick<CloneVoiceInput, "previewId" | "voiceFile" | "referenceAudioFile" | "text" | "model">> {
  if (options.preview) return { previewId: options.preview, model: options.model };
  return {
    voiceFile: await fileFrom(options["voice-file"]),
    referenceAudioFile: await fileFrom(options["reference-file"]),
    text: options.text,
    model: options.model ?? "faseeh-v1",
  };
}

await run(async () => {
  const { data } = await gatewayClient().mutate({
    mutation: CloneVoice,
    variables: {
      input: {
        ...(await source()),
        name: options.name,
        stability: Number(options.stability),
        gender: options.gender,
        languages: options.language,
        dialects: options.dialect,
        tags: options.tag,
        idempotencyKey: options["idempotency-key"],
      },
    },
  });
  if (!data) throw new Error("The gateway answered no data");
  const { voice, attemptId } = data.cloneVoice;
  console.log(`Cloned "${voice.name}": voiceId ${voice.voiceId} (catalog id ${voice.id}, attempt ${attemptId})`);
  console.log(
    `  model ${voice.model}, gender ${voice.gender ?? "-"}, languages ${voice.languages.join(",") || "-"}, dialects ${voice.dialects.join(",") || "-"}`,
  );
  console.log(`  tags ${voice.tags.join(",") || "-"}, created ${voice.createdAt}`);
});
