// Hostile multipart bodies against the real gateway, over a socket: part
// headers busboy cannot read (the NUL and bare LF in a filename, a header line
// without a colon, which once stopped the process), bodies broken after their
// files, and clients leaving mid-file. Each ends its own request with a 4xx
// (never a 5xx), nothing complete reaches Faseeh, and the gateway keeps
// serving: an uncaught error here would fail this file outright, since the
// gateway runs in the test's own process.
import { connect } from "node:net";
import { request } from "undici";
import { MiB, noisyWav, wav } from "../../dev/audio-fixtures.js";
import { CLONE_VOICE, defaultCloneInput } from "../support/clone.js";
import { describe, expect, test } from "../support/fixtures.js";
import { client, type TestGateway } from "../support/gateway.js";
import { waitFor } from "../support/wait.js";

const BOUNDARY = "----hostile";
const operations = JSON.stringify({
  query: CLONE_VOICE,
  variables: { input: { ...defaultCloneInput(), voiceFile: null, referenceAudioFile: null } },
});
const map = JSON.stringify({ 0: ["variables.input.voiceFile"], 1: ["variables.input.referenceAudioFile"] });

const field = (name: string, value: string) =>
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
const filePart = (name: string, content: Buffer, disposition = `form-data; name="${name}"; filename="${name}.wav"`) =>
  Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\nContent-Type: audio/wav\r\n\r\n`),
    content,
    Buffer.from("\r\n"),
  ]);
const closing = Buffer.from(`--${BOUNDARY}--\r\n`);

async function post(gateway: TestGateway, body: Buffer, contentType = `multipart/form-data; boundary=${BOUNDARY}`) {
  const response = await request(`${gateway.url}/graphql`, {
    method: "POST",
    body,
    headers: { "apollo-require-preflight": "true", "content-type": contentType },
    dispatcher: client,
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> } };
}

/** The gateway still answers a plain query. */
async function stillServes(gateway: TestGateway): Promise<void> {
  const response = await gateway.graphql("{ __typename }");
  expect(response.status).toBe(200);
  expect(response.body.data).toEqual({ __typename: "Query" });
}

const completeRequests = (upstream: { requests: Array<{ aborted: boolean }> }) =>
  upstream.requests.filter((received) => !received.aborted);

describe("part headers the parser cannot read", () => {
  test.for([
    ["a NUL in the filename", `form-data; name="0"; filename="a\u0000b.wav"`],
    ["a bare LF in the filename", `form-data; name="0"; filename="a\nb.wav"`],
    ["a bare CR in the filename", `form-data; name="0"; filename="a\rb.wav"`],
  ] as const)("%s answers 400 BAD_REQUEST and the gateway keeps serving", async ([, disposition], { gateway, upstream }) => {
    const response = await post(
      gateway,
      Buffer.concat([
        field("operations", operations),
        field("map", map),
        filePart("0", wav(), disposition),
        filePart("1", wav()),
        closing,
      ]),
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.body.errors?.[0]?.extensions?.code).toMatch(/^(BAD_REQUEST|BAD_USER_INPUT)$/);
    expect(completeRequests(upstream)).toEqual([]);
    await stillServes(gateway);
  });

  test("a header line without a colon answers 400 BAD_REQUEST", async ({ gateway, upstream }) => {
    const broken = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition form-data name operations\r\n\r\n{}\r\n`);
    const response = await post(gateway, Buffer.concat([broken, field("map", map), closing]));
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    expect(upstream.requests).toEqual([]);
    await stillServes(gateway);
  });

  test.for([
    ["no boundary", "multipart/form-data"],
    ["an empty boundary", "multipart/form-data; boundary="],
    ["a boundary of 200 characters", `multipart/form-data; boundary=${"x".repeat(200)}`],
  ] as const)("a content type with %s answers 400 BAD_REQUEST", async ([, contentType], { gateway }) => {
    const response = await post(gateway, Buffer.concat([field("operations", operations), closing]), contentType);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    await stillServes(gateway);
  });
});

describe("bodies broken after their files", () => {
  test.for([
    ["no closing boundary", Buffer.alloc(0)],
    ["garbage instead of the closing boundary", Buffer.from("garbage that is no boundary at all")],
    ["a third file part", filePart("2", wav())],
  ] as const)(
    "%s: the clone fails with a 4xx and Faseeh never gets a complete request",
    async ([, tail], { gateway, upstream }) => {
      const files = [filePart("0", noisyWav(MiB, 3)), filePart("1", noisyWav(MiB + 5, 4))];
      const response = await post(gateway, Buffer.concat([field("operations", operations), field("map", map), ...files, tail]));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.body.errors?.[0]?.extensions?.code).toMatch(/^(BAD_REQUEST|PAYLOAD_TOO_LARGE)$/);
      expect(completeRequests(upstream)).toEqual([]);
      await stillServes(gateway);
    },
  );
});

describe("map paths", () => {
  test.for([
    ["into the prototype", JSON.stringify({ 0: ["variables.__proto__.polluted"] })],
    ["outside variables", JSON.stringify({ 0: ["query"] })],
    ["through a missing variable", JSON.stringify({ 0: ["variables.nothing.here"] })],
    ["that are not a list", JSON.stringify({ 0: "variables.input.voiceFile" })],
    ["not JSON", "{not json"],
  ] as const)("a map with paths %s answers 400 BAD_REQUEST", async ([, badMap], { gateway, upstream }) => {
    const response = await post(
      gateway,
      Buffer.concat([field("operations", operations), field("map", badMap), filePart("0", wav()), closing]),
    );
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(upstream.requests).toEqual([]);
  });
});

describe("map paths that reach past the variables' JSON", () => {
  const operationsWith = (variables: Record<string, unknown>) => JSON.stringify({ query: "{ __typename }", variables });
  test.for([
    ["into the file an earlier path placed (its promise)", { a: null }, { 0: ["variables.a", "variables.a.promise"] }, false],
    ["into the file an earlier path placed (its resolve)", { a: null }, { 0: ["variables.a", "variables.a.resolve"] }, true],
    ["into the file an earlier path placed (its reject)", { a: null }, { 0: ["variables.a", "variables.a.reject"] }, false],
    ["to an array's length", { a: [] }, { 0: ["variables.a.length"] }, false],
    ["past an array's end", { a: [null] }, { 0: ["variables.a.5"] }, false],
    ["onto a value that is not null", { a: "text" }, { 0: ["variables.a"] }, false],
  ] as const)(
    "a path %s answers 400 BAD_REQUEST, and the gateway keeps serving",
    async ([, variables, badMap, withFile], { gateway }) => {
      const parts = [field("operations", operationsWith(variables)), field("map", JSON.stringify(badMap))];
      if (withFile) parts.push(filePart("0", wav()));
      const response = await post(gateway, Buffer.concat([...parts, closing]));
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
      await stillServes(gateway);
    },
  );
});

test("a client that leaves mid-file ends only its own request", async ({ gateway, upstream }) => {
  const head = Buffer.concat([field("operations", operations), field("map", map), filePart("0", noisyWav(MiB, 5))]);
  const partial = Buffer.concat([
    head,
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="1"; filename="1.wav"\r\n\r\n`),
    noisyWav(MiB, 6).subarray(0, 300_000),
  ]);
  const { port } = new URL(gateway.url);
  const socket = connect(Number(port), "127.0.0.1");
  socket.on("error", () => undefined);
  socket.write(
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nApollo-Require-Preflight: true\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${partial.length + 10 * MiB}\r\n\r\n`,
  );
  socket.write(partial);
  await waitFor(() => upstream.inFlight > 0, 10_000, "the clone reaching Faseeh");
  socket.destroy();
  await waitFor(() => upstream.requests.length === 1, 10_000, "Faseeh seeing the request end");
  expect(completeRequests(upstream)).toEqual([]);
  await stillServes(gateway);
});
