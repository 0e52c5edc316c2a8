// Multipart mistakes clients really make (curl -F with one part too many,
// `operations` sent as a file, a forgotten `map`, a wrong map path, a null
// upload) each get their own code, HTTP status and a message that names the
// problem; none is logged as an error of the gateway or of Faseeh.
import { request } from "undici";
import { CloneAttemptOutcomesDocument } from "../generated/operations.js";
import { textFile, wav } from "../../dev/audio-fixtures.js";
import { CLONE_VOICE, cloneVoice, defaultCloneInput } from "../support/clone.js";
import { describe, expect, test } from "../support/fixtures.js";
import { client, type TestGateway } from "../support/gateway.js";

test.override("gatewayOptions", { env: { MAX_UPLOAD_BYTES: String(64 * 1024) } });

type Part = { name: string; value: string | Buffer; filename?: string };

const operations = (input: Record<string, unknown> = {}) =>
  JSON.stringify({
    query: CLONE_VOICE,
    variables: { input: { ...defaultCloneInput(), voiceFile: null, referenceAudioFile: null, ...input } },
  });
const map = (paths: Record<string, string> = { 0: "variables.input.voiceFile", 1: "variables.input.referenceAudioFile" }) =>
  JSON.stringify(Object.fromEntries(Object.entries(paths).map(([key, path]) => [key, [path]])));

/** Sends the parts exactly in this order, as `curl -F` would. */
async function send(gateway: TestGateway, parts: Part[]) {
  const boundary = "----uploads-test";
  const chunks = parts.flatMap(({ name, value, filename }) => [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}\r\n` +
        (filename ? "Content-Type: application/octet-stream\r\n" : "") +
        "\r\n",
    ),
    Buffer.isBuffer(value) ? value : Buffer.from(value),
    Buffer.from("\r\n"),
  ]);
  const response = await request(`${gateway.url}/graphql`, {
    method: "POST",
    body: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]),
    headers: { "apollo-require-preflight": "true", "content-type": `multipart/form-data; boundary=${boundary}` },
    dispatcher: client,
  });
  const body = (await response.body.json()) as { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  return { status: response.statusCode, error: body.errors?.[0], errors: body.errors ?? [] };
}

const files: Part[] = [
  { name: "0", value: wav(), filename: "preview.wav" },
  { name: "1", value: wav(), filename: "original.wav" },
];

/** No line of this request's handling was logged as an error, nor as a failure of Faseeh. */
function loggedCalmly(gateway: TestGateway, since: number): void {
  const lines = gateway.logs.slice(since);
  expect(lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
  expect(lines.filter((line) => line.msg === "upstream call failed" && Number(line.level) >= 40)).toEqual([]);
}

describe("multipart mistakes", () => {
  test("answers a third, unmapped file with PAYLOAD_TOO_LARGE (HTTP 413)", async ({ gateway, upstream }) => {
    const since = gateway.logs.length;
    const { status, error } = await send(gateway, [
      { name: "operations", value: operations() },
      { name: "map", value: map() },
      ...files,
      { name: "2", value: wav(), filename: "extra.wav" },
    ]);
    expect(status).toBe(413);
    expect(error?.extensions?.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error?.message).toMatch(/at most 2 files/);
    expect(upstream.requests.filter((received) => !received.aborted)).toHaveLength(0);
    loggedCalmly(gateway, since);
  });

  test.for([
    [
      "operations sent as a file",
      [{ name: "operations", value: operations(), filename: "ops.json" }, { name: "map", value: map() }, ...files],
      /`operations` must be a plain form field/,
    ],
    [
      "map sent as a file",
      [{ name: "operations", value: operations() }, { name: "map", value: map(), filename: "map.json" }, ...files],
      /`map` must be a plain form field/,
    ],
    ["no map", [{ name: "operations", value: operations() }, ...files], /`map` field is missing/],
    ["no operations", [{ name: "map", value: map() }, ...files], /`operations` field is missing/],
    [
      "map before operations",
      [{ name: "map", value: map() }, { name: "operations", value: operations() }, ...files],
      /`operations` must come first/,
    ],
  ] as Array<[string, Part[], RegExp]>)(
    "answers %s with BAD_REQUEST saying so",
    async ([, parts, message], { gateway, upstream }) => {
      const since = gateway.logs.length;
      const { status, error } = await send(gateway, parts);
      expect(status).toBe(400);
      expect(error?.extensions?.code).toBe("BAD_REQUEST");
      expect(error?.message).toMatch(message);
      expect(upstream.requests).toHaveLength(0);
      loggedCalmly(gateway, since);
    },
  );

  test("names the variable path in `field` when an upload is null", async ({ gateway }) => {
    const { error } = await send(gateway, [
      { name: "operations", value: operations() },
      { name: "map", value: map({ 0: "variables.input.voiceFile" }) },
      files[0]!,
    ]);
    expect(error?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.referenceAudioFile" });
  });

  test("names the variable path in `field` when the map points at a field that does not exist", async ({ gateway }) => {
    const { errors } = await send(gateway, [
      { name: "operations", value: operations() },
      { name: "map", value: map({ 0: "variables.input.voiceFile", 1: "variables.input.referenceFile" }) },
      ...files,
    ]);
    // The misspelt path. (The upload it left empty is optional in the schema since a clone may
    // name a preview instead, so the clone's own check would name it, had the variables coerced.)
    expect(errors.map((error) => error.extensions)).toEqual([{ code: "BAD_USER_INPUT", field: "input.referenceFile" }]);
  });
});

describe("every clone call is recorded", () => {
  const attempts = (gateway: TestGateway) =>
    gateway.database!.query<{ status: string; error_code: string; name: string }>(
      "SELECT status, error_code, name FROM clone_attempts",
    );

  test.for([
    ["a field that fails validation", { input: { stability: 3 } }],
    ["a first file that is not audio", { voiceFile: { content: textFile(), filename: "notes.wav" } }],
    ["a file over MAX_UPLOAD_BYTES", { referenceAudioFile: { content: wav(256 * 1024), filename: "long.wav" } }],
  ] as const)("keeps %s as a FAILED attempt with its code, logged at INFO", async ([, options], { gateway }) => {
    const since = gateway.logs.length;
    const response = await cloneVoice(gateway, options);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await attempts(gateway)).toEqual([{ status: "FAILED", error_code: "BAD_USER_INPUT", name: "Layla" }]);
    loggedCalmly(gateway, since);
    const listed = await gateway.graphql(CloneAttemptOutcomesDocument);
    expect(listed.body.data?.cloneAttempts).toEqual([{ status: "FAILED", errorCode: "BAD_USER_INPUT" }]);
  });

  test("lets the same idempotency key be used again once the input is fixed", async ({ gateway }) => {
    const refused = await cloneVoice(gateway, { input: { idempotencyKey: "fix-me", stability: 3 } });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const fixed = await cloneVoice(gateway, { input: { idempotencyKey: "fix-me" } });
    expect(fixed.body.errors).toBeUndefined();
    expect((await attempts(gateway)).map((row) => row.status).sort()).toEqual(["FAILED", "SUCCEEDED"]);
  });
});
