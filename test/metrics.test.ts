// Client-chosen operation names as metric labels: bounded, so no client can
// grow the metrics without limit.
import { describe, expect, it } from "vitest";
import { boundedLabels, OTHER_OPERATIONS } from "../src/metrics.js";

describe("boundedLabels", () => {
  it("keeps the first names seen, up to the bound, and counts every later one as other", () => {
    const label = boundedLabels(3);
    expect(["A", "B", "A", "C"].map(label)).toEqual(["A", "B", "A", "C"]);
    expect(label("D")).toBe(OTHER_OPERATIONS);
    expect(label("E")).toBe(OTHER_OPERATIONS);
    // Names admitted before the bound was reached keep their own series.
    expect(["A", "B", "C"].map(label)).toEqual(["A", "B", "C"]);
  });
});
