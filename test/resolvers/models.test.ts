// The `models` query over real HTTP, against the fake Faseeh's GET /models:
// the in-process cache (hit, expiry, stale on failure, the stale bound), and
// the model check that clones and previews pass before anything is spent.
import { ModelsDocument } from "../generated/operations.js";
import { cloneVoice } from "../support/clone.js";
import { DEFAULT_FAKE_MODELS } from "../../dev/fake-faseeh.js";
import { ManualClock } from "../support/clock.js";
import { describe, expect, test } from "../support/fixtures.js";
import { previewVoice } from "../support/preview.js";

// The list's lifetime and its stale bound are read on a clock the tests move.
const TTL_MS = 60_000;
const STALE_MAX_MS = 5 * 60_000;
const clock = new ManualClock();
test.override("gatewayOptions", {
  clock,
  env: { MODELS_CACHE_TTL_MS: String(TTL_MS), MODELS_STALE_MAX_MS: String(STALE_MAX_MS) },
});

const VALID_IDS = DEFAULT_FAKE_MODELS.map((model) => model.model_id).join(", ");

describe("models", () => {
  test("answers Faseeh's list in the schema's naming", async ({ gateway, upstream }) => {
    const response = await gateway.graphql(ModelsDocument);
    expect(response.body.errors).toBeUndefined();
    const models = response.body.data!.models;
    expect(models.items).toEqual(
      DEFAULT_FAKE_MODELS.map((model) => ({
        id: model.id,
        modelId: model.model_id,
        name: model.model_name,
        costPerCharacter: model.cost,
        description: model.description,
      })),
    );
    expect(models.stale).toBe(false);
    expect(models.staleReason).toBeNull();
    expect(new Date(models.fetchedAt).getTime()).toBe(clock.now());
    expect(upstream.modelRequests).toBe(1);
  });

  test("serves the list from memory until it expires, then asks Faseeh again", async ({ gateway, upstream }) => {
    const first = await gateway.graphql(ModelsDocument);
    await gateway.graphql(ModelsDocument);
    await gateway.graphql(ModelsDocument);
    expect(upstream.modelRequests).toBe(1);

    upstream.setModels([
      { id: "6d1b1d1e-0000-4000-8000-000000000009", model_id: "faseeh-v3", model_name: "V3", cost: 1, description: null },
    ]);
    clock.advance(TTL_MS); // past MODELS_CACHE_TTL_MS
    const refreshed = await gateway.graphql(ModelsDocument);
    expect(upstream.modelRequests).toBe(2);
    expect(refreshed.body.data!.models.items.map((model) => model.modelId)).toEqual(["faseeh-v3"]);
    expect(refreshed.body.data!.models.fetchedAt > first.body.data!.models.fetchedAt).toBe(true);
  });

  test("serves the last list, marked stale, when a refresh fails", async ({ gateway, upstream }) => {
    const fresh = await gateway.graphql(ModelsDocument);
    clock.advance(TTL_MS);
    upstream.enqueueModels({ kind: "error", status: 500 });
    const stale = await gateway.graphql(ModelsDocument);
    expect(stale.body.errors).toBeUndefined();
    expect(stale.body.data!.models).toMatchObject({
      items: fresh.body.data!.models.items,
      fetchedAt: fresh.body.data!.models.fetchedAt,
      stale: true,
    });
    expect(stale.body.data!.models.staleReason).toContain("HTTP 500");
    // The failure is remembered for a moment: Faseeh is not asked again by every request.
    await gateway.graphql(ModelsDocument);
    expect(upstream.modelRequests).toBe(2);
  });

  test("refuses to serve a list past MODELS_STALE_MAX_MS", async ({ gateway, upstream }) => {
    expect((await gateway.graphql(ModelsDocument)).body.errors).toBeUndefined();
    clock.advance(STALE_MAX_MS + 1);
    upstream.enqueueModels({ kind: "error", status: 503 });
    const response = await gateway.graphql(ModelsDocument);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(response.body.data).toBeNull();
  });

  test("maps Faseeh refusing the key to UPSTREAM_UNAUTHORIZED", async ({ gateway, upstream }) => {
    upstream.enqueueModels({ kind: "error", status: 401 });
    const response = await gateway.graphql(ModelsDocument);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAUTHORIZED");
  });

  test("answers UPSTREAM_NOT_CONFIGURED without a Faseeh key", async ({ startGateway }) => {
    const gateway = await startGateway();
    const response = await gateway.graphql(ModelsDocument);
    expect(response.status).toBe(200);
    expect(response.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_NOT_CONFIGURED");
  });
});

describe("the model check", () => {
  test("refuses a clone with a model Faseeh does not offer, naming the valid ids, before anything is sent", async ({
    gateway,
    upstream,
  }) => {
    const response = await cloneVoice(gateway, { input: { model: "faseeh-v9" } });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.model" });
    expect(response.body.errors?.[0]?.message).toBe(
      `\`input.model\` "faseeh-v9" is not a Faseeh model. Valid ids: ${VALID_IDS}.`,
    );
    expect(upstream.requests).toHaveLength(0);
    expect(await gateway.database!.query("SELECT 1 FROM voices")).toEqual([]);
  });

  test("refuses a preview with a model Faseeh does not offer", async ({ gateway, upstream }) => {
    const response = await previewVoice(gateway, { input: { modelId: "FASEEH-V1" } });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.modelId" });
    expect(response.body.errors?.[0]?.message).toContain(VALID_IDS);
    expect(upstream.previewRequests).toHaveLength(0);
  });

  test("lets a clone go ahead when no list can be had", async ({ gateway, upstream }) => {
    upstream.enqueueModels({ kind: "error", status: 500 });
    const response = await cloneVoice(gateway, { input: { model: "faseeh-experimental" } });
    expect(response.body.errors).toBeUndefined();
    expect(upstream.modelRequests).toBe(1);
    expect(upstream.requests.map((request) => request.fields.model)).toEqual(["faseeh-experimental"]);
  });

  test("checks against one list: concurrent clones cost one model request", async ({ gateway, upstream }) => {
    const responses = await Promise.all(Array.from({ length: 5 }, () => cloneVoice(gateway)));
    for (const response of responses) expect(response.body.errors).toBeUndefined();
    expect(upstream.modelRequests).toBe(1);
  });
});
