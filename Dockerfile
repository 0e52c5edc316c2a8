# syntax=docker/dockerfile:1
# Container image for the Faseeh voice gateway.
#   docker build -t faseeh-voice-gateway .
#   docker compose up        (or Debian's `docker-compose up`; see docker-compose.yml)
#
# Two stages: `build` has the whole toolchain (TypeScript, the Prisma CLI,
# codegen) and compiles src/ to dist/; `runtime` gets only dist/, the SQL
# migrations and production dependencies, and runs plain JavaScript.

# ---- build: full install, Prisma client, tsc -> dist/ --------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app

# Only what `npm ci` and `prisma generate` need first, so this layer stays
# cached until the lockfile, the Prisma schema or the scripts change.
# tsconfig.json too: `prisma generate` picks the generated client's import
# suffixes from it (.js for NodeNext); without it the client imports `./x.ts`,
# which tsx would run but compiled JavaScript cannot.
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY scripts ./scripts

# All dependencies, dev ones included (typescript, prisma). --ignore-scripts:
# no dependency needs its install script (Prisma 7 with a driver adapter needs
# no downloaded engines, esbuild ships its binary as an optional dependency;
# package.json's allowScripts says so to npm 11, but the npm 10 in this image
# would run them), and the flag also skips our own postinstall, so the Prisma
# client is generated explicitly right after (into src/generated/prisma,
# offline).
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node scripts/prisma-generate.mjs

COPY tsconfig.build.json ./
COPY src ./src
# tsc compiles src/ (generated Prisma client included) to dist/ and the build
# script copies the SDL files the server reads at runtime (dist/schema/*.graphql).
RUN npm run build

# ---- faseeh-local: the local stand-in of Faseeh (compose profile local-faseeh) --
# The fake the tests use, run with tsx from the build stage's full install; never
# part of the gateway's image (`runtime`, the last stage, is what `docker build`
# builds).
FROM build AS faseeh-local
COPY dev ./dev
USER node
EXPOSE 4010
CMD ["node", "--import", "tsx", "dev/faseeh-local.ts", "--host", "0.0.0.0"]

# ---- runtime: production dependencies + dist/ ----------------------------------
FROM node:20-bookworm-slim AS runtime
# HOST=0.0.0.0: the gateway binds 127.0.0.1 by default while no client key
# exists, which inside a container would be unreachable through the published
# port; an explicit HOST is the documented override. The container's own
# network namespace is what isolates it; who may call is decided by client keys
# (NODE_ENV=production refuses to start without one, see README).
ENV NODE_ENV=production PORT=4000 HOST=0.0.0.0
WORKDIR /app

# Production dependencies only: no Prisma CLI, TypeScript, tsx or codegen.
# --omit=optional as well as --omit=dev: @prisma/client declares `prisma` and
# `typescript` as optional peer dependencies, so npm marks them (and the ~140
# packages under them) "devOptional" and --omit=dev alone would still install
# them (~230 MB). The only genuinely optional production packages are
# pg-cloudflare (Cloudflare Workers sockets) and graphql-armor-types (types),
# neither used on Node. --ignore-scripts: no install script is needed (see the
# build stage). Then scripts/prune-production-deps.mjs removes the query
# compilers @prisma/client ships for the databases we do not use (about 52 MiB)
# and OpenTelemetry's source maps and type declarations.
# test/deploy/production-build.test.ts runs the gateway on an install made
# with exactly these flags and pruned by the same script.
COPY package.json package-lock.json ./
COPY scripts/prune-production-deps.mjs ./scripts/
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && node scripts/prune-production-deps.mjs \
 && npm cache clean --force

# Application files stay owned by root (read-only for the `node` user that runs
# them); only .data, where the embedded database lives when DATABASE_URL is not
# set (and the recovery journal in any case), is writable.
COPY --from=build /app/dist ./dist
# The gateway applies these itself at boot (src/db/migrator.ts, resolved from
# the package root: /app/prisma/migrations); no Prisma CLI is involved.
COPY prisma/migrations ./prisma/migrations
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node
EXPOSE 4000

# slim images have no curl/wget: probe with Node's built-in fetch. /healthz is
# liveness only (process up, HTTP serving); compose additionally probes /readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Run node directly instead of `npm start`: npm sits between Docker and the
# server and does not reliably forward SIGTERM/SIGINT, so `docker stop` would
# wait out its timeout and SIGKILL the server without a graceful shutdown. With
# compiled JavaScript no loader is needed: node is PID 1 and receives signals
# itself. (As PID 1 the kernel applies no default SIGTERM action; the server's
# own signal handlers do the shutdown. docker-compose.yml also sets
# `init: true`.) The CLIs run the same way, e.g.
#   docker compose run --rm gateway node dist/cli/keys.js create --name my-tool
CMD ["node", "dist/main.js"]
