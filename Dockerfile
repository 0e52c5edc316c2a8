# syntax=docker/dockerfile:1
# Container image for the Faseeh voice gateway.
#   docker build -t faseeh-voice-gateway .
#   docker compose up        (or Debian's `docker-compose up`; see docker-compose.yml)

# ---- deps: production node_modules + the generated Prisma client -------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app

# Only what `npm ci` and `prisma generate` need, so this layer stays cached
# until the lockfile, the Prisma schema/migrations or the scripts change.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts

# --omit=dev: tsx, prisma and everything else needed at runtime are regular
# dependencies. --ignore-scripts: no dependency needs its install script here
# (Prisma 7 with a driver adapter needs no downloaded engines, esbuild ships its
# binary as an optional dependency), but that flag also skips our own
# postinstall, so the Prisma client is generated explicitly right after (into
# src/generated/prisma, offline).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && node scripts/prisma-generate.mjs \
 && npm cache clean --force

# ---- runtime -----------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=4000
WORKDIR /app

# Application files stay owned by root (read-only for the `node` user that runs
# them); only .data, where the embedded database lives when DATABASE_URL is not
# set, is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
COPY --from=deps /app/src/generated/prisma ./src/generated/prisma
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node
EXPOSE 4000

# slim images have no curl/wget: probe with Node's built-in fetch. /healthz is
# liveness only (process up, HTTP serving); compose additionally probes /readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Run node directly instead of `npm start`: npm (and the `tsx` CLI, which
# starts a second node process) sit between Docker and the server and do not
# reliably forward SIGTERM/SIGINT, so `docker stop` would wait out its timeout
# and SIGKILL the server without a graceful shutdown. `--import tsx` loads the
# TypeScript loader in-process, so node is PID 1 and receives signals itself.
# (As PID 1 the kernel applies no default SIGTERM action; the server's own
# signal handlers do the shutdown. docker-compose.yml also sets `init: true`.)
CMD ["node", "--import", "tsx", "src/main.ts"]
