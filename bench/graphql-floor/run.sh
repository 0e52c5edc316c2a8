#!/usr/bin/env bash
# The per-request floor of each GraphQL server: `{ __typename }`, which reads
# no rows, sent to PostGraphile and to the gateway (production mode, a read
# key on every request, logging and metrics on) in the shared catalog bench's
# harness. The "raw" column is still the bench's own W3 (one voice by id over
# plain node:http + pg). Run by hand from the project root:
#
#   bench/graphql-floor/run.sh            # 3 x 10 s
#   ROUNDS=1 DURATION=5 bench/graphql-floor/run.sh
#
# If the gateway's floor alone costs more CPU than PostGraphile's whole W3,
# no change to the catalog reads can bring W3 to parity (BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=$PWD/bench/graphql-floor
exec "${CATALOG_BENCH_DIR:-../shared/bench/catalog}/gw-run.sh" \
  --queries "gw=$HERE/gateway-queries.json" --queries "postgraphile=$HERE/postgraphile-queries.json" \
  --workloads W3 --no-verify
