#!/usr/bin/env bash
# CPU profile of the gateway under one catalog workload (run by hand, after
# ../shared/bench/catalog/gw-run.sh has seeded and copied the rows once):
#
#   bench/profile-catalog.sh [W1|W2|W3] [seconds]      (from the project root)
#   QUERIES=bench/graphql-floor/gateway-queries.json bench/profile-catalog.sh W3 10   # the floor
#
# Starts `node --cpu-prof src/main.ts` in production mode on the bench's
# `anchors_gw` database with a fresh `read` key, drives it with the shared
# bench client (32 connections, one server, no verification), stops it so the
# profile is written, and prints where the CPU went (bench/cpu-profile-summary.mjs).
# It also prints the bench client's server µs/req, so a change can be judged
# on both: the profile says where, the bench says how much.
set -euo pipefail
cd "$(dirname "$0")/.."
WORKLOAD=${1:-W1}
SECONDS_RUN=${2:-10}
BENCH=${CATALOG_BENCH_DIR:-../shared/bench/catalog}
GWDB=${ANCHORS_DB:-anchors}_gw
URL="postgres://postgres@127.0.0.1:5432/$GWDB"
PROFILE_DIR=$(mktemp -d /tmp/gw-prof.XXXXXX)
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
psql -h 127.0.0.1 -U postgres -d "$GWDB" -tAc "select count(*) from voices" >/dev/null \
  || { echo "no $GWDB database: run ../shared/bench/catalog/gw-run.sh once first"; exit 1; }
ENVS=(PORT=$PORT HOST=127.0.0.1 DATABASE_URL=$URL NODE_ENV=production RESPONSE_CACHE=${RESPONSE_CACHE:-false})
GW_KEY=$(env "${ENVS[@]}" node --import tsx src/cli/keys.ts create --name "profile-$$" --scope read 2>/dev/null | grep -o 'fvg_[A-Za-z0-9_-]*' | head -1)
export GW_KEY
env "${ENVS[@]}" node --cpu-prof --cpu-prof-dir="$PROFILE_DIR" --import tsx src/main.ts >"$PROFILE_DIR/gateway.log" 2>&1 &
GWPID=$!
trap 'kill -INT $GWPID 2>/dev/null || true' EXIT
for _ in $(seq 150); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
node "$BENCH/bench.mjs" --server "gw=http://127.0.0.1:$PORT/graphql" --queries "gw=${QUERIES:-$BENCH/gateway-queries.json}" \
  --pid "gw=$GWPID" --workloads "$WORKLOAD" --rounds 1 --duration "$SECONDS_RUN" --warmup 3 --no-verify \
  --db-url "postgres://postgres@127.0.0.1:5432/${ANCHORS_DB:-anchors}" | grep -E '^\| (W|workload)'
kill -INT $GWPID
wait $GWPID || true
trap - EXIT
node bench/cpu-profile-summary.mjs "$PROFILE_DIR"/*.cpuprofile
echo "profile: $(ls "$PROFILE_DIR"/*.cpuprofile)"
