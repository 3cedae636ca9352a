# syntax=docker/dockerfile:1
# agent-bridge image: TypeScript runs through tsx (a runtime dependency), so there is no build step;
# the deps stage compiles better-sqlite3, applies patches/ and generates the Prisma clients.
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
# which imports src/store/database-url.ts).
COPY package.json package-lock.json prisma.config.ts ./
COPY patches ./patches
COPY prisma ./prisma
COPY scripts ./scripts
COPY src/store/database-url.ts ./src/store/database-url.ts
RUN npm ci --no-audit --no-fund \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/.cache

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
COPY src ./src
COPY --from=deps /app/src/generated ./src/generated
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/agent-bridge.js", "start"]
