// ModelCatalog on its own, with a scripted model list and a hand-moved clock:
// one call for a burst of readers, the TTL, stale serving within its bound,
// the remembered failure, and the check that never blocks for want of a list.
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../src/errors.js";
import { createLogger } from "../../../src/logger.js";
import { loadConfig } from "../../../src/config.js";
import { ModelCatalog } from "../../../src/services/models/model-catalog.js";
import type { UpstreamModel } from "../../../src/upstream/faseeh-client.js";
import { gatewayErrorOf } from "../../support/gateway-error.js";

const model = (modelId: string): UpstreamModel => ({
  id: `id-${modelId}`,
  modelId,
  name: modelId,
  costPerCharacter: 1,
  description: null,
});

/** A model list that answers what the test queues (a list or an error), counting calls. */
function scripted(configured = true) {
  const answers: Array<UpstreamModel[] | GatewayError> = [];
  let calls = 0;
  return {
    answers,
    get calls() {
      return calls;
    },
    faseeh: {
      isConfigured: configured,
      listModels(): Promise<UpstreamModel[]> {
        calls++;
        const answer = answers.shift() ?? [model("faseeh-v1")];
        return answer instanceof GatewayError ? Promise.reject(answer) : Promise.resolve(answer);
      },
    },
  };
}

function catalog(upstream: ReturnType<typeof scripted>, clock: { now: number }, ttlMs = 1_000, staleMaxMs = 10_000) {
  const config = loadConfig({ LOG_LEVEL: "silent", MODELS_CACHE_TTL_MS: String(ttlMs), MODELS_STALE_MAX_MS: String(staleMaxMs) });
  return new ModelCatalog(upstream.faseeh, config.models, createLogger(config), { now: () => clock.now });
}

const down = () => new GatewayError("UPSTREAM_UNAVAILABLE", "Faseeh is unavailable: connection refused. Try again later.");

describe("ModelCatalog", () => {
  it("asks Faseeh once for a burst of readers, then serves from memory until the TTL", async () => {
    const upstream = scripted();
    const clock = { now: 1_000_000 };
    const models = catalog(upstream, clock);
    const listings = await Promise.all(Array.from({ length: 10 }, () => models.list()));
    expect(upstream.calls).toBe(1);
    for (const listing of listings) expect(listing).toMatchObject({ stale: false, models: [model("faseeh-v1")] });
    clock.now += 999;
    await models.list();
    expect(upstream.calls).toBe(1);
    clock.now += 1;
    upstream.answers.push([model("faseeh-v2")]);
    expect((await models.list()).models).toEqual([model("faseeh-v2")]);
    expect(upstream.calls).toBe(2);
  });

  it("serves the last list marked stale when a refresh fails, until MODELS_STALE_MAX_MS after it was fetched", async () => {
    const upstream = scripted();
    const clock = { now: 1_000_000 };
    const models = catalog(upstream, clock);
    const fresh = await models.list();
    clock.now += 5_000;
    upstream.answers.push(down());
    const stale = await models.list();
    expect(stale).toMatchObject({ stale: true, models: fresh.models, fetchedAt: fresh.fetchedAt });
    expect(stale.staleReason).toContain("connection refused");
    clock.now += 5_001; // 10,001 ms after the fetch: past the bound
    upstream.answers.push(down());
    expect(await gatewayErrorOf(models.list())).toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
  });

  it("remembers a failure for a few seconds instead of asking Faseeh again on every read", async () => {
    const upstream = scripted();
    const clock = { now: 1_000_000 };
    const models = catalog(upstream, clock);
    upstream.answers.push(down());
    await gatewayErrorOf(models.list());
    await gatewayErrorOf(models.list());
    expect(upstream.calls).toBe(1);
    clock.now += 5_000;
    expect((await models.list()).stale).toBe(false);
    expect(upstream.calls).toBe(2);
  });

  it("checks a model against the list, and lets it through when there is no list or nothing in it", async () => {
    const upstream = scripted();
    const clock = { now: 1_000_000 };
    const models = catalog(upstream, clock);
    upstream.answers.push([model("faseeh-v1"), model("faseeh-v2")]);
    await expect(models.checkModel("input.model", "faseeh-v2")).resolves.toBeUndefined();
    expect(await gatewayErrorOf(models.checkModel("input.model", "faseeh-v3"))).toMatchObject({
      code: "BAD_USER_INPUT",
      message: '`input.model` "faseeh-v3" is not a Faseeh model. Valid ids: faseeh-v1, faseeh-v2.',
      extensions: { field: "input.model" },
    });

    const empty = scripted();
    empty.answers.push([]);
    await expect(catalog(empty, clock).checkModel("input.model", "anything")).resolves.toBeUndefined();

    const failing = scripted();
    failing.answers.push(down());
    await expect(catalog(failing, clock).checkModel("input.model", "anything")).resolves.toBeUndefined();

    const unconfigured = scripted(false);
    await expect(catalog(unconfigured, clock).checkModel("input.model", "anything")).resolves.toBeUndefined();
    expect(unconfigured.calls).toBe(0);
  });

  it("answers UPSTREAM_NOT_CONFIGURED from list() when Faseeh says so", async () => {
    const upstream = scripted();
    upstream.answers.push(new GatewayError("UPSTREAM_NOT_CONFIGURED", "no key"));
    expect(await gatewayErrorOf(catalog(upstream, { now: 0 }).list())).toMatchObject({ code: "UPSTREAM_NOT_CONFIGURED" });
  });
});
