// Search, sorts, cursors, tags, totals and facets on PostgreSQL (the cases: catalog-search.cases.ts).
import { test } from "../support/fixtures.js";
import { catalogSearchCases } from "./catalog-search.cases.js";

// The catalog needs no upstream; low exact-count and facet-sample limits show the estimates.
test.override("gatewayOptions", {
  withUpstream: false,
  env: { CATALOG_EXACT_COUNT_LIMIT: "3", CATALOG_FACET_SAMPLE_LIMIT: "3" },
});
catalogSearchCases();
