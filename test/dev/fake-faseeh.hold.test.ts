// The fake Faseeh's `hold` answer: held until the test releases it (to do
// something while Faseeh "works", e.g. signal the gateway), and never sent to
// a client that left meanwhile.
import { FormData, request } from "undici";
import { afterEach, beforeEach, expect, it } from "vitest";
import { noisyWav } from "../../dev/audio-fixtures.js";
import { type FakeFaseeh, startFakeFaseeh } from "../../dev/fake-faseeh.js";
import { releasable, settle } from "../support/gate.js";
import { waitFor } from "../support/wait.js";

let fake: FakeFaseeh;
beforeEach(async () => {
  fake = await startFakeFaseeh();
});
afterEach(async () => {
  await fake.close();
});

function cloneForm(): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries({ text: "مرحبا بكم في فصيح", stability: "0.5", name: "Held", model: "faseeh-v1" }))
    form.append(name, value);
  form.append("voice_file", new Blob([noisyWav(64 * 1024, 1)], { type: "audio/wav" }), "voice.wav");
  form.append("reference_audio_file", new Blob([noisyWav(64 * 1024, 2)], { type: "audio/wav" }), "reference.wav");
  return form;
}

const postClone = (signal?: AbortSignal) =>
  request(fake.cloneUrl, { method: "POST", body: cloneForm(), headers: { "x-api-key": fake.apiKey }, signal });

it("holds the answer until released, then plays what follows", async () => {
  const held = releasable();
  fake.enqueue({ kind: "hold", until: held.until, then: { kind: "success" } });
  let answered = false;
  const pending = postClone().then((response) => {
    answered = true;
    return response;
  });
  await waitFor(() => fake.requests.length === 1, 10_000, "the fake to have the whole request");
  expect([answered, fake.inFlight, fake.createdVoices.length]).toEqual([false, 1, 0]);

  held.release();
  const response = await pending;
  expect(response.statusCode).toBe(200);
  expect(await response.body.json()).toMatchObject({ name: "Held" });
  expect(fake.createdVoices).toHaveLength(1);
});

it("sends nothing, and creates nothing, for a client that left while held", async () => {
  const held = releasable();
  fake.enqueue({ kind: "hold", until: held.until, then: { kind: "success" } });
  const leaving = new AbortController();
  const pending = postClone(leaving.signal).catch((error: unknown) => error);
  await waitFor(() => fake.requests.length === 1, 10_000, "the fake to have the whole request");
  leaving.abort();
  expect(await pending).toMatchObject({ name: "AbortError" });
  await waitFor(() => fake.inFlight === 0, 10_000, "the fake to see the client leave");

  held.release();
  await settle(); // whatever the release set off has run
  expect(fake.createdVoices).toEqual([]);
});
