# The API's image. No Docker engine runs on the project's build machines, so
# this file is kept plain and checked by reading; what it runs (npm run build,
# then dist/ on a production install) is what .ci/run checks.
#
# Stage 1: full install (dev dependencies: tsc, the Prisma CLI) and the build.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/
COPY prisma prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
RUN npm run build

# Stage 2: production dependencies only (no embedded stores, no Prisma CLI, no tsx).
# --legacy-peer-deps: the Prisma CLI is an optional peer of @prisma/client, which
# npm otherwise keeps in an --omit=dev install (~250 MB the runtime never loads).
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/
RUN npm ci --omit=dev --legacy-peer-deps --ignore-scripts --no-audit --no-fund && npm cache clean --force

# Final stage: the compiled server, its migrations and the production install.
FROM node:22-bookworm-slim
# DATA_DIR: where a full cache resync keeps its checkpoint file (src/cache/resync-state.ts); /app is not writable.
ENV NODE_ENV=production PORT=4000 DATA_DIR=/tmp/vmo
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY prisma/migrations prisma/migrations
# The image's own unprivileged user ("node", uid 1000); nothing under /app is writable by it.
USER node
EXPOSE 4000
# Node as PID 1 would ignore SIGTERM without a handler; src/main.ts has one
# (drain, flush the cache writer, exit), and exec form delivers it to node.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--max-semi-space-size=64", "dist/main.js"]
