// The fake Faseeh's scripted text-to-speech answers, over real sockets with
// undici: errors and given bytes (never validated nor billed), createThen
// (billed, answer lost), hold and holdMidStream, and a client leaving mid-stream.
import { randomBytes } from "node:crypto";
import { Agent, request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeSpeechSamples, SPEECH_CONTENT_TYPE, startFakeFaseeh, type FakeFaseeh } from "../../dev/fake-faseeh.js";
import {
  LONG_TEXT,
  postSpeech as postSpeechTo,
  readBody,
  sha256,
  speechBody,
  VOICE,
  type SpeechCall,
} from "../support/fake-speech.js";
import { releasable } from "../support/gate.js";
import { waitFor } from "../support/wait.js";

let fake: FakeFaseeh;
let agent: Agent;
beforeEach(async () => {
  fake = await startFakeFaseeh();
  // A dedicated pool per test so no keep-alive socket outlives the test.
  agent = new Agent();
});
afterEach(async () => {
  await agent.destroy();
  await fake.close();
});

const postSpeech = (call: SpeechCall = {}) => postSpeechTo(fake, agent, call);

describe("fake Faseeh text-to-speech, scripted", () => {
  beforeEach(() => fake.addVoices(VOICE));

  it("plays error, pcm and pcmThenReset without validating or billing, then the tone again", async () => {
    const scripted = randomBytes(40_001); // odd on purpose: exactly these bytes
    fake.enqueueSpeech(
      { kind: "error", status: 402, errorCode: "40201", errorMessage: "Insufficient wallet balance" },
      { kind: "pcm", bytes: scripted },
      { kind: "pcmThenReset", bytesBeforeReset: 20_000 },
    );
    const refused = await postSpeech();
    expect([refused.statusCode, await refused.body.json()]).toEqual([
      402,
      { errorCode: "40201", errorMessage: "Insufficient wallet balance" },
    ]);
    const exact = await postSpeech({ apiKey: "wrong", body: speechBody({ text: "abc" }) });
    expect([exact.statusCode, exact.headers["content-type"], exact.headers["content-length"]]).toEqual([
      200,
      SPEECH_CONTENT_TYPE,
      undefined,
    ]);
    expect(Buffer.from(await exact.body.arrayBuffer())).toEqual(scripted);
    const cut = await postSpeech();
    expect(cut.statusCode).toBe(200);
    const partial = await readBody(cut.body);
    expect(partial.error).toBeInstanceOf(Error);
    expect(partial.bytes.length).toBeLessThanOrEqual(20_000);
    const normal = await postSpeech();
    const tone = (await readBody(normal.body)).bytes;

    expect(fake.speeches).toEqual([
      { size: scripted.length, sha256: sha256(scripted), characters: 3, streaming: true },
      { size: tone.length, sha256: sha256(tone), characters: 17, streaming: true },
    ]);
    expect(fake.billedCharacters).toBe(17);
    expect(fake.speechBytesSent).toBe(scripted.length + 20_000 + tone.length);
    expect(fake.speechRequests).toHaveLength(4);
  });

  it("createThen validates, bills, then answers `then`; an invalid call is neither answered nor billed", async () => {
    fake.enqueueSpeech(
      { kind: "createThen", then: { kind: "error", status: 502 } },
      { kind: "createThen", then: { kind: "reset" } },
      { kind: "createThen", then: { kind: "success" } },
      { kind: "createThen", then: { kind: "error", status: 502 } },
    );
    const lost = await postSpeech();
    expect(lost.statusCode).toBe(502);
    await lost.body.dump();
    await expect(postSpeech()).rejects.toThrow();
    const answered = await postSpeech();
    expect(answered.statusCode).toBe(200);
    await answered.body.dump();
    const invalid = await postSpeech({ body: speechBody({ voice_id: "voice_x" }) });
    expect(invalid.statusCode).toBe(400);
    await invalid.body.dump();

    expect(fake.billedCharacters).toBe(3 * 17); // charged once each, the answered one included
    expect(fake.speeches).toHaveLength(1);
  });

  it("resets before or after the body, or answers after a delay, recording each call", async () => {
    fake.enqueueSpeech({ kind: "resetBeforeBody" }, { kind: "reset" }, { kind: "delay", ms: 50, then: { kind: "success" } });
    await expect(postSpeech({ rawBody: JSON.stringify(speechBody({ text: "ا".repeat(256 * 1024) })) })).rejects.toThrow();
    await expect(postSpeech()).rejects.toThrow();
    const late = await postSpeech();
    expect(late.statusCode).toBe(200);
    await late.body.dump();
    expect(fake.speechRequests.map((received) => received.body)).toEqual([undefined, speechBody(), speechBody()]);
    expect([fake.speeches.length, fake.billedCharacters]).toEqual([1, 17]);
  });

  it("holds the answer until released, counted in flight, then answers it", async () => {
    const held = releasable();
    fake.enqueueSpeech({ kind: "hold", until: held.until, then: { kind: "success" } });
    let answered = false;
    const pending = postSpeech().then((response) => {
      answered = true;
      return response;
    });
    await waitFor(() => fake.speechRequests.length === 1, 10_000, "the fake to have the whole request");
    expect([answered, fake.inFlight, fake.peakInFlight, fake.speeches.length]).toEqual([false, 1, 1, 0]);
    held.release();
    const res = await pending;
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await waitFor(() => fake.inFlight === 0, 10_000, "the answer to close");
    expect([fake.speeches.length, fake.billedCharacters]).toEqual([1, 17]);
  });

  it("holdMidStream pauses after the bytes asked for, then sends the rest, recorded and billed whole", async () => {
    const held = releasable();
    fake.enqueueSpeech({ kind: "holdMidStream", afterBytes: 40_000, until: held.until });
    const res = await postSpeech({ body: speechBody({ text: LONG_TEXT }) });
    expect(res.statusCode).toBe(200);
    const chunks: Buffer[] = [];
    let ended = false;
    res.body.on("data", (chunk: Buffer) => chunks.push(chunk));
    const done = new Promise<void>((resolve) =>
      res.body.once("end", () => {
        ended = true;
        resolve();
      }),
    );

    await waitFor(() => fake.speechBytesSent >= 40_000, 10_000, "the first bytes to go out");
    await waitFor(() => Buffer.concat(chunks).length === fake.speechBytesSent, 10_000, "the client to have them");
    expect(fake.speechBytesSent).toBeLessThan(2 * fakeSpeechSamples(LONG_TEXT));
    expect([ended, fake.speeches, fake.billedCharacters, fake.inFlight]).toEqual([false, [], 0, 1]);

    held.release();
    await done;
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(2 * fakeSpeechSamples(LONG_TEXT));
    expect(fake.speeches).toEqual([{ size: bytes.length, sha256: sha256(bytes), characters: 120, streaming: true }]);
    expect(fake.billedCharacters).toBe(120);
  });

  it("records and bills nothing for a client that leaves mid-stream, and counts speeches in flight with clones", async () => {
    fake.enqueue({ kind: "hang" });
    fake.enqueueSpeech({ kind: "hang" });
    const hanging = [
      request(fake.cloneUrl, { method: "POST", body: "x", dispatcher: agent }).catch((error: unknown) => error),
      postSpeech().catch((error: unknown) => error),
    ];
    await waitFor(() => fake.inFlight === 2, 10_000, "both calls in flight");
    expect(fake.peakInFlight).toBe(2);

    const leaving = new AbortController();
    const res = await postSpeech({ body: speechBody({ text: "كلمة ".repeat(400) }), signal: leaving.signal });
    expect(res.statusCode).toBe(200);
    for await (const chunk of res.body) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      break; // leaving the loop destroys the body, and undici the connection
    }
    leaving.abort();
    await waitFor(() => fake.inFlight === 2, 10_000, "the fake to see the client leave");
    expect(fake.peakInFlight).toBe(3);
    expect([fake.speeches, fake.billedCharacters]).toEqual([[], 0]);
    expect(fake.speechBytesSent).toBeLessThan(2 * fakeSpeechSamples("كلمة ".repeat(400)));

    await fake.close();
    for (const outcome of await Promise.all(hanging)) expect(outcome).toBeInstanceOf(Error);
  });
});
