// One input rule for text, over real HTTP: what PostgreSQL cannot store (a NUL,
// an unpaired surrogate) or compare (the year 0) is refused as BAD_USER_INPUT
// naming its path, in document literals and in variables alike, before any
// service runs: no error-level log, no upstream call, nothing written. The
// money case first: a NUL in a preview's text used to be sent to Faseeh
// (billed), then fail to be stored.
import { filterFingerprint } from "../../src/services/catalog/catalog-cursor.js";
import { bearer, issueKey } from "../support/api-keys.js";
import { cloneVoice } from "../support/clone.js";
import { describe, expect, test } from "../support/fixtures.js";
import type { GraphQLResponse, TestGateway } from "../support/gateway.js";
import { PREVIEW_TEXT, previewVoice } from "../support/preview.js";

const NUL = "\u0000";
const LONE_SURROGATE = "\ud800";

/** Refused as the client's mistake, naming `field`, with nothing logged as our error. */
function refused(gateway: TestGateway, response: GraphQLResponse, field: string, since: number): void {
  expect(response.status).toBe(400);
  expect(response.body.errors?.map((error) => error.extensions)).toEqual([{ code: "BAD_USER_INPUT", field }]);
  expect(response.body.data ?? null).toBeNull();
  expect(gateway.logs.slice(since).filter((line) => Number(line.level) >= 50)).toEqual([]);
}

describe("money first: nothing is spent on text that cannot be stored", () => {
  test.for([
    ["a NUL", `${PREVIEW_TEXT}${NUL}`],
    ["an unpaired surrogate", `${PREVIEW_TEXT}${LONE_SURROGATE}`],
  ] as const)("a preview whose text holds %s is refused before Faseeh is called", async ([, text], { gateway, upstream }) => {
    const since = gateway.logs.length;
    const response = await previewVoice(gateway, { input: { text } });
    refused(gateway, response, "input.text", since);
    expect(upstream.previewRequests).toEqual([]);
    expect(await gateway.database!.query("SELECT id FROM voice_previews")).toEqual([]);
  });

  test("a clone whose name holds a NUL is refused before Faseeh is called, and no attempt is written", async ({
    gateway,
    upstream,
  }) => {
    const since = gateway.logs.length;
    const response = await cloneVoice(gateway, { input: { name: `Layla${NUL}` } });
    refused(gateway, response, "input.name", since);
    expect(upstream.requests).toEqual([]);
    expect(await gateway.database!.query("SELECT id FROM clone_attempts")).toEqual([]);
  });
});

describe("every text argument, literal or variable", () => {
  const literalCases = [
    ["search", `{ voices(filter: { search: "a\\u0000b" }) { totalCount } }`, "filter.search"],
    ["nameContains", `{ voices(filter: { nameContains: "\\u0000" }) { totalCount } }`, "filter.nameContains"],
    ["language", `{ voices(filter: { language: "ar\\u0000" }) { totalCount } }`, "filter.language"],
    ["a tag", `{ voices(filter: { tags: ["news", "x\\u0000"] }) { totalCount } }`, "filter.tags.1"],
    ["voiceId", `{ voice(voiceId: "v\\u0000") { id } }`, "voiceId"],
    ["a facet filter", `{ voiceFacets(filter: { dialect: "\\u0000" }) { tags { value } } }`, "filter.dialect"],
    ["a preview id", `{ voicePreview(id: "\\u0000") { id } }`, "id"],
    [
      "inside a fragment",
      `{ ...f } fragment f on Query { voices(filter: { search: "\\u0000" }) { totalCount } }`,
      "filter.search",
    ],
    ["a variable's default", `query($s: String = "\\u0000") { voices(filter: { search: $s }) { totalCount } }`, "s"],
  ] as const;

  test.for(literalCases)("a NUL written in %s", async ([, query, field], { gateway }) => {
    const since = gateway.logs.length;
    refused(gateway, await gateway.graphql(query), field, since);
  });

  const variableCases = [
    ["search", "query($f: VoiceFilter) { voices(filter: $f) { totalCount } }", { f: { search: `a${NUL}` } }, "f.search"],
    [
      "search (surrogate)",
      "query($f: VoiceFilter) { voices(filter: $f) { totalCount } }",
      { f: { search: LONE_SURROGATE } },
      "f.search",
    ],
    ["a tag", "query($f: VoiceFilter) { voices(filter: $f) { totalCount } }", { f: { tags: ["a", `b${NUL}`] } }, "f.tags.1"],
    ["voiceId", "query($v: String) { voice(voiceId: $v) { id } }", { v: `${LONE_SURROGATE}x` }, "v"],
    ["a variable the operation does not declare", '{ voice(voiceId: "x") { id } }', { v: NUL }, "v"],
  ] as const;

  test.for(variableCases)("a bad string in the variable for %s", async ([, query, variables, field], { gateway }) => {
    const since = gateway.logs.length;
    refused(gateway, await gateway.graphql(query, variables), field, since);
  });

  test("edits, key names and revocations are refused the same way, and change nothing", async ({ gateway }) => {
    const admin = await issueKey(gateway, "ops", "admin");
    const headers = bearer(admin.key);
    const since = gateway.logs.length;
    refused(
      gateway,
      await gateway.graphql(
        'mutation($input: UpdateVoiceInput!) { updateVoice(id: "00000000-0000-4000-8000-000000000000", input: $input) { voice { id } } }',
        { input: { description: `x${NUL}` } },
        headers,
      ),
      "input.description",
      since,
    );
    refused(
      gateway,
      await gateway.graphql(`mutation { createApiKey(name: "x\\u0000") { key } }`, undefined, headers),
      "name",
      since,
    );
    refused(gateway, await gateway.graphql(`mutation { revokeApiKey(key: "\\u0000") { id } }`, undefined, headers), "key", since);
    expect(await gateway.database!.query("SELECT name FROM api_keys")).toEqual([{ name: "ops" }]);
  });
});

describe("cursors and instants out of range", () => {
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

  test.for([
    [
      "a name holding a NUL",
      "NAME_ASC",
      (f: string) => cursor({ s: "NAME_ASC", f, k: [`a${NUL}`, "00000000-0000-4000-8000-000000000000"] }),
    ],
    [
      "the year 0000",
      "NEWEST",
      (f: string) => cursor({ s: "NEWEST", f, k: ["0000-01-01T00:00:00.000Z", "00000000-0000-4000-8000-000000000000"] }),
    ],
    [
      "an old-style cursor in the year 0000",
      "NEWEST",
      () => cursor({ c: "0000-06-01T00:00:00.000Z", i: "00000000-0000-4000-8000-000000000000" }),
    ],
  ] as const)("a forged cursor with %s is BAD_USER_INPUT on `after`", async ([, sort, forge], { gateway }) => {
    // A real cursor's filter fingerprint (of no filter), so only the keyset is forged.
    const fingerprint = filterFingerprint({ keys: {}, tags: [], includeArchived: false });
    const since = gateway.logs.length;
    const response = await gateway.graphql(`query($after: String) { voices(sort: ${sort}, after: $after) { totalCount } }`, {
      after: forge(fingerprint),
    });
    expect(response.body.errors?.map((error) => error.extensions)).toEqual([{ code: "BAD_USER_INPUT", field: "after" }]);
    expect(gateway.logs.slice(since).filter((line) => Number(line.level) >= 50)).toEqual([]);
  });

  test.for([
    ["a literal", `{ voices(filter: { createdAfter: "0000-01-01T00:00:00.000Z" }) { totalCount } }`, undefined],
    [
      "a variable",
      "query($f: VoiceFilter) { voices(filter: $f) { totalCount } }",
      { f: { createdBefore: "0000-12-31T00:00:00.000Z" } },
    ],
  ] as const)("a date in the year 0000 as %s is BAD_USER_INPUT", async ([, query, variables], { gateway }) => {
    const since = gateway.logs.length;
    const response = await gateway.graphql(query, variables);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(response.body.errors?.[0]?.message).toContain("must be between 0001-01-01");
    expect(gateway.logs.slice(since).filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
