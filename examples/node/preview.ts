// Previews a voice: sends a recording (by default examples/audio/original.wav)
// and a text to the gateway, which has Faseeh say the text in that voice and
// keeps the result. Prints where to listen to it and how to clone it.
//
//   node --import tsx examples/node/preview.ts
//   node --import tsx examples/node/preview.ts --file my-voice.wav --text "…" --save preview.wav
//
// On an error, prints its `extensions.code` and message, and exits 1.
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { exampleAudio, fileFrom, gatewayClient, run } from "./gateway.js";
import { graphql } from "./gql/index.js";

const PreviewVoice = graphql(`
  mutation PreviewVoice($input: PreviewVoiceInput!) {
    previewVoice(input: $input) {
      id
      text
      durationSeconds
      audioUrl
      audioUrlExpiresAt
      expiresAt
    }
  }
`);

const { values: options } = parseArgs({
  options: {
    file: { type: "string", default: exampleAudio("original.wav") },
    // At least 3 words and 10 characters.
    text: { type: "string", default: "مرحبا بكم في فصيح اليوم" },
    similarity: { type: "string", default: "0.8" },
    model: { type: "string", default: "faseeh-v1" },
    // Also download the preview's audio (a WAV) to this file.
    save: { type: "string" },
  },
});

await run(async () => {
  const { data } = await gatewayClient().mutate({
    mutation: PreviewVoice,
    variables: {
      input: {
        file: await fileFrom(options.file),
        text: options.text,
        similarity: Number(options.similarity),
        modelId: options.model,
      },
    },
  });
  if (!data) throw new Error("The gateway answered no data");
  const preview = data.previewVoice;
  console.log(`Preview ${preview.id}: ${preview.durationSeconds.toFixed(2)} s saying "${preview.text}"`);
  // A signed URL: an <audio src> or a download works without the client key until it expires.
  console.log(`Listen (until ${preview.audioUrlExpiresAt}): ${preview.audioUrl}`);
  if (options.save) {
    const audio = await fetch(preview.audioUrl);
    if (!audio.ok) throw new Error(`GET ${preview.audioUrl} answered ${audio.status}`);
    await writeFile(options.save, Buffer.from(await audio.arrayBuffer()));
    console.log(`Saved the audio to ${options.save}`);
  }
  console.log(
    `Clone it (until ${preview.expiresAt}): node --import tsx examples/node/clone.ts --name Layla --preview ${preview.id}`,
  );
});
