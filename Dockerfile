# nadm in a container: the CLI plus nats-server (for `nadm up`). Not built in CI: the build
# machines have no Docker engine. Build: docker build -t nadm .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nats-server util-linux \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY manifests ./manifests
ENV NODE_ENV=production
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["--help"]
