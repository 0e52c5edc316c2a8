// The same cases on the embedded database (PGlite, the default without DATABASE_URL): it claims the
// same search, sorts, cursors, totals and facets, pg_trgm included.
import { test } from "../support/fixtures.js";
import { catalogSearchCases } from "./catalog-search.cases.js";

test.override("gatewayOptions", {
  withUpstream: false,
  database: "embedded",
  env: { CATALOG_EXACT_COUNT_LIMIT: "3", CATALOG_FACET_SAMPLE_LIMIT: "3" },
});
catalogSearchCases();
