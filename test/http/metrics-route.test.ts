// /metrics over HTTP: operation names a client makes up do not create
// unbounded series.
import { request } from "undici";
import { MAX_OPERATION_LABELS } from "../../src/metrics.js";
import { expect, test } from "../support/fixtures.js";

test.override("gatewayOptions", { withUpstream: false });

test("counts operations past the first 100 distinct names as `other`", async ({ gateway }) => {
  const names = Array.from({ length: MAX_OPERATION_LABELS + 20 }, (_, index) => `MadeUp${index}`);
  for (const name of names) {
    const response = await gateway.graphql(`query ${name} { voices(first: 1) { nodes { id } } }`);
    expect(response.body.errors).toBeUndefined();
  }
  const scrape = await request(`${gateway.url}/metrics`);
  expect(scrape.statusCode).toBe(200);
  const text = await scrape.body.text();
  const counts = new Map(
    [...text.matchAll(/^gateway_graphql_operation_duration_seconds_count\{operation="([^"]+)",type="query"\} (\d+)$/gm)].map(
      (match) => [match[1]!, Number(match[2])],
    ),
  );
  expect(counts.size).toBe(MAX_OPERATION_LABELS + 1);
  expect(counts.get("MadeUp0")).toBe(1);
  expect(counts.get(`MadeUp${MAX_OPERATION_LABELS - 1}`)).toBe(1);
  expect(counts.has(`MadeUp${MAX_OPERATION_LABELS}`)).toBe(false);
  expect(counts.get("other")).toBe(20);
});
