# syntax=docker/dockerfile:1
# agent-bridge image: the deps stage compiles better-sqlite3, applies patches/ and generates the
# Prisma clients; the build stage compiles src/ to dist/ (scripts/build.mjs, as `npm ci` does outside
# Docker), so the image starts from JavaScript. Sources change more often than the lock: the slow
# install stays cached while only the build reruns.
#   docker build -t agent-bridge .
#   docker run -p 3000:3000 -v agent-bridge-data:/data -e REDIS_URL=redis://host:6379 agent-bridge

FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
# npm 11 honours package.json `allowScripts` (the lock was made with it); the image ships npm 10.
RUN npm install -g npm@11.19.1 --no-audit --no-fund
# node-gyp takes Node's headers from the image (/usr/local/include/node) instead of downloading them.
ENV npm_config_nodedir=/usr/local
# What postinstall needs (patch-package, then scripts/prisma.mjs generate with prisma.config.ts,
# which imports src/store/database-url.ts). Its last step, the build, waits for the sources: the
# build stage runs it.
COPY package.json package-lock.json prisma.config.ts ./
COPY patches ./patches
COPY prisma ./prisma
COPY scripts ./scripts
COPY bin ./bin
COPY src/store/database-url.ts ./src/store/database-url.ts
RUN AGENT_BRIDGE_SKIP_BUILD=1 npm ci --no-audit --no-fund \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/.cache

FROM deps AS build
# esbuild is a production dependency: the pruned node_modules can build.
COPY tsconfig.json ./
COPY src ./src
RUN node scripts/build.mjs

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=file:/data/agent-bridge.db
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json prisma.config.ts ./
COPY bin ./bin
COPY prisma ./prisma
# The sources and their build from one stage: bin/agent-bridge.js checks that dist/ is current.
COPY --from=build /app/src ./src
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--max-old-space-size=1024", "bin/agent-bridge.js", "start"]
