// Property: no multipart framing stops the gateway or answers 5xx. A valid
// GraphQL multipart clone request is taken apart at random (bytes in part
// headers, quoting, line endings, truncations, boundaries, part orders, the
// request's own Content-Type, a client leaving mid-body) and sent, raw, to the
// real gateway process, in production mode:
// - without a key (the body is read before anyone is authenticated): every
//   answer is 4xx;
// - with a write key: never a 5xx, and Faseeh gets a complete request only
//   when the gateway answers with the cloned voice.
// Afterwards the process still runs, answers /healthz, and logged no error.
import fc from "fast-check";
import { afterAll } from "vitest";
import { bearer, createKey } from "../support/api-keys.js";
import { wav } from "../../dev/audio-fixtures.js";
import { CLONE_VOICE, defaultCloneInput } from "../support/clone.js";
import { describe, expect, test as it } from "../support/base-fixtures.js";
import { type FakeFaseeh, startFakeFaseeh } from "../../dev/fake-faseeh.js";
import { errorCodes, hostileRuns, rawRequest } from "../support/hostile.js";
import type { TsProcess } from "../../dev/spawn-ts.js";
import { killAllSpawned, msg, spawnTs } from "../support/process.js";
import { waitFor } from "../support/wait.js";

const BOUNDARY = "----hostile-framing";

interface Part {
  headers: string[];
  body: Buffer;
}

/** The valid request every case starts from: operations, map, two small files. */
function validParts(): Part[] {
  const operations = JSON.stringify({
    query: CLONE_VOICE,
    variables: { input: { ...defaultCloneInput(), voiceFile: null, referenceAudioFile: null } },
  });
  const map = JSON.stringify({ 0: ["variables.input.voiceFile"], 1: ["variables.input.referenceAudioFile"] });
  const file = (name: string, seed: number) => ({
    headers: [`Content-Disposition: form-data; name="${name}"; filename="${name}.wav"`, "Content-Type: audio/wav"],
    body: wav(4096 + seed),
  });
  return [
    { headers: ['Content-Disposition: form-data; name="operations"'], body: Buffer.from(operations) },
    { headers: ['Content-Disposition: form-data; name="map"'], body: Buffer.from(map) },
    file("0", 0),
    file("1", 1),
  ];
}

/** How a case differs from the valid request. */
type Mutation =
  | { kind: "header-byte"; part: number; line: number; at: number; byte: number }
  | { kind: "no-colon"; part: number; line: number }
  | { kind: "extra-header"; part: number; text: string }
  | { kind: "long-header"; part: number; length: number }
  | { kind: "line-ending"; part: number; ending: string }
  | { kind: "boundary"; part: number; text: string }
  | { kind: "filename"; part: number; value: string }
  | { kind: "swap"; a: number; b: number }
  | { kind: "duplicate"; part: number }
  | { kind: "drop"; part: number }
  | { kind: "truncate"; fraction: number }
  | { kind: "trailer"; text: string }
  | { kind: "map"; entries: Array<[string, string[]]> };

const index = fc.nat({ max: 3 });
/**
 * A `map` entry an attacker might send: a path, then paths that go on from it
 * (into the file the first one placed, an array's length, a prototype), or nowhere.
 */
const mapEntry: fc.Arbitrary<[string, string[]]> = fc
  .tuple(
    fc.constantFrom("0", "1", "2"),
    fc.constantFrom(
      "variables.input.voiceFile",
      "variables.input.referenceAudioFile",
      "variables.input",
      "variables",
      "variables.x",
      "query",
    ),
    fc.array(
      fc.constantFrom(".promise", ".resolve", ".reject", ".then", ".length", ".__proto__", ".0", ".constructor.prototype", "."),
      {
        maxLength: 2,
      },
    ),
  )
  .map(([part, base, suffixes]): [string, string[]] => [part, [base, ...suffixes.map((suffix) => base + suffix)]]);
const nastyByte = fc.constantFrom(0x00, 0x0a, 0x0d, 0x22, 0x3a, 0x3b, 0x5c, 0x7f, 0x80, 0xff);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("header-byte"),
    part: index,
    line: fc.nat({ max: 1 }),
    at: fc.nat({ max: 80 }),
    byte: nastyByte,
  }),
  fc.record({ kind: fc.constant("no-colon"), part: index, line: fc.nat({ max: 1 }) }),
  fc.record({ kind: fc.constant("extra-header"), part: index, text: fc.string({ maxLength: 40, unit: "binary" }) }),
  fc.record({ kind: fc.constant("long-header"), part: index, length: fc.integer({ min: 1_000, max: 40_000 }) }),
  fc.record({ kind: fc.constant("line-ending"), part: index, ending: fc.constantFrom("\n", "\r", "", "\r\r\n", "\n\n") }),
  fc.record({ kind: fc.constant("boundary"), part: index, text: fc.string({ maxLength: 20 }) }),
  fc.record({
    kind: fc.constant("filename"),
    part: fc.constantFrom(2, 3),
    value: fc.oneof(
      fc.string({ maxLength: 30, unit: "binary" }),
      fc.constantFrom('a"b', "a\u0000b", "a\nb", "%00", "../../etc/passwd"),
    ),
  }),
  fc.record({ kind: fc.constant("swap"), a: index, b: index }),
  fc.record({ kind: fc.constant("duplicate"), part: index }),
  fc.record({ kind: fc.constant("drop"), part: index }),
  fc.record({ kind: fc.constant("truncate"), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant("trailer"), text: fc.string({ maxLength: 40, unit: "binary" }) }),
  fc.record({ kind: fc.constant("map"), entries: fc.array(mapEntry, { minLength: 1, maxLength: 3 }) }),
);

/** The request's Content-Type, as a client might get it wrong (mostly right, so that the body's own mistakes are reached). */
const contentType = fc.oneof(
  { arbitrary: fc.constant(`multipart/form-data; boundary=${BOUNDARY}`), weight: 4 },
  { arbitrary: wrongContentType(), weight: 1 },
);

function wrongContentType() {
  return fc.constantFrom(
    `multipart/form-data; boundary=${BOUNDARY}`,
    `multipart/form-data; boundary="${BOUNDARY}"`,
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=other",
    `multipart/mixed; boundary=${BOUNDARY}`,
    `multipart/form-data; charset=utf-8; boundary=${BOUNDARY}`,
    "application/json",
    "text/plain",
  );
}

/** Mostly true: a case that is not mostly valid only tests the first check. */
const mostly = fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 });

/** Writes the parts with their delimiters, after applying the mutations that change parts. */
function serialise(mutations: readonly Mutation[]): Buffer {
  const parts = validParts();
  const endings = parts.map(() => "\r\n");
  const delimiters = parts.map(() => `--${BOUNDARY}`);
  let trailer = `--${BOUNDARY}--\r\n`;
  let fraction = 1;
  for (const change of mutations) {
    const part = "part" in change ? parts[change.part % parts.length] : undefined;
    switch (change.kind) {
      case "header-byte": {
        const line = part?.headers[change.line % part.headers.length] ?? "";
        const at = change.at % (line.length + 1);
        if (part)
          part.headers[change.line % part.headers.length] = line.slice(0, at) + String.fromCharCode(change.byte) + line.slice(at);
        break;
      }
      case "no-colon":
        if (part)
          part.headers[change.line % part.headers.length] = (part.headers[change.line % part.headers.length] ?? "").replace(
            ":",
            "",
          );
        break;
      case "extra-header":
        part?.headers.push(change.text);
        break;
      case "long-header":
        part?.headers.push(`X-Long: ${"x".repeat(change.length)}`);
        break;
      case "line-ending":
        endings[change.part % parts.length] = change.ending;
        break;
      case "boundary":
        delimiters[change.part % parts.length] = `--${change.text}`;
        break;
      case "filename":
        if (part) part.headers[0] = `Content-Disposition: form-data; name="${change.part - 2}"; filename="${change.value}"`;
        break;
      case "swap": {
        const [a, b] = [parts[change.a % parts.length], parts[change.b % parts.length]];
        if (a && b) [parts[change.a % parts.length], parts[change.b % parts.length]] = [b, a];
        break;
      }
      case "duplicate":
        if (part) parts.push({ headers: [...part.headers], body: part.body });
        break;
      case "drop":
        if (parts.length > 1) parts.splice(change.part % parts.length, 1);
        break;
      case "truncate":
        fraction = change.fraction;
        break;
      case "trailer":
        trailer = change.text;
        break;
      case "map": {
        const map = parts.find((candidate) => candidate.headers[0]?.includes('name="map"'));
        if (map) map.body = Buffer.from(JSON.stringify(Object.fromEntries(change.entries)));
        break;
      }
    }
  }
  const body = Buffer.concat([
    ...parts.flatMap((part, at) => [
      Buffer.from(`${delimiters[at] ?? `--${BOUNDARY}`}\r\n${part.headers.join("\r\n")}\r\n${endings[at] ?? "\r\n"}`, "latin1"),
      part.body,
      Buffer.from("\r\n"),
    ]),
    Buffer.from(trailer, "latin1"),
  ]);
  return body.subarray(0, Math.round(body.length * fraction));
}

const framing = fc.record({
  mutations: fc.oneof(
    fc.array(mutation, { minLength: 1, maxLength: 3 }),
    // The map alone, often: its paths are parsed before anyone is authenticated.
    fc.array(mapEntry, { minLength: 1, maxLength: 3 }).map((entries): Mutation[] => [{ kind: "map", entries }]),
  ),
  contentType,
  preflight: mostly,
  /** Leave after the body, declaring more than was sent: a client gone mid-body. */
  leave: mostly.map((stay) => !stay),
});

type Framing = typeof framing extends fc.Arbitrary<infer T> ? T : never;

let upstream: FakeFaseeh;
let proc: TsProcess;
let port: number;
let writerKey: string;

// The file's database (a fixture, dropped after the file) holds the key; the process runs on it.
it.beforeAll(async ({ fileDatabase: db }) => {
  upstream = await startFakeFaseeh();
  writerKey = (await createKey(db, "voice-studio", "write")).key;
  proc = spawnTs("src/main.ts", {
    NODE_ENV: "production",
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: db.url,
    FASEEH_BASE_URL: upstream.baseUrl,
    FASEEH_API_KEY: upstream.apiKey,
    CLONE_RATE_LIMIT_PER_MINUTE: "100000",
    UPSTREAM_TIMEOUT_MS: "5000",
    LOG_LEVEL: "info",
  });
  const line = await proc.waitForLog((logged) => msg(logged) === "gateway listening", 60_000, '"gateway listening"');
  port = Number(line.port);
}, 120_000);

afterAll(async () => {
  await killAllSpawned();
  await upstream.close();
});

/** Sends a case; the answer, or undefined for a client that left. */
async function send(framed: Framing, headers: string[] = []) {
  const body = serialise(framed.mutations);
  return rawRequest({
    port,
    headers: [`Content-Type: ${framed.contentType}`, ...(framed.preflight ? ["Apollo-Require-Preflight: true"] : []), ...headers],
    body,
    ...(framed.leave && { contentLength: body.length + 100_000, leaveAfterBody: true }),
  });
}

const completeClones = () => upstream.requests.filter((received) => !received.aborted).length;

describe("random multipart framings", () => {
  it("without a key: every answer is 4xx, and the process keeps serving", async () => {
    await fc.assert(
      fc.asyncProperty(framing, async (framed) => {
        const answer = await send(framed);
        if (framed.leave) return;
        expect(answer.status, answer.body).toBeGreaterThanOrEqual(400);
        expect(answer.status, answer.body).toBeLessThan(500);
      }),
      hostileRuns,
    );
    expect(completeClones()).toBe(0);
  }, 240_000);

  it("with a write key: never a 5xx, and Faseeh gets a complete request only for an answered clone", async () => {
    await fc.assert(
      fc.asyncProperty(framing, async (framed) => {
        await waitFor(() => upstream.inFlight === 0, 20_000, "the previous case's clone to settle");
        const before = completeClones();
        const answer = await send(framed, [`Authorization: ${bearer(writerKey).authorization}`]);
        if (framed.leave) return;
        expect(answer.status, answer.body).toBeDefined();
        expect(answer.status, answer.body).toBeLessThan(500);
        const codes = errorCodes(answer.body);
        const cloned = answer.status === 200 && codes?.length === 0;
        // Faseeh has a complete request only when the gateway answered with its voice.
        expect(completeClones() === before || cloned, `${String(answer.status)} ${answer.body}`).toBe(true);
      }),
      hostileRuns,
    );
  }, 240_000);

  it("the process still runs, answers /healthz, and logged no error", async () => {
    await waitFor(() => upstream.inFlight === 0, 20_000, "every clone to settle");
    expect(proc.exitStatus).toBeUndefined();
    const health = await fetch(`http://127.0.0.1:${String(port)}/healthz`);
    expect(health.status).toBe(200);
    expect(proc.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
